"""Return periods of any cadence: quarters, years or months, of a financial or calendar year,
from the labels returns use through an audit and its report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit import audit, load_definition
from lp_audit.cli import app
from lp_audit.periods import Period, consecutive, sort_key

KINDS = [("quarter", 4), ("quarter", 1), ("year", 4), ("year", 1), ("month", 1)]


@given(kind=st.sampled_from(KINDS), day=st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)))
def test_every_kind_of_period_reads_its_own_label_and_follows_the_calendar(
    kind: tuple[str, int], day: dt.date
) -> None:
    every, starts = kind
    period = Period.of(day, every, starts)  # type: ignore[arg-type]
    assert period.start <= day <= period.end
    assert Period.of(period.start, every, starts) == period  # type: ignore[arg-type]
    following = period.next()
    assert following.start == period.end + dt.timedelta(days=1)
    assert period < following and following > period and period <= period
    label = str(period)
    assert Period.parse(label, every, starts) == period  # type: ignore[arg-type]
    if every != "month" or period.year > 2012:  # 2000-01 to 2011-12 are financial years
        assert consecutive(label, str(following))  # unless the kind is known
        assert sort_key(label) < sort_key(str(following))
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
    assert months == {"quarter": 3, "year": 12, "month": 1}[every]


@pytest.mark.parametrize(
    ("label", "every", "start", "end"),
    [
        ("2025-26 Q2", "quarter", "2025-07-01", "2025-09-30"),
        ("2025 Q3", "quarter", "2025-07-01", "2025-09-30"),
        ("2025-26", "year", "2025-04-01", "2026-03-31"),
        ("2025", "year", "2025-01-01", "2025-12-31"),
        ("2025-07", "month", "2025-07-01", "2025-07-31"),
        ("2011-12", "year", "2011-04-01", "2012-03-31"),  # a financial year unless months
    ],
)
def test_labels(label: str, every: str, start: str, end: str) -> None:
    period = Period.parse(label)
    assert (period.every, str(period.start), str(period.end)) == (every, start, end)
    assert str(Period.parse("2011-12", "month").start) == "2011-12-01"


def test_a_label_of_another_kind_is_refused_when_the_kind_is_known() -> None:
    with pytest.raises(ValueError, match="not a period like '2025-26'"):
        Period.parse("2025-26 Q1", "year", 4)
    with pytest.raises(ValueError, match="not a period like '2025 Q3'"):
        Period.parse("2025-26 Q1", "quarter", 1)


ANNUAL = """\
format: lp-audit/definition-1
name: annual-episodes
version: "1.0"
title: Annual return of episodes
period: {every: year, year_starts: january}
in_force: {from: "2023"}
return: {period_field: year, provider_field: la}
fields:
  - {name: year, label: Year, type: text, required: true}
  - {name: la, label: Local authority, type: code, required: true, codes: [L01, L02, L03]}
  - {name: child, label: Child, type: text, required: true}
  - {name: started, label: Episode start, type: date, required: true}
  - {name: status, label: Status, type: code, required: true, codes: [OPEN, CLOSED]}
rules:
  - id: "101"
    check: {compare: started <= period.end}
    message: The episode starts after the end of the year.
continuity:
  id_field: child
  open_when: {field: status, equals: OPEN}
  same: [started]
