"""An audit holds each return's summaries in memory, not a row per case: the cases continuity
follows are set aside on disk as each return is validated, and read back two at a time; the
values of means and medians are tallied; comparison rows are gathered as columns. The audit's
results are the same either way."""

from __future__ import annotations

import datetime as dt
import gc
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyarrow import feather

from lp_audit.auditing import audit
from lp_audit.auditing.against_rest import Rows
from lp_audit.definitions import bundled_definitions_dir
from lp_audit.profiling import SetAside, Tally
from lp_audit.reports.formats import audit_json
from lp_audit.validation.stored import cases_of

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "hbyw"
CLA = EXAMPLES.parent / "cla"
TODAY = dt.date(2026, 1, 1)


def _in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """No temporary folder can be made: an audit keeps its cases in memory."""

    def refused(*args: object, **kwargs: object) -> str:
        raise OSError("no temporary folder")

    monkeypatch.setattr(tempfile, "mkdtemp", refused)


def test_an_audit_sets_cases_aside_and_follows_them_as_it_would_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aside = audit(EXAMPLES, today=TODAY)
    set_aside = [r.capture.cases for r in aside.returns if r.capture is not None]
    assert set_aside and all(isinstance(c, SetAside) for c in set_aside)
    with monkeypatch.context() as m:
        _in_memory(m)
        held = audit(EXAMPLES, today=TODAY)
    assert all(isinstance(r.capture.cases, pd.DataFrame) for r in held.returns if r.capture)
    assert held.continuity["open"].sum() > 0
    pd.testing.assert_frame_equal(aside.continuity, held.continuity)
    assert audit_json(aside) == audit_json(held)
    for one, other in zip(aside.returns, held.returns, strict=True):
        assert one.capture is not None and other.capture is not None
        pd.testing.assert_frame_equal(cases_of(one.capture), other.capture.cases)
        assert one.capture.metric_values == other.capture.metric_values


def test_an_audit_of_returns_of_several_tables_sets_each_tables_cases_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The children looked after example, its header followed from year to year."""
    source = (bundled_definitions_dir() / "cla-annual-return" / "1.0.yaml").read_text()
    definition = tmp_path / "cla.yaml"
    definition.write_text(
        source + "continuity:\n  id_field: CHILD\n  open_when: {field: MOTHER, "
        'not_equals: "1"}\n  same: [DOB]\n'
    )
    aside = audit(CLA, definition, today=TODAY)
    with monkeypatch.context() as m:
        _in_memory(m)
        held = audit(CLA, definition, today=TODAY)
    for part, other in zip(aside.parts, held.parts, strict=True):
        pd.testing.assert_frame_equal(part.continuity, other.continuity)
    header = next(p for p in aside.parts if p.table == "header")
    assert header.continuity["open"].sum() > 0
    assert all(isinstance(r.capture.cases, SetAside) for r in header.returns if r.capture)


def test_the_folder_of_set_aside_cases_goes_with_the_audits_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = audit(EXAMPLES, today=TODAY)
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("lp-audit-cases-")
    assert len(list(folder.iterdir())) == len(result.returns)
    del result
    gc.collect()
    assert not folder.exists()


def test_an_audit_that_fails_leaves_no_cases_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lp_audit.auditing.run as run

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("assembling failed")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(run, "assemble", broken)
    with pytest.raises(RuntimeError, match="assembling failed"):
        audit(EXAMPLES, today=TODAY)
    assert list(tmp_path.iterdir()) == []


def test_cases_that_cannot_be_written_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        _in_memory(m)
        held = audit(EXAMPLES, today=TODAY)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(feather, "write_feather", full)
    result = audit(EXAMPLES, today=TODAY)
    assert all(isinstance(r.capture.cases, pd.DataFrame) for r in result.returns if r.capture)
    pd.testing.assert_frame_equal(result.continuity, held.continuity)


def test_a_tally_is_far_smaller_than_the_values_it_counts() -> None:
    result = audit(EXAMPLES, today=TODAY)
    for r in result.returns:
        assert r.capture is not None
        for tally in r.capture.metric_values.values():
            assert isinstance(tally, Tally)
            assert len(tally.values) <= len(tally)
    counted = sum(
        len(t) for r in result.returns if r.capture for t in r.capture.metric_values.values()
    )
    kept = sum(
        len(t.values) for r in result.returns if r.capture for t in r.capture.metric_values.values()
    )
    assert counted > 2 * kept  # whole days and counts repeat: fewer distinct values than rows


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"kind": st.sampled_from(["rate", "code"]), "provider": st.sampled_from("AB")},
            optional={
                "x": st.one_of(st.none(), st.integers(0, 9)),
                "p": st.one_of(st.none(), st.floats(0, 1)),
                "before": st.one_of(st.none(), st.text(max_size=3)),
            },
        ),
        max_size=20,
    )
)
def test_rows_gathered_as_columns_make_the_table_records_would(rows: list[dict]) -> None:  # type: ignore[type-arg]
    """The comparisons table is gathered a column at a time (a dict per row held 1 KB);
    the table is the one its rows as records make, types included."""
    columns = ["kind", "provider", "x", "p", "before"]
    gathered = Rows(columns)
    for row in rows:
        gathered.append(row)
    assert len(gathered) == len(rows)
    pd.testing.assert_frame_equal(gathered.frame(), pd.DataFrame(rows, columns=columns))
