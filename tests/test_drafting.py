"""``lp-audit definitions infer``: a draft definition from sample returns."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.definitions import Definition, load_definition_file
from lp_audit.drafting import infer_definition
from lp_audit.validation import validate_returns

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "hbyw").glob("*.csv"))
HAND_WRITTEN = ROOT / "definitions" / "hbyw-quarterly-return" / "1.0.yaml"


@pytest.fixture(scope="module")
def draft_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("draft") / "draft.yaml"
    result = CliRunner().invoke(
        app, ["definitions", "infer", *map(str, EXAMPLES), "--output", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path


def _fold(value: str, definition_field: object) -> str:
    normalise = getattr(definition_field, "normalise", ())
    value = value.strip()
    if "case" in normalise:
        value = value.upper()
    if "leading_zeros" in normalise and re.fullmatch(r"\d+", value):
        value = value.lstrip("0") or "0"
    return value


def test_the_draft_of_the_examples_matches_the_hand_written_definition(draft_path: Path) -> None:
    """Types, codes and required flags agree for at least 90% of the fields.

    Codes agree when the draft lists (as codes or "not known" codes) exactly the hand-written
    definition's codes that occur in the samples: codes no sample uses cannot be inferred.
    """
    draft = load_definition_file(draft_path)
    truth = load_definition_file(HAND_WRITTEN)
    samples = pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in EXAMPLES], ignore_index=True
    )
    matched, mismatched = 0, []
    for want in truth.fields:
        got = draft.field(want.name)
        problems = []
        if got.type != want.type:
            problems.append(f"type {got.type} not {want.type}")
        if got.required != want.required:
            problems.append(f"required {got.required} not {want.required}")
        if want.is_coded:
            values = samples[want.name]
            if want.type == "multi_code":
                values = values.str.split(want.separator).explode()
            seen = {_fold(v, want) for v in values if v.strip()}
            expected = {c.value for c in want.codes} & seen
            drafted = {_fold(c.value, want) for c in got.codes}
            if drafted != expected:
                problems.append(f"codes {sorted(drafted ^ expected)} differ")
        if want.sensitive and not got.sensitive:
            problems.append("not marked sensitive")
        if problems:
            mismatched.append(f"{want.name}: {'; '.join(problems)}")
        else:
            matched += 1
    assert matched / len(truth.fields) >= 0.9, mismatched
    assert all(got.sensitive for got in draft.fields if truth.field(got.name).sensitive)


def test_the_draft_passes_check_and_validates_its_samples_with_no_error(draft_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["definitions", "check", str(draft_path)]).exit_code == 0
    validate = ["validate", *map(str, EXAMPLES), "-d", str(draft_path), "--fail-on", "error"]
    result = runner.invoke(app, validate)
    assert result.exit_code == 0, result.output
    # the samples' own errors are still found, counted as warnings within a tolerance
    assert "invalid-date" in result.output and "counted as warnings" in result.output


def test_no_value_of_a_sensitive_column_is_copied_into_the_draft(draft_path: Path) -> None:
    text = draft_path.read_text(encoding="utf-8")
    samples = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in EXAMPLES])
    for column in ("person_id", "nhs_number", "postcode_district", "notes"):
        for value in set(samples[column]) - {""}:
            assert value not in text, (column, value)
    assert "sensitive: true  # its name suggests an NHS number" in text


def test_the_draft_says_what_it_could_not_decide(draft_path: Path) -> None:
    text = draft_path.read_text(encoding="utf-8")
    assert "# TODO: give each code its label" in text
    assert "do not fit this type (e.g. '2025-02-30'" in text
    assert "tolerance: {error: 1}  # the samples have duplicate-id ×1" in text
    assert "return:\n  period_field: return_period" in text
    assert "provider_field: provider_code" in text
    assert "unique: [referral_id]" in text


def _infer(tmp_path: Path, text: str, name: str = "sample.csv") -> tuple[str, Definition]:
    sample = tmp_path / name
    sample.write_text(text, encoding="utf-8")
    draft = infer_definition([sample])
    path = tmp_path / "draft.yaml"
    path.write_text(draft.text, encoding="utf-8")
    definition = load_definition_file(path)
    assert validate_returns([sample], definition).failing("error") is False
    return draft.text, definition


def test_bad_samples_give_a_draft_that_says_what_it_could_not_decide(tmp_path: Path) -> None:
    text, _ = _infer(tmp_path, "12,2025-04-01,A\n13,2025-04-02,B\n")
    assert "looks like data, not column names" in text
    text, definition = _infer(tmp_path, "id,colour\n1,RED\n")  # a single row
    assert definition.field("colour").type in ("code", "text")
    text, definition = _infer(tmp_path, "id,empty\n1,\n2,\n3,\n")
    assert "blank in every row of the samples" in text
    assert definition.field("empty").required is False
    mixed = "id,amount\n" + "".join(f"{i},{i * 3}\n" for i in range(60)) + "60,lots\n"
    text, definition = _infer(tmp_path, mixed)
    assert definition.field("amount").type == "integer" and "(e.g. lots)" in text
    many = "id,town\n" + "".join(f"{i},T{i % 500}\n" for i in range(2000))
    text, definition = _infer(tmp_path, many)
    assert definition.field("town").type == "text" and "too many for a list of codes" in text


def test_a_workbook_sample_and_a_folder(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Case ID": ["A1", "A2", "A3"], "Outcome": ["YES", "NO", "YES"]})
    frame.to_excel(tmp_path / "sample.xlsx", index=False)
    result = CliRunner().invoke(app, ["definitions", "infer", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "- name: case_id" in result.stdout and "aliases: [Case ID]" in result.stdout
    assert "codes: ['YES', 'NO']" in result.stdout or "codes: [YES, NO]" in result.stdout


def test_unreadable_samples_are_one_line_and_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["definitions", "infer", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    empty = runner.invoke(app, ["definitions", "infer", str(tmp_path)])
    assert empty.exit_code == 2 and "no CSV or XLSX files" in empty.output
    sample = tmp_path / "s.csv"
    sample.write_text("a,b\n1,2\n")
    same = runner.invoke(app, ["definitions", "infer", str(sample), "-o", str(sample)])
    assert same.exit_code == 2 and sample.read_text() == "a,b\n1,2\n"


CELLS = st.one_of(
    st.sampled_from(["", " ", "X", "9", "01", "1", "RED", "red", "2025-04-01", "31/02/2025"]),
    st.text(alphabet="ab|;-/ 0123456789", max_size=6),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.integers(1, 4),
    rows=st.lists(st.lists(CELLS, min_size=4, max_size=4), min_size=1, max_size=12),
)
def test_any_small_table_gives_a_draft_that_loads_and_passes_its_samples(
    tmp_path: Path, columns: int, rows: list[list[str]]
) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([f"col_{i}" for i in range(columns)])
    for row in rows:
        writer.writerow(row[:columns])
    _infer(tmp_path, buffer.getvalue())


def test_init_drafts_settings_the_audit_reads(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "returns"
    shutil.copytree(ROOT / "examples" / "hbyw", folder)
    (folder / "lp-audit.yaml").unlink()
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(folder), "-d", "hbyw-quarterly-return"])
    assert result.exit_code == 0, result.output
    text = (folder / "lp-audit.yaml").read_text(encoding="utf-8")
    assert "definition: hbyw-quarterly-return" in text
    assert "  RTH: RTH  # TODO: the provider's name" in text
    assert "  2025-26 Q2: [OAS, RTH, SGT]" in text
    assert "suppression: {min_count: 5, min_denominator: 10}" in text
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) >= 15  # every key is explained
    audit = runner.invoke(app, ["audit", str(folder), "--fail-on", "error"])
    # OAS sent nothing for Q2: the drafted expectations make that a finding CI can gate on
    assert "8 of 9 expected returns received" in audit.stdout and audit.exit_code == 1
    again = runner.invoke(app, ["init", str(folder)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert (folder / "lp-audit.yaml").read_text(encoding="utf-8") == text


def test_init_names_a_definition_file_relative_to_the_settings(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "data" / "returns"
    shutil.copytree(ROOT / "examples" / "hbyw", folder)
    (folder / "lp-audit.yaml").unlink()
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    shutil.copy(HAND_WRITTEN, definitions / "mine.yaml")
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(folder), "-d", str(definitions / "mine.yaml")])
    assert result.exit_code == 0, result.output
    text = (folder / "lp-audit.yaml").read_text(encoding="utf-8")
    assert "definition: ../../definitions/mine.yaml" in text
    audit = runner.invoke(app, ["audit", str(folder)])
    assert audit.exit_code in (0, 1) and "hbyw-quarterly-return@1.0" in audit.stdout


def test_init_without_returns_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2 and "no CSV or XLSX returns" in result.output
    assert not (tmp_path / "lp-audit.yaml").exists()
    missing = CliRunner().invoke(app, ["init", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not a folder" in missing.output


def test_a_column_of_bare_separators_is_not_a_list_of_codes(tmp_path: Path) -> None:
    """Found by the property test: ';' alone split into no codes at all."""
    _, definition = _infer(tmp_path, "col_0\n;\n")
    assert definition.field("col_0").type == "text"


def test_a_nine_among_numbered_codes_is_a_code_and_apart_from_them_not_known(
    tmp_path: Path,
) -> None:
    """Found trying a return of school exclusions: year group 9 was drafted as 'not known'."""
    years = ["7", "8", "9", "10", "11", "R"]
    sexes = ["1", "2", "9"]
    scales = ["1", "2", "3", "9", "99"]
    rows = "".join(f"{i},{years[i % 6]},{sexes[i % 3]},{scales[i % 5]}\n" for i in range(120))
    text, definition = _infer(tmp_path, "id,year_group,sex,scale\n" + rows)
    year_group = definition.field("year_group")
    assert year_group.valid_codes == ("7", "8", "9", "10", "11", "R")  # in order, not by use
    assert year_group.unknown_codes == ()
    assert "# 9: a code among the other numbers, not 'not known'" in text
    assert definition.field("sex").unknown_codes == ("9",)
    assert set(definition.field("scale").unknown_codes) == {"9", "99"}
    assert set(definition.field("scale").valid_codes) == {"1", "2", "3"}


def test_a_draft_from_samples_with_a_title_above_the_header(tmp_path: Path) -> None:
    """Exported workbooks put a title and notes above the column names: the draft reads the
    header below them, says where it found it, and its fields are those of the plain sample."""
    plain = EXAMPLES[0].read_text(encoding="utf-8").replace(",", ";")
    _, expected = _infer(tmp_path, plain, "plain.csv")
    text, definition = _infer(tmp_path, "RTH return\n\nSent: 3 October\n" + plain, "titled.csv")
    assert definition.field_names == expected.field_names
    assert "the header of" in text and "titled.csv is on line 4" in text
    _, one_column = _infer(tmp_path, "id\n1\n2\n3\n", "one.csv")  # a line of one is a header
    assert one_column.field_names == ("id",)
