"""An audit's JSON document written in pieces is the text json.dumps gives of the whole."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes
from typer.testing import CliRunner

from lp_audit.auditing import audit
from lp_audit.auditing.document import Listed, Parts, materialise, table
from lp_audit.cli import app
from lp_audit.reports.jsondoc import audit_json_parts, json_parts

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def dumped(value: Any) -> str:
    return json.dumps(materialise(value), indent=2, ensure_ascii=False, default=str)


@pytest.mark.parametrize("example", ["hbyw", "cla"])
def test_an_audit_written_in_pieces_is_the_whole_document(example: str) -> None:
    # hbyw is a return of one table, cla of several (each table's audit nested a level down)
    result = audit(EXAMPLES / example, today=date(2031, 1, 1), workers=1)
    whole = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
    assert "".join(audit_json_parts(result)) == whole
    assert json.loads(whole)["returns" if example == "hbyw" else "tables"]


def test_the_cli_writes_the_same_document_to_a_file_and_to_stdout(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "audit.json"
    args = ["audit", str(EXAMPLES / "hbyw"), "--format", "json", "--today", "2031-01-01"]
    to_file = runner.invoke(app, [*args, "--output", str(out)])
    to_stdout = runner.invoke(app, args)
    assert to_file.exit_code == to_stdout.exit_code
    document = out.read_text(encoding="utf-8")
    assert to_stdout.stdout == document
    assert json.loads(document)["kind"] == "audit"
    assert not [p for p in tmp_path.iterdir() if p.name != "audit.json"]  # no temporary left


def test_pieces_go_to_a_device_as_they_go_to_a_file() -> None:
    # /dev/null is written to, never replaced by a renamed temporary file
    result = CliRunner().invoke(
        app,
        ["audit", str(EXAMPLES / "hbyw"), "--format", "json", "--output", os.devnull],
    )
    assert result.exit_code in (0, 1), result.output
    assert Path(os.devnull).is_char_device()


# values a table of an audit can hold: signed zeros, NaN (written as null), text with quotes,
# line breaks and letters beyond ASCII, whole numbers that equal floats and booleans
floats = st.floats(allow_nan=True, allow_infinity=False) | st.sampled_from([0.0, -0.0, 1.0])
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
mixed = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), floats, texts)


@settings(max_examples=60, deadline=None)
@given(
    data_frames(
        [
            column("f", elements=floats, dtype=float),
            column("i", elements=st.integers(-(2**40), 2**40), dtype="int64"),
            column("b", elements=st.booleans(), dtype=bool),
            column("o", elements=mixed, dtype=object),
            column("t", elements=texts, dtype=object),
        ],
        index=range_indexes(max_size=12),
    ),
    st.integers(0, 3),
)
def test_a_table_written_from_its_columns_is_what_json_dumps_writes(
    frame: pd.DataFrame, depth: int
) -> None:
    value: Any = table(frame)
    for level in range(depth):  # nested in objects and lists, as the document nests tables
        value = Parts([("level", level), ("rows", value)]) if level % 2 else [value, {"x": 1}]
    assert "".join(json_parts(value)) == dumped(value)


def test_records_of_no_keys_and_empty_tables_are_written_as_json_writes_them() -> None:
    no_keys = Listed(dict, 2)
    assert "".join(json_parts(Parts([("a", no_keys), ("b", table(pd.DataFrame()))]))) == (
        dumped(Parts([("a", no_keys), ("b", table(pd.DataFrame()))]))
    )
    assert "".join(json_parts(Parts([]))) == "{}"
