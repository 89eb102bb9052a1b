"""A results store: what it keeps reads back equal, an audit again validates only what
changed, and the report rendered from it is the report the audit wrote."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from lp_audit.auditing import audit
from lp_audit.auditing.saved import FINDING_TYPES, TABLE_TYPES, load_audit_json
from lp_audit.auditing.store import load_audit
from lp_audit.cli import app
from lp_audit.definitions import bundled_definitions_dir
from lp_audit.reports import render_report
from lp_audit.reports.formats import audit_json
from lp_audit.validation.stored import cases_of, load_result, save_result

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "hbyw"
TODAY = dt.date(2026, 1, 1)


@pytest.fixture
def returns(tmp_path: Path) -> Path:
    folder = tmp_path / "returns"
    shutil.copytree(EXAMPLES, folder)
    return folder


def test_a_saved_result_reads_back_equal(tmp_path: Path) -> None:
    for result in audit(EXAMPLES, today=TODAY).returns:
        folder = tmp_path / Path(result.path).stem
        save_result(result, folder)
        back = load_result(folder, result.definition_model)
        pd.testing.assert_frame_equal(back.findings, result.findings)
        assert back.capture is not None and result.capture is not None
        for name in ("fields", "categories", "metrics", "signals"):
            pd.testing.assert_frame_equal(
                getattr(back.capture, name), getattr(result.capture, name)
            )
        pd.testing.assert_frame_equal(cases_of(back.capture), cases_of(result.capture))
        assert back.capture.metric_values.keys() == result.capture.metric_values.keys()
        for metric, values in result.capture.metric_values.items():
            assert back.capture.metric_values[metric] == values
        assert (back.tolerated, back.omitted, back.rows, back.encoding) == (
            result.tolerated,
            result.omitted,
            result.rows,
            result.encoding,
        )
        assert (back.path, back.provider, back.period, back.definition) == (
            result.path,
            result.provider,
            result.period,
            result.definition,
        )


def test_a_save_that_fails_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = audit(EXAMPLES, today=TODAY).returns[0]
    calls = []

    def failing(self, path, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(self, path, **kwargs)

    original = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        save_result(result, tmp_path / "one")
    assert list(tmp_path.iterdir()) == []  # neither the result's folder nor a partial one


def test_the_report_from_the_store_is_the_audits_report(
    runner, returns: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    for name in ("report.html", "report.md"):
        direct = tmp_path / f"direct-{name}"
        outcome = runner.invoke(
            app,
            [
                *("audit", str(returns), "--today", "2026-01-01", "--store", str(store)),
                *("--report", str(direct)),
            ],
        )
        assert outcome.exit_code in (0, 1), outcome.output
        again = tmp_path / f"again-{name}"
        outcome = runner.invoke(app, ["report", str(store), "--output", str(again)])
        assert outcome.exit_code == 0, outcome.output
        assert again.read_bytes() == direct.read_bytes(), name
    assert "<svg" in (tmp_path / "again-report.html").read_text()


def test_an_audit_again_validates_only_the_return_that_changed(
    returns: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    first = audit(returns, today=TODAY, store=store)
    assert first.read_back == []
    second = audit(returns, today=TODAY, store=store)
    files = sorted(str(p) for p in returns.glob("*.csv"))
    assert sorted(second.read_back) == files
    assert audit_json(second) == audit_json(first)
    assert load_audit(store).inputs == first.inputs

    changed = returns / "rth-2025-26-q2.csv"
    changed.write_text(changed.read_text().replace("2025-07-14", "2025-07-15", 1))
    third = audit(returns, today=TODAY, store=store)
    assert sorted(third.read_back) == [f for f in files if f != str(changed)]
    # the same audit as one without a store, and the store holds only what it read
    fresh = audit(returns, today=TODAY)
    assert audit_json(third) == audit_json(fresh)
    assert audit_json(load_audit(store)) == audit_json(fresh)
    assert len(list((store / "returns").iterdir())) == len(
        json.loads((store / "audit.json").read_text())["returns"]
    )
    # another day, with a definition whose rules compare dates with today: validated again
    assert audit(returns, today=TODAY + dt.timedelta(days=1), store=store).read_back == []


def test_a_stored_return_cut_short_is_validated_again(returns: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    audit(returns, today=TODAY, store=store)
    cut = next((store / "returns").iterdir())
    (cut / "summary.json").unlink()  # as if the audit stopped while writing it
    again = audit(returns, today=TODAY, store=store)
    assert len(again.read_back) == len(list(returns.glob("*.csv"))) - 1
    assert (cut / "summary.json").exists()


def test_a_sensitive_field_followed_between_returns_is_kept_only_as_a_hash(
    returns: Path, tmp_path: Path
) -> None:
    source = (bundled_definitions_dir() / "hbyw-quarterly-return" / "1.0.yaml").read_text()
    assert "same: [referral_date]" in source
    definition = tmp_path / "definition" / "hbyw.yaml"
    definition.parent.mkdir()
    definition.write_text(
        source.replace("same: [referral_date]", "same: [referral_date, nhs_number]")
    )
    store = tmp_path / "store"
    stored = audit(returns, definition, today=TODAY, store=store)
    plain = audit(returns, definition, today=TODAY)
    assert audit_json(stored) == audit_json(plain)  # the hashes compare as the values do
    assert audit_json(load_audit(store)) == audit_json(plain)
    numbers = set()
    for path in returns.glob("*.csv"):
        column = pd.read_csv(path, dtype=str)["nhs_number"].dropna()
        numbers |= {v.replace(" ", "") for v in column if v.strip()}
    assert len(numbers) > 100
    for path in store.rglob("*.parquet"):
        table = pq.read_table(path).to_pandas()
        for column in table.columns:
            text = {str(v).replace(" ", "") for v in table[column].dropna()}
            assert not text & numbers, (path, column)
    # an audit again, one return changed: the returns read back and the one validated again
    # follow cases alike (hashed, both), so the result is a fresh audit's
    changed = returns / "rth-2025-26-q2.csv"
    changed.write_text(changed.read_text().replace("2025-07-14", "2025-07-15", 1))
    again = audit(returns, definition, today=TODAY, store=store)
    assert len(again.read_back) == len(list(returns.glob("*.csv"))) - 1
    assert audit_json(again) == audit_json(audit(returns, definition, today=TODAY))


def test_a_store_that_cannot_be_used_is_one_line_and_exit_2(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    other = tmp_path / "other"
    other.mkdir()
    (other / "audit.json").write_text('{"store": 99}')
    cases = [
        (["audit", str(EXAMPLES), "--store", str(a_file)], "must be a folder"),
        (["audit", str(EXAMPLES), "--store", str(other)], "another format"),
        (
            ["report", str(tmp_path / "none"), "--output", str(tmp_path / "r.html")],
            "no stored audit",
        ),
    ]
    for args, said in cases:
        outcome = runner.invoke(app, args)
        assert outcome.exit_code == 2, outcome.output
        lines = outcome.output.strip().splitlines()
        assert len(lines) == 1 and said in lines[0], lines


def test_the_html_report_from_the_store_matches_rendering_directly(
    returns: Path, tmp_path: Path
) -> None:
    result = audit(returns, today=TODAY, store=tmp_path / "store")
    assert render_report(load_audit(tmp_path / "store"), charts=False) == render_report(
        result, charts=False
    )


def test_the_report_from_the_json_document_is_the_audits_report(
    runner, returns: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # one return with a problem on every one of 1,500 rows: findings past the first 1,000
    # are counted, not listed, and the document still gives the right totals
    frame = pd.read_csv(returns / "oas-2025-26-q1.csv", dtype=str, keep_default_na=False)
    big = pd.concat([frame] * 19, ignore_index=True).head(1500)
    big["referral_id"] = [f"OAS-{i:05d}" for i in range(len(big))]
    big["ethnicity"] = "ZZ"
    big.to_csv(returns / "oas-2025-26-q1.csv", index=False)
    for name in ("report.html", "report.md"):
        saved, direct = tmp_path / "audit.json", tmp_path / f"direct-{name}"
        outcome = runner.invoke(
            app,
            [
                *("audit", str(returns), "--today", "2026-01-01", "--format", "json"),
                *("--output", str(saved), "--report", str(direct)),
            ],
        )
        assert outcome.exit_code in (0, 1), outcome.output
        again = tmp_path / f"again-{name}"
        outcome = runner.invoke(app, ["report", str(saved), "--output", str(again)])
        assert outcome.exit_code == 0, outcome.output
        assert again.read_bytes() == direct.read_bytes(), name
    result = load_audit_json(tmp_path / "audit.json")
    assert any(r.omitted for r in result.returns)
    assert audit_json(result) == (tmp_path / "audit.json").read_text()


def test_the_json_documents_types_are_the_audits(returns: Path) -> None:
    result = audit(returns, today=TODAY)
    for name, types in TABLE_TYPES.items():
        assert dict(getattr(result, name).dtypes.astype(str)) == types, name
    for r in result.returns:
        assert dict(r.findings.dtypes.astype(str)) == FINDING_TYPES


def test_a_file_that_is_not_an_audit_is_one_line_and_exit_2(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "validation.json": ('{"lp_audit": 1, "returns": []}', "not an audit's JSON document"),
        "nonsense.json": ("nonsense", "not an audit's JSON document"),
        "old.json": ('{"lp_audit": 1, "kind": "audit"}', "without the audit's settings"),
        "damaged.json": ('{"kind": "audit", "settings": {}}', "damaged"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text)
        outcome = runner.invoke(
            app, ["report", str(tmp_path / name), "-o", str(tmp_path / "r.html")]
        )
        assert outcome.exit_code == 2, outcome.output
        lines = outcome.output.strip().splitlines()
        assert len(lines) == 1 and said in lines[0], lines
    assert not (tmp_path / "r.html").exists()
