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
