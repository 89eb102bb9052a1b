"""``lp_audit.pandera_schema``: the definition as a pandera schema a user runs on their own text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from lp_audit import load_definition, pandera_schema, validate_return
from lp_audit.synthetic import make_return

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "hbyw").glob("*.csv"))


def _failing_rows(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> set[tuple[int, str]]:
    """(line, field) of every failure, lines counted as the file's (header = line 1)."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return set()
    rows = set()
    for index, check, column in zip(cases["index"], cases["check"], cases["column"], strict=True):
        where = check.split(": ")[0]
        # a rule is reported once per column of the frame; it is about its first field
        if where.startswith("rule "):
            continue
        rows.add((int(index) + 2, where if where == column else column))
    return rows


def _finding_rows(path: Path | str, **kwargs: object) -> tuple[set[tuple[int, str]], object]:
    result = validate_return(path, **kwargs)  # type: ignore[arg-type]
    located = result.findings[result.findings["line"].notna() & result.findings["rule"].isna()]
    return {
        (int(line), str(field))
        for line, field in zip(located["line"], located["field"], strict=True)
    }, result


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("blanks", ["as-missing", "as-empty-text"])
def test_the_schema_finds_the_rows_validate_return_finds(path: Path, blanks: str) -> None:
    want, result = _finding_rows(path)
    schema = pandera_schema(
        load_definition(result.definition),  # type: ignore[attr-defined]
        period=result.period,  # type: ignore[attr-defined]
        provider=result.provider,  # type: ignore[attr-defined]
    )
    frame = pd.read_csv(path, dtype=str, keep_default_na=blanks == "as-missing")
    assert _failing_rows(schema, frame) == want


def test_rules_and_every_kind_of_defect_match_on_a_generated_return(tmp_path: Path) -> None:
    frame, _ = make_return(600, provider="SGT", seed=11, defects=120)
    frame.loc[5, "referral_id"] = frame.loc[4, "referral_id"]
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    result = validate_return(path)
    schema = pandera_schema(
        load_definition(result.definition), period=result.period, provider=result.provider
    )
    try:
        schema.validate(pd.read_csv(path, dtype=str), lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    # every finding's code appears among the schema's check names, and no other code does
    codes = {c.split(": ")[1] for c in cases["check"]}
    located = result.findings[result.findings["line"].notna()]
    assert codes == set(located["code"])
    # rules: the same failing lines
    for code in {"duplicate-id", "rule-failed"} & codes:
        lines = {
            int(i) + 2
            for i, c in zip(cases["index"], cases["check"], strict=True)
            if c.endswith(code)
        }
        assert lines == set(located.loc[located["code"] == code, "line"].astype(int))


def test_the_schema_names_checks_so_a_reader_needs_no_other_table() -> None:
    schema = pandera_schema(load_definition("hbyw-quarterly-return@1.0"))
    names = [c.name for column in schema.columns.values() for c in column.checks]
    assert "age_at_referral: out-of-range" in names and "referral_date: invalid-date" in names
    described = [c.description for column in schema.columns.values() for c in column.checks]
    assert any(d and d.startswith("error: Age at referral") for d in described)
    assert all(":" in name and not name[-1].isdigit() for name in names)