"""


def _annual(folder: Path, *, every: str = "year") -> Path:
    folder.mkdir()
    text = ANNUAL
    if every == "month":
        text = text.replace("{every: year, year_starts: january}", "{every: month}")
        text = text.replace('in_force: {from: "2023"}', 'in_force: {from: "2023-01"}')
    (folder / "definition.yaml").write_text(text)
    periods = ["2024", "2025", "2026"] if every == "year" else ["2025-11", "2025-12", "2026-01"]
    (folder / "lp-audit.yaml").write_text(
        "definition: definition.yaml\nexpected:\n"
        + "".join(f"  '{p}': [L01, L02, L03]\n" for p in periods)
    )
    for p_index, period in enumerate(periods):
        first = Period.parse(period, every).start  # type: ignore[arg-type]
        for la in ("L01", "L02", "L03"):
            if la == "L03" and p_index == 1:
                continue  # a missing return
            lines = ["year,la,child,started,status"]
            for i in range(40):
                # cases 0-9 stay open from one period to the next; L02 loses them in the last
                carried = i < 10 and not (la == "L02" and p_index == 2)
                child = f"{la}-C{i:03d}" if carried else f"{la}-{period}-{i:03d}"
                started = dt.date(2023, 12, 1) if carried else first + dt.timedelta(days=i % 25)
                if la == "L01" and i == 39:
                    started = first + dt.timedelta(days=400)  # rule 101: after the period
                lines.append(f"{period},{la},{child},{started},{'OPEN' if i < 12 else 'CLOSED'}")
            (folder / f"{la.lower()}-{period}.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("every", ["year", "month"])
def test_an_audit_of_annual_or_monthly_returns(tmp_path: Path, every: str) -> None:
    folder = _annual(tmp_path / "returns", every=every)
    result = audit(folder, today=dt.date(2027, 6, 1))
    definition = load_definition(folder / "definition.yaml")
    assert definition.period_every == every
    periods = ["2024", "2025", "2026"] if every == "year" else ["2025-11", "2025-12", "2026-01"]
    assert sorted(set(result.scores["period"]) - {"All providers"}, key=sort_key) == periods
    coverage = result.coverage.set_index(["provider", "period"])
    assert coverage.loc[("L03", periods[1]), "received"] == 0  # the missing return, found
    assert coverage["expected"].all()
    # the rule with period.end, on the row of each L01 return that starts after its period
    hits = result.findings[result.findings["rule"] == "101"]
    assert sorted(hits["provider"]) == ["L01"] * 3 and set(hits["line"]) == {41}
    # continuity from one period to the next: every one of L02's twelve open cases vanishes
    # in the last (the ten carried until then, and the two opened in the period before)
    continuity = result.continuity.set_index(["provider", "from_period"])
    assert continuity.loc[("L02", periods[1]), "vanished"] == 12
    assert continuity.loc[("L01", periods[0]), "vanished"] == 2  # the two opened, not carried


def test_the_cli_and_the_report_speak_of_years(tmp_path: Path) -> None:
    folder = _annual(tmp_path / "returns")
    runner = CliRunner()
    report = tmp_path / "report.md"
    outcome = runner.invoke(
        app, ["audit", str(folder), "--today", "2027-06-01", "--report", str(report)]
    )
    assert outcome.exit_code in (0, 1), outcome.output
    text = report.read_text()
    assert "latest year 2026" in text and "by provider and year" in text
    assert "quarter" not in text.replace("quarterly", "")
    outcome = runner.invoke(
        app,
        [
            *("validate", str(folder / "l01-2025.csv"), "-d", str(folder / "definition.yaml")),
            *("--period", "2025-26"),
        ],
    )
    assert outcome.exit_code == 2
    assert "2025-26 is not a period of annual-episodes@1.0" in outcome.output
    assert "periods like 2025" in outcome.output


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("{every: fortnight}", "every quarter, year or month, not 'fortnight'"),
        ("{every: year, year_starts: march}", "a year starts in april"),
        ("{every: year, year_starts: january, when: x}", "unknown key"),
    ],
)
def test_definitions_check_on_the_period(tmp_path: Path, change: str, said: str) -> None:
    definition = tmp_path / "bad.yaml"
    definition.write_text(ANNUAL.replace("{every: year, year_starts: january}", change))
    outcome = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert outcome.exit_code != 0 and said in outcome.output, outcome.output
    assert "bad.yaml:" in outcome.output


def test_expected_returns_of_another_kind_are_a_config_problem(tmp_path: Path) -> None:
    folder = _annual(tmp_path / "returns")
    (folder / "lp-audit.yaml").write_text(
        "definition: definition.yaml\nexpected:\n  2025-26 Q1: [L01]\n"
    )
    outcome = CliRunner().invoke(app, ["audit", str(folder)])
    assert outcome.exit_code == 2
    assert "2025-26 Q1 is not a period of annual-episodes@1.0" in outcome.output
