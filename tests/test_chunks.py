"""Validating in chunks gives exactly the findings of a whole-file run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import FUZZ_EXAMPLES, TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.reading import NotChunkable, iter_chunks
from lp_audit.synthetic import make_return
from lp_audit.validation import ReturnResult, validate_return

#: named: an empty file does not say which definition it is of
HBYW = "hbyw-quarterly-return"


def _both(path: Path, chunk_rows: int) -> tuple[ReturnResult, ReturnResult]:
    whole = validate_return(path, HBYW, today=TODAY, chunk_rows=0)
    chunked = validate_return(path, HBYW, today=TODAY, chunk_rows=chunk_rows)
    return whole, chunked


def _assert_same(whole: ReturnResult, chunked: ReturnResult) -> None:
    assert chunked.to_dict() == whole.to_dict()


def _lines(frame: pd.DataFrame) -> list[str]:
    return frame.to_csv(index=False, lineterminator="\n").splitlines()


def test_defects_in_several_chunks_and_a_duplicate_id_split_across_them(tmp_path: Path) -> None:
    frame, _ = make_return(2_000, provider="RTH", seed=7, defects=30)
    frame.loc[1_700, "referral_id"] = frame.loc[5, "referral_id"]  # chunk 1 and chunk 4
    frame.loc[900, "notes"] = "line one\nline two, with a comma"  # a record over two lines
    lines = _lines(frame)
    lines.insert(1_200, "")  # a blank line in a later chunk
    empty_row = "," * (len(frame.columns) - 1)
    lines.insert(40, empty_row)  # and a row of delimiters in the first
    lines.append("Total" + empty_row)  # a totals row at the end
    path = tmp_path / "return.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))

    tables = list(iter_chunks(path, 500, []))  # read in chunks, not whole after all
    assert len(tables) >= 4 and all(len(t.cells) <= 500 for t in tables)
    whole, chunked = _both(path, 500)
    _assert_same(whole, chunked)
    codes = set(chunked.findings["code"])
    assert {"duplicate-id", "blank-rows", "totals-row"} <= codes
    assert len(chunked.findings) > 30
    duplicate = chunked.findings[chunked.findings["code"] == "duplicate-id"]
    # line 1 is the header, one record spans two lines, and two blank lines come before it
    assert 1_700 + 2 + 1 + 2 in duplicate["line"].tolist()


def test_period_of_the_whole_file_wins_over_the_first_chunk(tmp_path: Path) -> None:
    frame, _ = make_return(600, provider="RTH", seed=8, defects=0)
    frame.loc[:199, "return_period"] = "2025-26 Q1"  # the first chunk disagrees with the rest
    path = tmp_path / "return.csv"
    frame.to_csv(path, index=False)
    whole, chunked = _both(path, 200)
    _assert_same(whole, chunked)
    assert chunked.period == "2025-26 Q2"
    assert (chunked.findings["code"] == "period-mismatch").sum() == 200


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("referral_id,gender\nR1,M\nZoë,F\n".encode("cp1252"), "Windows-1252"),
        (b"referral_id,gender\nR1,M,extra\nR2\n", "ragged rows"),
        (b"referral_id,gender\rR1,M\rR2,F\r", "old Mac line endings"),
    ],
)
def test_files_that_must_be_read_whole_are(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "return.csv"
    path.write_bytes(content)
    with pytest.raises(NotChunkable):
        list(iter_chunks(path, 1, []))
    whole, chunked = _both(path, 1)
    _assert_same(whole, chunked)


def test_nil_return_and_empty_file_in_chunks(tmp_path: Path) -> None:
    frame, _ = make_return(3, provider="RTH", seed=1, defects=0)
    nil = tmp_path / "nil.csv"
    nil.write_text(",".join(frame.columns) + "\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for path, code in ((nil, "nil-return"), (empty, "empty-file")):
        whole, chunked = _both(path, 2)
        _assert_same(whole, chunked)
        assert code in set(chunked.findings["code"])


@settings(
    max_examples=max(10, FUZZ_EXAMPLES // 10),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.integers(0, 60),
    seed=st.integers(0, 10_000),
    chunk_rows=st.integers(1, 70),
    blank=st.lists(st.integers(1, 70), max_size=4),
    multiline=st.lists(st.integers(0, 59), max_size=3),
    crlf=st.booleans(),
    totals=st.booleans(),
    duplicates=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=3),
)
def test_chunks_match_the_whole_file(
    tmp_path_factory: pytest.TempPathFactory,
    rows: int,
    seed: int,
    chunk_rows: int,
    blank: list[int],
    multiline: list[int],
    crlf: bool,
    totals: bool,
    duplicates: list[tuple[int, int]],
) -> None:
    frame, _ = make_return(rows, provider="SGT", seed=seed, defects=rows // 10)
    for a, b in duplicates:
        if a < rows and b < rows:
            frame.loc[b, "referral_id"] = frame.loc[a, "referral_id"]
    for i in multiline:
        if i < rows:
            frame.loc[i, "notes"] = 'a "quoted" note\nover two lines'
    lines = _lines(frame)
    for position in sorted(blank, reverse=True):
        lines.insert(min(position, len(lines)), "")
    if totals:
        lines.append("Totals," + "," * (len(frame.columns) - 2))
    path = tmp_path_factory.mktemp("chunks") / "return.csv"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    assert len(list(iter_chunks(path, chunk_rows, []))) >= min(2, rows // chunk_rows)
    whole, chunked = _both(path, chunk_rows)
    _assert_same(whole, chunked)


def test_cli_chunk_rows(tmp_path: Path) -> None:
    frame, _ = make_return(300, provider="RTH", seed=9, defects=10)
    path = tmp_path / "return.csv"
    frame.to_csv(path, index=False)
    runner = CliRunner()
    outputs = []
    for rows in ("0", "50"):
        result = runner.invoke(
            app, ["validate", str(path), "--format", "json", "--chunk-rows", rows]
        )
        assert result.exit_code == 1, result.output
        outputs.append(json.loads(result.output))
    assert outputs[0] == outputs[1]
    bad = runner.invoke(app, ["validate", str(path), "--chunk-rows", "-5"])
    assert bad.exit_code == 2
