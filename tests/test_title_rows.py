"""A title or notes above a return's header (as exported workbooks have): the header is found
below them, with a warning, and the return reads as it would without them."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_audit import validate_return
from lp_audit.reading import read_table
from lp_audit.validation.together import Source, validate_together

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hbyw" / "rth-2025-26-q2.csv"
TODAY = dt.date(2031, 1, 1)


def _findings(path: Path, shift: int = 0, **options: object) -> list[dict[str, object]]:
    """The findings of a return, less the one about the title, lines moved up by ``shift``."""
    result = validate_return(path, today=TODAY, **options)  # type: ignore[arg-type]
    frame = result.findings[result.findings.code != "header-not-first"].copy()
    frame["line"] = frame["line"] - shift
    frame["message"] = frame["message"].str.replace(r"\d+", "#", regex=True)  # lines in words
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _title(path: Path, result_path: Path) -> None:
    """A copy of ``path`` as a workbook exports it with a title: the title and a blank row, as
    wide as the table."""
    text = path.read_text(encoding="utf-8")
    width = text.splitlines()[0].count(",")
    result_path.write_text(
        "Hospital-based youth work: quarterly return"
        + "," * width
        + "\n"
        + "," * width
        + "\n"
        + text,
        encoding="utf-8",
    )


def test_a_title_above_the_header_is_skipped_and_said(tmp_path: Path) -> None:
    titled = tmp_path / "titled.csv"
    _title(EXAMPLE, titled)
    result = validate_return(titled, today=TODAY)  # the definition found below the title too
    said = result.findings[result.findings.code == "header-not-first"]
    assert len(said) == 1 and said.iloc[0].line == 3 and said.iloc[0].severity == "warning"
    assert "lines 1 to 2, above it, were read as a title or notes" in said.iloc[0].message
    assert "quarterly return" not in said.iloc[0].message.lower()  # the title is not repeated
    assert result.rows == validate_return(EXAMPLE, today=TODAY).rows
    assert _findings(titled, shift=2) == _findings(EXAMPLE)


def test_a_title_with_no_delimiter_over_a_semicolon_return(tmp_path: Path) -> None:
    """Written by hand: a title line, a note, a blank line, then the table."""
    rows = list(csv.reader(EXAMPLE.read_text(encoding="utf-8").splitlines()))
    plain, titled = tmp_path / "plain.csv", tmp_path / "titled.csv"
    body = "".join(";".join(r) + "\n" for r in rows)
    plain.write_text(body, encoding="utf-8")
    titled.write_text("RTH return\nSent 3 October\n\n" + body, encoding="utf-8")
    said = validate_return(titled, today=TODAY).findings.query("code == 'header-not-first'")
    assert said.line.tolist() == [4]
    assert _findings(titled, shift=3) == _findings(plain)


def test_a_workbook_with_a_title_reads_as_without(tmp_path: Path) -> None:
    from openpyxl import Workbook

    rows = list(csv.reader(EXAMPLE.read_text(encoding="utf-8").splitlines()))
    for name, top in (("plain", []), ("titled", [["RTH quarterly return"], [], ["Notes: none"]])):
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [*top, *rows]:
            sheet.append(row)
        book.save(tmp_path / f"{name}.xlsx")
    said = validate_return(tmp_path / "titled.xlsx", today=TODAY).findings
    assert said.query("code == 'header-not-first'").line.tolist() == [4]
    assert _findings(tmp_path / "titled.xlsx", shift=3) == _findings(tmp_path / "plain.xlsx")


def test_in_chunks_and_in_an_audits_batch_as_whole(tmp_path: Path) -> None:
    titled = tmp_path / "titled.csv"
    _title(EXAMPLE, titled)
    whole = _findings(titled)
    assert _findings(titled, chunk_rows=7) == whole
    assert _findings(titled, chunk_rows=1) == whole  # the title longer than a chunk
    together = validate_together([Source(titled), Source(EXAMPLE)], today=TODAY)
    found = together[0].findings  # type: ignore[union-attr]
    alone = validate_return(titled, today=TODAY).findings
    pd.testing.assert_frame_equal(found.reset_index(drop=True), alone.reset_index(drop=True))


def test_without_a_definition_or_a_row_naming_its_fields_the_first_row_is_the_header(
    tmp_path: Path,
) -> None:
    titled = tmp_path / "titled.csv"
    _title(EXAMPLE, titled)
    assert read_table(titled).headers[0].startswith("Hospital-based")  # no definition: as is
    other = tmp_path / "other.csv"
    other.write_text("Title\nshoe_size,colour\n9,red\n", encoding="utf-8")
    findings = validate_return(other, "hbyw-quarterly-return@1.0", today=TODAY).findings
    assert "header-not-first" not in set(findings.code)
    assert "missing-column" in set(findings.code)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.text(alphabet="0123456789 :-/", min_size=0, max_size=30), min_size=1, max_size=10
    )
)
def test_any_title_lines_up_to_ten_are_skipped(tmp_path: Path, lines: list[str]) -> None:
    """Titles, dates and notes that name no field, blank lines among them: the same findings
    as without them, their lines moved, and one warning if any line is more than blank."""
    titled = tmp_path / "titled.csv"
    titled.write_text("".join(f"{line}\n" for line in lines) + EXAMPLE.read_text("utf-8"), "utf-8")
    said = validate_return(titled, today=TODAY).findings.query("code == 'header-not-first'")
    titles = any(line.strip(" ") for line in lines)
    assert said.line.tolist() == ([len(lines) + 1] if titles else [])
    assert _findings(titled, shift=len(lines)) == _findings(EXAMPLE)


@pytest.mark.parametrize("above", [11, 12])
def test_more_than_ten_lines_above_is_not_looked_through(tmp_path: Path, above: int) -> None:
    titled = tmp_path / "titled.csv"
    titled.write_text(
        "".join(f"note {i}\n" for i in range(above)) + EXAMPLE.read_text("utf-8"), "utf-8"
    )
    findings = validate_return(titled, "hbyw-quarterly-return@1.0", today=TODAY).findings
    assert "header-not-first" not in set(findings.code)
    assert "missing-column" in set(findings.code)


@pytest.mark.parametrize("top", [",,,,\n", " \n", ";;\n\n"])
def test_rows_of_bare_delimiters_or_spaces_above_the_header_are_blank(
    tmp_path: Path, top: str
) -> None:
    """An exported sheet's empty first row is a line of commas: it was read as the header, and
    the whole file reported empty."""
    padded = tmp_path / "padded.csv"
    padded.write_text(top + EXAMPLE.read_text("utf-8"), "utf-8")
    assert read_table(padded).headers == read_table(EXAMPLE).headers
    shift = top.count("\n")
    assert _findings(padded, shift=shift) == _findings(EXAMPLE)


def test_init_reads_the_provider_and_period_below_a_title(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lp_audit.cli import app

    folder = tmp_path / "returns"
    folder.mkdir()
    _title(EXAMPLE, folder / "rth-2025-26-q2.csv")
    settings = tmp_path / "settings.yaml"
    result = CliRunner().invoke(
        app, ["init", str(folder), "-d", "hbyw-quarterly-return", "--output", str(settings)]
    )
    assert result.exit_code == 0, result.output
    assert "expected:\n  2025-26 Q2: [RTH]" in settings.read_text(encoding="utf-8")
