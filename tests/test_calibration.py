"""A small run of benchmarks/calibration.py: no highlights where providers do not differ, and
a planted difference found. The full run (hundreds of audits) is in benchmarks/RESULTS.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from calibration import run_audit


@pytest.mark.parametrize(("providers", "seed"), [(3, 11), (5, 12)])
def test_a_network_with_no_differences_gives_no_highlights(providers: int, seed: int) -> None:
    assert run_audit(providers, seed) == []


def test_a_planted_not_known_share_is_highlighted_and_nothing_else() -> None:
    found = run_audit(5, 21, planted={0: 0.10}, planted_rows=300)
    assert found, "the planted difference was missed"
    assert {(h["provider"], h["field"], h["kind"]) for h in found} == {
        ("P01", "ethnicity", "funnel-unknown")
    }


def test_dates_heaped_on_the_first_of_the_month_are_highlighted(tmp_path: Path) -> None:
    """A capture problem that passes every check: referral dates typed as the 1st."""
    import datetime as dt

    import numpy as np

    from lp_audit import audit
    from lp_audit.synthetic import network_definition, network_returns

    definition = tmp_path / "definition.yaml"
    definition.write_text(network_definition(5), encoding="utf-8")
    folder = tmp_path / "returns"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for (code, period), frame in network_returns(5, seed=31, rows=(200, 400)).items():
        if code == "P01":
            heaped = rng.random(len(frame)) < 0.4
            dates = frame["referral_date"].str.slice(0, 8) + "01"
            frame.loc[heaped, "referral_date"] = dates[heaped]
            frame.loc[heaped, "attendance_date"] = dates[heaped]
        frame.to_csv(folder / f"{code}-{period.replace(' ', '-')}.csv", index=False)
    result = audit(folder, definition, today=dt.date(2026, 6, 30))
    heaped_found = {(h.provider, h.field) for h in result.highlights if h.kind == "first-of-month"}
    assert ("P01", "referral_date") in heaped_found
    assert {p for p, _ in heaped_found} == {"P01"}
    text = next(h.text for h in result.highlights if h.kind == "first-of-month")
    assert "dates on the first of a month are" in text and "pass every check" in text
