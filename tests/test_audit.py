"""Auditing many returns: exact profiles, funnel limits, the engineered example differences."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lp_audit.auditing import ALL, audit
from lp_audit.auditing.config import AuditConfig, load_config
from lp_audit.auditing.statistics import binomial_two_sided, category_mix, funnel
from lp_audit.cli import app
from lp_audit.reports.formats import audit_json
from lp_audit.synthetic import make_return

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "hbyw"
TODAY = dt.date(2026, 1, 1)


def clean(rows: int, provider: str, seed: int, period: str = "2025-26 Q2") -> pd.DataFrame:
    frame, _ = make_return(rows, provider=provider, period=period, seed=seed)
    frame.loc[:, "ethnicity"] = "A"
    frame.loc[:, "nhs_number"] = ""
    return frame


def write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / name, index=False)


@pytest.fixture(scope="module")
def examples() -> object:
    return audit(EXAMPLES, today=TODAY)


def test_profile_counts_match_a_hand_built_return(tmp_path: Path) -> None:
    a = clean(10, "RTH", 1)
    a.loc[0:1, "ethnicity"] = "99"  # 2 unknown
    a.loc[2, "ethnicity"] = "Q"  # 1 invalid
    a.loc[3, "ethnicity"] = ""  # 1 missing
    a.loc[4, "ethnicity"] = "b"  # 1 non-standard, valid after normalisation
    a.loc[0:2, "nhs_number"] = ["4010232137", "4010232138", "9434765919"]  # valid, invalid, valid
    b = clean(20, "SGT", 2)
    write(tmp_path, "a.csv", a)
    write(tmp_path, "b.csv", b)
    result = audit(tmp_path, today=TODAY)
    p = result.profile.set_index(["provider", "field"])
    eth = p.loc[("RTH", "ethnicity")]
    assert (eth.rows, eth.valid, eth.unknown, eth.invalid, eth.missing, eth.non_standard) == (
        10,
        6,
        2,
        1,
        1,
        1,
    )
    assert eth.completeness == pytest.approx(9 / 10)
    assert eth.validity == pytest.approx(8 / 9)
    assert eth.score == pytest.approx(6 / 10)
    nhs = p.loc[("RTH", "nhs_number")]
    assert (nhs.valid, nhs.invalid, nhs.missing) == (2, 1, 7)
    pooled = p.loc[(ALL, "ethnicity")]
    assert (pooled.rows, pooled.valid, pooled.unknown) == (30, 26, 2)
    first_contact = p.loc[("SGT", "first_contact_date")]
    not_contacted = int((b["engagement_status"] == "NOT_CONTACTED").sum())
    assert first_contact.not_applicable == not_contacted
    assert first_contact.missing == 0


def test_return_score_is_the_weighted_mean_of_field_scores(tmp_path: Path) -> None:
    a = clean(10, "RTH", 1)
    a.loc[0:4, "ethnicity"] = "Q"
    write(tmp_path, "a.csv", a)
    result = audit(tmp_path, config=AuditConfig(weights={"ethnicity": 3}), today=TODAY)
    prof = result.profile[result.profile.provider == "RTH"]
    weights = prof.weight
    expected = 100 * (prof.score * weights).sum() / weights[prof.score.notna()].sum()
    score = result.scores.set_index("provider").loc["RTH", "score"]
    assert score == pytest.approx(expected)
    assert prof.set_index("field").loc["notes", "weight"] == 0  # optional fields weigh 0


def test_funnel_limits_are_exact_binomial_quantiles() -> None:
    """Checked against scipy.stats.binom, the reference implementation."""
    from scipy.stats import binom

    num, den = [40, 6, 8], [100, 80, 120]
    frame = funnel(num, den)
    p = sum(num) / sum(den)
    for i, n in enumerate(den):
        se = math.sqrt(p * (1 - p) / n)
        assert frame.pooled[i] == pytest.approx(p)
        assert frame.lo95[i] == binom.ppf(0.025, n, p) / n
        assert frame.hi95[i] == binom.ppf(0.975, n, p) / n
        assert frame.lo998[i] == binom.ppf(0.001, n, p) / n
        assert frame.hi998[i] == binom.ppf(0.999, n, p) / n
        assert frame.z[i] == pytest.approx((num[i] / n - p) / se)
    assert frame.phi[0] == 1.0


def test_overdispersion_inflates_limits_when_asked() -> None:
    plain = funnel([40, 6, 8, 30], [100, 80, 120, 90])
    adjusted = funnel([40, 6, 8, 30], [100, 80, 120, 90], adjust=True)
    assert adjusted.phi[0] > 1
    assert (adjusted.hi95 - adjusted.lo95 >= plain.hi95 - plain.lo95 - 1e-12).all()


def test_exact_binomial_matches_a_hand_computed_value() -> None:
    # P(X=0)=0.125, P(X=3)=0.125 for n=3, p=0.5: both tails
    assert binomial_two_sided(0, 3, 0.5) == pytest.approx(0.25)


def test_category_mix_flags_never_used_codes() -> None:
    counts = pd.DataFrame(
        {
            "provider": ["A"] * 2 + ["B"] * 2 + ["C"] * 2,
            "code": ["X", "Y"] * 3,
            "count": [50, 50, 45, 55, 100, 0],
        }
    )
    mix = category_mix(counts).set_index(["provider", "code"])
    assert mix.loc[("C", "Y"), "z"] < -3.09
    assert mix.loc[("C", "Y"), "count"] == 0
    assert mix.loc[("A", "X"), "pooled"] == pytest.approx(195 / 300)


def test_category_mix_of_a_provider_far_off_the_scale_is_capped_not_a_crash() -> None:
    """A provider using a code in every one of 1,500 rows that the others never use: the
    exact test's p-value underflows (1 - p / 2 is 1.0); the audit once stopped on it."""
    counts = pd.DataFrame(
        {
            "provider": ["A", "A", "B", "B", "C", "C"],
            "code": ["X", "Y"] * 3,
            "count": [0, 1500, 80, 0, 3, 0],
        }
    )
    mix = category_mix(counts).set_index(["provider", "code"])
    exact = mix[mix["method"] == "exact"]
    # B uses X in all its 80 rows where 0.4 were expected: the p-value underflows to 0
    assert mix.loc[("B", "X"), "method"] == "exact" and mix.loc[("B", "X"), "z"] == 10.0
    assert exact["z"].abs().max() <= 10.0 and np.isfinite(mix["z"]).all()


