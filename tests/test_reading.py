"""Reading returns: encodings, delimiters, line numbers, and files that are not what they seem."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FUZZ_EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_audit import ReturnReadError
from lp_audit.reading import read_table
from lp_audit.reading.delimited import _repetitive_by_csv, _repetitive_by_pyarrow

Write = Callable[..., Path]
HEADER = "a,b,c\n"


def codes(table) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in table.findings]


def test_reader_keeps_na_like_text_as_values(write: Write) -> None:
    table = read_table(write(HEADER + "N/A,NA,null\nNone,nan,\n"))
    assert table.cells.iloc[0].tolist() == ["N/A", "NA", "null"]
    assert table.cells.iloc[1].tolist() == ["None", "nan", ""]


@pytest.mark.parametrize(
    ("encoding", "bom", "reported"),
    [
        ("utf-8", b"", None),
        ("utf-8", b"\xef\xbb\xbf", None),
        ("cp1252", b"", "Windows-1252"),
        ("utf-16-le", b"\xff\xfe", "UTF-16"),
    ],
)
def test_reader_detects_encodings(
    write: Write, encoding: str, bom: bytes, reported: str | None
) -> None:
    text = "name,town\nZoë,Café £5\n"
    table = read_table(write(bom + text.encode(encoding)))
    assert table.headers == ["name", "town"]
    assert table.cells.iloc[0].tolist() == ["Zoë", "Café £5"]
    if reported:
        assert codes(table) == ["encoding"] and reported in table.findings[0].message
    else:
        assert codes(table) == []


def test_reader_reports_line_of_first_non_utf8_byte(write: Write) -> None:
    body = ("x,y\n" + "1,2\n" * 50).encode() + "é,3\n".encode("cp1252")
    table = read_table(write(body))
    assert "line 52" in table.findings[0].message


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_reader_sniffs_delimiters(write: Write, delimiter: str) -> None:
    table = read_table(write(f"a{delimiter}b\r\n1{delimiter}2\r\n"))
    assert table.delimiter == delimiter
    assert table.cells.iloc[0].tolist() == ["1", "2"]


def test_quoted_multiline_cell_does_not_shift_line_numbers(write: Write) -> None:
    table = read_table(write(HEADER + '1,"two\nlines",3\n4,5,6\n'))
    assert table.lines.tolist() == [2, 4]
    assert table.cells.iloc[0, 1] == "two\nlines"


def test_blank_lines_are_skipped_reported_and_counted(write: Write) -> None:
    table = read_table(write(HEADER + "1,2,3\n\n,,\n4,5,6\n"))
    assert table.lines.tolist() == [2, 5]
    assert codes(table) == ["blank-rows"]
    assert table.findings[0].line == 3


def test_totals_row_is_dropped_with_a_warning(write: Write) -> None:
    table = read_table(write(HEADER + "1,2,3\nTotal,,3\n"))
    assert len(table.cells) == 1
    assert codes(table) == ["totals-row"] and table.findings[0].line == 3


def test_ragged_rows_are_reported_with_lines(write: Write) -> None:
    table = read_table(write(HEADER + "1,2,3\n1,2,3,4\n1,2\n7,8,9\n"))
    assert table.lines.tolist() == [2, 3, 4, 5]
    found = {f.code: f.line for f in table.findings}
    assert found == {"extra-cells": 3, "missing-cells": 4}
    assert table.cells.iloc[2].tolist() == ["1", "2", ""]


def test_unterminated_quote_is_reported_at_its_line(write: Write) -> None:
    table = read_table(write(HEADER + '1,2,3\n4,"5,6\n7,8,9\n'))
    assert [(f.code, f.line) for f in table.findings] == [("unterminated-quote", 3)]
    assert len(table.cells) == 1


def test_empty_file_and_header_only(write: Write) -> None:
    assert codes(read_table(write(b""))) == ["empty-file"]
    assert codes(read_table(write(b"\xef\xbb\xbf"))) == ["empty-file"]
    header_only = read_table(write(HEADER))
    assert header_only.headers == ["a", "b", "c"] and len(header_only.cells) == 0


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in names:
            z.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        (_zip(["data.txt"]), "ZIP archive"),
        (_zip(["xl/workbook.xml"]), "Excel workbook saved with a .csv name"),
        (b"a,b\n1,\x002\n", "binary"),
    ],
)
def test_binary_files_named_csv_get_a_clear_error(
    write: Write, content: bytes, expected: str
) -> None:
    with pytest.raises(ReturnReadError) as info:
        read_table(write(content))
    assert expected in str(info.value)


def test_missing_path_and_folder_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ReturnReadError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(ReturnReadError, match="is a folder"):
        read_table(tmp_path)


def test_xlsx_rows_are_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["a", "b"])
    ws.append([None, None])
    ws.append([dt.datetime(2025, 7, 3), 17.0])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.lines.tolist() == [3]
    assert table.cells.iloc[0].tolist() == ["2025-07-03", "17"]


def test_xlsx_values_right_of_the_header_are_reported_not_dropped(tmp_path: Path) -> None:
    """A CSV row longer than its header is `extra-cells`; a sheet's values past the header's
    last column were silently left out."""
    from openpyxl import Workbook

    from lp_audit import validate_return

    wb = Workbook()
    ws = wb.active
    ws.append(["referral_id", "person_id"])
    ws.append(["R1", "P1"])
    ws.append(["R2", "P2", None, "seen twice"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    table = read_table(path)
    assert table.headers == ["referral_id", "person_id", "", ""]
    assert table.cells.iloc[1].tolist() == ["R2", "P2", "", "seen twice"]
    findings = validate_return(path, "hbyw-quarterly-return@1.0").findings
    said = findings[findings.code == "unknown-column"]
    assert (
        said.column.tolist() == ["D"]
        and "Column D has values but no header" in said.message.iloc[0]
    )


cell = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\t|é£')), max_size=8)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_reader_round_trips_random_csv_with_physical_lines(
    tmp_path: Path, rows: list[list[str]], delimiter: str, encoding: str, newline: str
) -> None:
    import csv

    rows = [[c.replace("\r", "") for c in r] for r in rows]
    rows = [r for r in rows if any(c.strip() for c in r)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(["h1", "h2", "h3"])
    lines, line = [], 2
    for r in rows:
        writer.writerow(r)
        lines.append(line)
        line += sum(c.count("\n") for c in r) + 1
    path = tmp_path / "r.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    table = read_table(path)
    assert table.headers == ["h1", "h2", "h3"]
    got = [[c.replace("\r\n", "\n") for c in r] for r in table.cells.values.tolist()]
    assert got == rows
    assert table.lines.tolist() == lines


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(content=st.binary(max_size=300))
def test_reader_never_crashes_on_arbitrary_bytes(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "r.csv"
    path.write_bytes(content)
    try:
        table = read_table(path)
    except ReturnReadError as exc:
        assert str(path) in str(exc)
    else:
        assert len(table.lines) == len(table.cells)


@settings(max_examples=40, deadline=None)
@given(body=st.text(alphabet=st.sampled_from(list('ab1,;"\n|-/ ')), max_size=200))
def test_validation_never_raises_on_arbitrary_rows(
    tmp_path_factory: pytest.TempPathFactory, body: str
) -> None:
    from lp_audit import load_definition, validate_return

    definition = load_definition("hbyw-quarterly-return@1.0")
    path = tmp_path_factory.mktemp("fuzz") / "r.csv"
    path.write_text(",".join(definition.field_names) + "\n" + body)
    result = validate_return(path, definition)
    assert result.rows <= body.count("\n") + 1
    assert set(result.findings.severity) <= {"error", "warning"}


def test_reading_while_pandas_is_imported_in_a_thread(tmp_path: Path) -> None:
    """Large files are read while a thread imports pandas (see import_pandas_meanwhile): in a
    fresh process, with every file counted as large, the findings are those read in turn."""
    import json
    import subprocess
    import sys

    from lp_audit import validate_return
    from lp_audit.synthetic import make_return

    frame, _ = make_return(300, seed=3, defects=20)
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    code = (
        "import json, sys\n"
        "import lp_audit.validation.validate as v\n"
        "v.REUSE_MEMORY_BYTES = -1  # every file is large\n"
        "assert 'pandas' not in sys.modules\n"
        "r = v.validate_return(sys.argv[1], chunk_rows=0)\n"
        "print(json.dumps(r.to_dict()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    expected = json.loads(json.dumps(validate_return(path, chunk_rows=0).to_dict()))
    assert json.loads(out.stdout) == expected
    assert expected["findings"]


_CELL = st.text(alphabet='ab ,"\n1é', max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), min_size=1, max_size=40),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_columns_sampled_as_repetitive_are_the_same_read_by_pyarrow_or_the_csv_module(
    rows: list[list[str]], delimiter: str
) -> None:
    # pyarrow samples a return's first records for the columns of few values; the csv
    # module, which it stands in for, must agree wherever pyarrow takes the sample
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    data = buffer.getvalue().encode()
    by_pyarrow = _repetitive_by_pyarrow(data, delimiter, len(rows), 3)
    if b"\n\n" not in data and all(any(cell for cell in row) for row in rows):
        assert by_pyarrow is not None
    if by_pyarrow is not None:
        assert by_pyarrow == _repetitive_by_csv(data, delimiter)


def test_a_ragged_sample_is_left_to_the_csv_module() -> None:
    data = b"a,b,c\nd,e\nf,g,h\n"
    assert _repetitive_by_pyarrow(data, ",", 3, 3) is None


def test_files_of_one_header_read_in_turn_take_the_first_ones_columns_of_few_values(
    tmp_path: Path,
) -> None:
    import pandas as pd

    header = "id,code,note\n"
    # the first file has enough rows to tell: its codes repeat, its IDs and notes do not
    (tmp_path / "a.csv").write_text(
        header + "".join(f"a{i},{'XYZ'[i % 3]},note {i}\n" for i in range(1_200))
    )
    # the second is small, and alone would read its one ID as repeating
    (tmp_path / "b.csv").write_text(header + "b1,Q,one\nb1,R,two\n" * 20)
    (tmp_path / "c.csv").write_text("id;code;note\n" + "c1;Q;x\n" * 5)  # another header
    learned: dict[tuple[str, tuple[str, ...]], frozenset[int]] = {}
    first = read_table(tmp_path / "a.csv", learned=learned)
    assert learned == {(",", ("id", "code", "note")): frozenset({1})}
    for name in ("b.csv", "c.csv"):
        alone = read_table(tmp_path / name)
        taught = read_table(tmp_path / name, learned=learned)
        for column in alone.cells.columns:  # the same text, whatever its type
            assert list(taught.cells[column].astype(str)) == list(alone.cells[column].astype(str))
        assert list(taught.lines) == list(alone.lines)
    kinds = [isinstance(t, pd.CategoricalDtype) for t in first.cells.dtypes]
    assert kinds == [False, True, False]
    taught = read_table(tmp_path / "b.csv", learned=learned)
    assert [isinstance(t, pd.CategoricalDtype) for t in taught.cells.dtypes] == kinds
    alone = read_table(tmp_path / "b.csv")
    assert isinstance(alone.cells[0].dtype, pd.CategoricalDtype)  # what it would have sampled
    # fewer than 1,000 records teach nothing: another folder's small files sample their own
    assert len(learned) == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    periods=st.lists(
        st.sampled_from(["2025-26 Q1", " 2025-26 Q2", "2025-26 Q2 ", "", "  ", "2025-26 Q3"]),
        min_size=1,
        max_size=40,
    )
)
def test_a_returns_period_is_the_same_read_in_arrow_or_pandas(
    tmp_path: Path, periods: list[str]
) -> None:
    from lp_audit.definitions import load_definition
    from lp_audit.validation.identity import period_in

    definition = load_definition("hbyw-quarterly-return@1.0")
    path = tmp_path / "r.csv"
    # each repeated, so that the column is read as categories (a dictionary in Arrow)
    path.write_text("return_period,provider_code\n" + "".join(f'"{p}",OAS\n' for p in periods) * 30)
    table = read_table(path, arrow=True)
    assert table.arrow is not None
    assert period_in(table, definition) == period_in(read_table(path), definition)
