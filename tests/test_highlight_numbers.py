"""Every number in a highlight of the examples, recomputed from the returns with pandas alone.

The recomputation knows the definition only as a reader of it would: the not-known codes of
ethnicity, which statuses mean engaged, what a DD/MM/YYYY date looks like. The rest of the
network is every other provider that sent a return for the quarter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from lp_audit import audit

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "hbyw"
NAMES = {"Oasis": "OAS", "Redthread": "RTH", "St Giles Trust": "SGT"}
ENGAGED = {"BRIEF_IN_HOSPITAL", "SHORT_TERM", "INTENSIVE"}
LABELS = {
    "Attendance date": "attendance_date",
    "Referral date": "referral_date",
    "First contact date": "first_contact_date",
    "Closure date": "closure_date",
}


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in EXAMPLES.glob("*.csv")]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def highlights() -> list[tuple[str, str]]:
    return [(h.kind, h.text) for h in audit(EXAMPLES).highlights]


def _pairs(text: str) -> list[tuple[int, int]]:
    return [
        (int(a.replace(",", "")), int(b.replace(",", "")))
        for a, b in re.findall(r"\(([\d,]+) of ([\d,]+)\)", text)
    ]


def _split(returns: pd.DataFrame, provider: str, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    quarter = returns[returns["return_period"] == period]
    return quarter[quarter["provider_code"] == provider], quarter[
        quarter["provider_code"] != provider
    ]


def test_not_known_ethnicity(returns: pd.DataFrame, highlights: list[tuple[str, str]]) -> None:
    found = [t for k, t in highlights if k == "funnel-unknown" and "Ethnicity" in t]
    assert len(found) == 2
    for text in found:
        period, who = re.match(r"(\S+ Q\d): (.+?) records", text).groups()  # type: ignore[union-attr]
        mine, rest = _split(returns, NAMES[who], period)

        def count(frame: pd.DataFrame) -> tuple[int, int]:
            filled = frame["ethnicity"].str.strip() != ""
            return int(frame["ethnicity"].str.upper().isin(["Z", "99"]).sum()), int(filled.sum())

        assert _pairs(text) == [count(mine), count(rest)]
        (x, n), (rx, rn) = count(mine), count(rest)
        assert f"{100 * x / n:.0f}% of rows" in text and f"{100 * rx / rn:.0f}% of rows" in text


def test_a_status_never_used(returns: pd.DataFrame, highlights: list[tuple[str, str]]) -> None:
    found = [t for k, t in highlights if k == "never-used"]
    assert found
    for text in found:
        period, who, code = re.match(
            r"(\S+ Q\d): (.+?) never uses Engagement status (\w+)", text
        ).groups()  # type: ignore[union-attr]
        mine, rest = _split(returns, NAMES[who], period)
        assert int((mine["engagement_status"] == code).sum()) == 0
        used, filled = (
            int((rest["engagement_status"] == code).sum()),
            int((rest["engagement_status"] != "").sum()),
        )
        assert _pairs(text) == [(used, filled)]


def test_contacts_per_engaged_young_person(
    returns: pd.DataFrame, highlights: list[tuple[str, str]]
) -> None:
    found = [t for k, t in highlights if k == "drift"]
    assert found
    for text in found:
        period, who, value, n, rest_value, rest_n = re.match(
            r"(\S+ Q\d): (.+?): contacts per engaged young person is ([\d.]+) \(mean of (\d+)\); "
            r"for the rest of the network it is ([\d.]+) \(mean of (\d+) rows\)",
            text,
        ).groups()  # type: ignore[union-attr]

        def contacts(frame: pd.DataFrame) -> pd.Series:
            engaged = frame[frame["engagement_status"].isin(ENGAGED)]
            return pd.to_numeric(engaged["contacts_count"], errors="coerce").dropna()

        mine, rest = _split(returns, NAMES[who], period)
        assert (f"{contacts(mine).mean():.1f}", len(contacts(mine))) == (value, int(n))
        assert (f"{contacts(rest).mean():.1f}", len(contacts(rest))) == (rest_value, int(rest_n))


def _day_first(frame: pd.DataFrame, column: str) -> tuple[int, int]:
    """Real dates written DD/MM/YYYY (30/02/2025 is invalid, not non-standard), and values."""
    values = frame[column].str.strip()
    real = pd.to_datetime(values, format="%d/%m/%Y", errors="coerce").notna()
    shaped = values.str.fullmatch(r"\d{2}/\d{2}/\d{4}")
    return int((real & shaped).sum()), int((values != "").sum())


def test_dates_written_day_first(returns: pd.DataFrame, highlights: list[tuple[str, str]]) -> None:
    found = [t for k, t in highlights if k == "funnel-non_standard"]
    assert len(found) == 3
    for text in found:
        period, who = re.match(r"(\S+ Q\d): (.+?) writes", text).groups()  # type: ignore[union-attr]
        mine, rest = _split(returns, NAMES[who], period)
        for label, column in LABELS.items():
            part = re.search(
                rf"{label}, [^;]*?\(([\d,]+) of ([\d,]+)\) against [^;]*?\(([\d,]+) of ([\d,]+)\)",
                text,
            )
            if part is None:
                continue
            x, n, rx, rn = (int(g) for g in part.groups())
            assert (x, rx) == (_day_first(mine, column)[0], _day_first(rest, column)[0])
            assert (n, rn) == (_day_first(mine, column)[1], _day_first(rest, column)[1])


def test_the_improving_date_format(
    returns: pd.DataFrame, highlights: list[tuple[str, str]]
) -> None:
    found = [t for k, t in highlights if k == "trend"]
    assert len(found) == 1
    text = found[0]
    who, first, last = re.match(  # type: ignore[union-attr]
        r"(.+?): the share of non-standard values fell from (\S+ Q\d) to (\S+ Q\d)", text
    ).groups()
    mine_first, rest_first = _split(returns, NAMES[who], first)
    mine_last, rest_last = _split(returns, NAMES[who], last)
    checked = 0
    for label, column in LABELS.items():
        part = re.search(rf"{label}, (.*?)(;|\.$)", text)
        if part is None:
            continue
        pairs = _pairs(part.group(1))
        assert pairs == [
            _day_first(mine_first, column),
            _day_first(mine_last, column),
            _day_first(rest_first, column),
            _day_first(rest_last, column),
        ]
        checked += 1
    assert checked == 4