def _texts(result, kind: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.text for h in result.highlights if kind is None or h.kind == kind]


def test_examples_engineered_differences_are_highlighted(examples) -> None:  # type: ignore[no-untyped-def]
    texts = _texts(examples)
    assert "No return from Oasis for 2025-26 Q2." in texts
    assert any(
        "Oasis records Ethnicity as not known" in t for t in _texts(examples, "funnel-unknown")
    )
    assert any(
        "St Giles Trust writes" in t and "non-standard form" in t
        for t in _texts(examples, "funnel-non_standard")
    )
    assert any(
        t.startswith("2025-26 Q1: Redthread: contacts per engaged young person")
        for t in _texts(examples, "drift")
    )
    assert any(
        "Oasis never uses Engagement status BRIEF_IN_HOSPITAL" in t
        for t in _texts(examples, "never-used")
    )
    assert any("St Giles Trust" in t and "fell" in t for t in _texts(examples, "trend"))
    [continuity] = _texts(examples, "continuity")
    # three cases vanished: a count under 5, so the shared text does not state it
    assert "St Giles Trust: fewer than 5 of 48 cases open at the end of 2025-26 Q2" in continuity
    from lp_audit.auditing.highlights import highlights
    from lp_audit.definitions import load_definition

    internal = highlights(examples, load_definition("hbyw-quarterly-return@1.0"), suppress=False)
    assert any("3 of 48 cases" in h.text for h in internal)
    importances = [h.importance for h in examples.highlights]
    assert importances == sorted(importances, reverse=True)


def test_examples_coverage_and_acknowledgements(examples) -> None:  # type: ignore[no-untyped-def]
    cov = examples.coverage.set_index(["provider", "period"])
    assert cov.loc[("OAS", "2025-26 Q2"), "received"] == 0
    assert cov["expected"].all() and int(cov["received"].sum()) == 8
    sgt = next(r for r in examples.returns if r.provider == "SGT" and r.period == "2025-26 Q1")
    dates = sgt.findings[sgt.findings.code == "date-format"]
    assert len(dates) > 0 and dates.acknowledged.str.startswith("Excel export").all()
    others = sgt.findings[sgt.findings.code != "date-format"]
    assert others.acknowledged.isna().all()


def test_audit_survives_broken_empty_and_unexpected_returns(tmp_path: Path) -> None:
    write(tmp_path, "rth.csv", clean(12, "RTH", 3))
    write(tmp_path, "tst.csv", clean(12, "TST", 4))
    (tmp_path / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(50))
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "lp-audit.yaml").write_text("expected:\n  2025-26 Q2: [RTH, SGT]\n")
    result = audit(tmp_path, today=TODAY)
    assert [u.path.endswith("picture.csv") for u in result.unreadable] == [True]
    empty = next(r for r in result.returns if r.path.endswith("empty.csv"))
    assert empty.findings.code.tolist() == ["empty-file"]
    kinds = {h.kind for h in result.highlights}
    assert {"unreadable", "missing-return", "unexpected-return"} <= kinds
    assert any("St Giles Trust" not in t and "SGT" in t for t in _texts(result, "missing-return"))


def test_audit_json_cli_equals_the_library(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(
        app, ["audit", str(EXAMPLES), "-f", "json", "-o", str(out), "--today", "2026-01-01"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    library = json.loads(audit_json(audit(EXAMPLES, today=TODAY)))
    assert document == library
    assert document["kind"] == "audit" and len(document["returns"]) == 8
    assert {
        "coverage",
        "scores",
        "profile",
        "funnels",
        "categories",
        "metrics",
        "continuity",
        "highlights",
    } <= set(document)


def test_audit_text_and_fail_on(tmp_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["audit", str(EXAMPLES), "--today", "2026-01-01"])
    assert text.exit_code == 0
    assert "8 of 9 expected returns received" in text.output
    assert "No return from Oasis for 2025-26 Q2." in text.output
    failing = runner.invoke(
        app, ["audit", str(EXAMPLES), "--fail-on", "error", "--today", "2026-01-01"]
    )
    assert failing.exit_code == 1
    missing = runner.invoke(app, ["audit", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output


def test_acknowledged_warnings_do_not_fail_until_they_expire(tmp_path: Path) -> None:
    frame = clean(12, "SGT", 5)
    frame.loc[:, "attendance_date"] = (
        frame["attendance_date"].str.slice(8, 10)
        + "/"
        + frame["attendance_date"].str.slice(5, 7)
        + "/"
        + frame["attendance_date"].str.slice(0, 4)
    )
    write(tmp_path, "sgt.csv", frame)
    (tmp_path / "lp-audit.yaml").write_text(
        "acknowledgements:\n  - {provider: SGT, code: date-format, reason: Excel, until: 2026-03-31}\n"
    )
    runner = CliRunner()
    args = ["audit", str(tmp_path), "--fail-on", "warning"]
    assert runner.invoke(app, [*args, "--today", "2026-01-01"]).exit_code == 0
    assert runner.invoke(app, [*args, "--today", "2026-06-01"]).exit_code == 1


def test_config_problems_are_located(tmp_path: Path) -> None:
    from lp_audit.auditing.config import ConfigError

    path = tmp_path / "lp-audit.yaml"
    path.write_text("expected:\n  2025-27 Q2: [RTH]\nthreshold: {limit: 90}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    messages = [str(p) for p in info.value.problems]
    assert any(":2:" in m and "2025-27 Q2" in m for m in messages)
    assert any(":3:" in m and "unknown setting 'threshold'" in m for m in messages)


@pytest.mark.parametrize("adjust", [False, True])
def test_grouped_funnels_equal_one_group_at_a_time(adjust: bool) -> None:
    from lp_audit.auditing.statistics import funnel_groups

    frame = pd.DataFrame(
        {
            "g": ["a"] * 4 + ["b"] * 3 + ["c"],
            "numerator": [40, 6, 8, 30, 1, 2, 9, 5],
            "denominator": [100, 80, 120, 90, 10, 20, 30, 50],
        }
    )
    grouped = funnel_groups(frame, ["g"], adjust=adjust)
    assert set(grouped["g"]) == {"a", "b"}  # a group of one has nothing to compare with
    for name, group in grouped.groupby("g"):
        single = funnel(
            group["numerator"].to_numpy(), group["denominator"].to_numpy(), adjust=adjust
        )
        for column in ("rate", "pooled", "z", "lo95", "hi95", "lo998", "hi998", "phi"):
            assert group[column].to_numpy() == pytest.approx(single[column].to_numpy()), (
                name,
                column,
            )


def test_an_audit_finds_what_validate_finds_in_each_return(examples) -> None:  # type: ignore[no-untyped-def]
    """The audit evaluates the checks directly; validate has pandera run them: the same
    findings, return by return, with profiles and tolerances alike."""
    from lp_audit import validate_return

    for audited in examples.returns:
        alone = validate_return(
            audited.path,
            audited.definition,
            provider=audited.provider,
            capture=True,
            engine="pandera",
            today=examples.today,
        )
        columns = [c for c in alone.findings.columns if c != "acknowledged"]
        pd.testing.assert_frame_equal(
            audited.findings[columns].reset_index(drop=True),
            alone.findings[columns].reset_index(drop=True),
        )
        assert audited.tolerated == alone.tolerated and audited.omitted == alone.omitted
        assert audited.capture is not None and alone.capture is not None
        pd.testing.assert_frame_equal(audited.capture.fields, alone.capture.fields)
        pd.testing.assert_frame_equal(audited.capture.categories, alone.capture.categories)


def test_a_sensitive_case_id_is_never_shown_as_an_example(tmp_path: Path) -> None:
    from lp_audit.definitions import bundled_definitions_dir
    from lp_audit.reports.formats import audit_json

    source = (bundled_definitions_dir() / "hbyw-quarterly-return" / "1.0.yaml").read_text()
    marked = source.replace(
        "  - name: referral_id\n    label: Referral ID\n",
        "  - name: referral_id\n    label: Referral ID\n    sensitive: true\n",
    )
    assert marked != source
    definition = tmp_path / "hbyw.yaml"
    definition.write_text(marked)
    shown = audit(EXAMPLES, today=TODAY).continuity
    assert shown["examples"].str.len().sum() > 0  # as usual, ids are given as examples
    hidden = audit(EXAMPLES, definition, today=TODAY)
    assert (hidden.continuity["examples"] == "").all()
    assert hidden.continuity[["vanished", "changed"]].equals(shown[["vanished", "changed"]])
    ids = {i.strip() for text in shown["examples"] for i in text.split(",") if i.strip()}
    text = audit_json(hidden)
    assert not [i for i in ids if f'"{i}"' in text or f"{i}," in text]
