"""Tolerances: a field's or rule's findings count towards the verdict only past its tolerance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.cli import app

DEFINITION = """\
format: lp-audit/definition-1
name: tolerant
version: "1.0"
title: Tolerant return
fields:
  - {{name: id, label: ID, type: text, required: true}}
  - {{name: colour, label: Colour, type: code, codes: [RED, BLUE], normalise: [case],
     tolerance: {colour}}}
  - {{name: size, label: Size, type: integer}}
  - {{name: limit, label: Limit, type: integer}}
rules:
  - id: size-within-limit
    check: {{compare: size <= limit}}
    message: The size is over the limit.
    tolerance: {rule}
return_rules:
  - {{id: id-unique, unique: [id], message: Each ID once., tolerance: {unique}}}
"""


def _files(
    tmp_path: Path,
    *,
    bad_colours: int = 0,
    lower_case: int = 0,
    over_limit: int = 0,
    repeats: int = 0,
    colour: str = "{error: 5%}",
    rule: str = "{warning: 2}",
    unique: str = "{error: 1}",
) -> tuple[Path, Path]:
    definition = tmp_path / "tolerant.yaml"
    definition.write_text(DEFINITION.format(colour=colour, rule=rule, unique=unique))
    lines = ["id,colour,size,limit"]
    for i in range(100):
        ident = f"A{i - 1}" if 0 < i <= repeats else f"A{i}"
        colour = "GREEN" if i < bad_colours else "red" if i >= 100 - lower_case else "RED"
        lines.append(f"{ident},{colour},{9 if i < over_limit else 1},5")
    data = tmp_path / "return.csv"
    data.write_text("\n".join(lines) + "\n")
    return definition, data


def _validate(definition: Path, data: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["validate", str(data), "-d", str(definition), *extra]
    )
    return result.exit_code, result.output


def test_errors_within_an_error_tolerance_count_as_warnings(tmp_path: Path) -> None:
    definition, data = _files(tmp_path, bad_colours=4)  # 4% of 100 rows, tolerance 5%
    code, out = _validate(definition, data, "--fail-on", "error")
    assert code == 0, out
    assert "4 error(s), 0 warning(s) (after tolerances: 0 error(s), 4 warning(s))" in out
    assert "field colour: 4 error(s), 4.0% of 100 rows" in out
    assert "within its error tolerance (5%): counted as warnings" in out
    assert _validate(definition, data, "--fail-on", "warning")[0] == 1


def test_an_error_tolerance_counts_errors_not_warnings(tmp_path: Path) -> None:
    """Non-standard spellings (warnings) do not use up a tolerance for errors."""
    definition, data = _files(tmp_path, bad_colours=2, lower_case=30)
    code, out = _validate(definition, data, "--fail-on", "error")
    assert code == 0, out
    assert "2 error(s), 30 warning(s) (after tolerances: 0 error(s), 32 warning(s))" in out


def test_errors_past_an_error_tolerance_count_and_say_by_how_much(tmp_path: Path) -> None:
    definition, data = _files(tmp_path, bad_colours=7)
    code, out = _validate(definition, data, "--fail-on", "error")
    assert code == 1
    assert "over its error tolerance (5%) by 2.0 points" in out


@pytest.mark.parametrize(("over", "exit_code"), [(2, 0), (3, 1)])
def test_a_warning_tolerance_in_findings_on_a_rule(
    tmp_path: Path, over: int, exit_code: int
) -> None:
    definition, data = _files(tmp_path, over_limit=over)  # the rule tolerates 2 findings
    code, out = _validate(definition, data, "--fail-on", "warning")
    assert code == exit_code, out
    expected = "not counted" if over == 2 else "over its warning tolerance (2) by 1 finding(s)"
    assert f"rule size-within-limit: {over} finding(s)" in out and expected in out


def test_a_return_rule_tolerance_and_the_json_document(tmp_path: Path) -> None:
    definition, data = _files(tmp_path, repeats=1)
    code, out = _validate(definition, data, "--format", "json")
    document = json.loads(out)["returns"][0]
    assert code == 0
    assert document["counts"] == {"error": 1, "warning": 0}
    assert document["verdict"] == {"error": 0, "warning": 1}
    (tolerance,) = document["tolerances"]
    assert tolerance["rule"] == "id-unique" and tolerance["counted_as"] == "warnings"
    assert tolerance["tolerance"] == {"error": "1"}


def test_ci_formats_follow_the_tolerance(tmp_path: Path) -> None:
    definition, data = _files(tmp_path, bad_colours=3, colour="{warning: 5%}")
    github = _validate(definition, data, "--format", "github")[1]
    assert github.count("::notice ") == 3 and "::error" not in github
    junit = _validate(definition, data, "--format", "junit")[1]
    assert 'failures="0"' in junit and "error (counted as tolerated)" in junit
    markdown = _validate(definition, data, "--format", "markdown")[1]
    assert "- Tolerance: field colour: 3 finding(s)" in markdown


def test_audit_fail_on_follows_the_tolerance(tmp_path: Path) -> None:
    definition, data = _files(tmp_path, bad_colours=4)
    folder = tmp_path / "returns"
    folder.mkdir()
    data.rename(folder / "return.csv")
    args = ["audit", str(folder), "-d", str(definition), "--fail-on", "error"]
    assert CliRunner().invoke(app, args).exit_code == 0
    definition.write_text(definition.read_text().replace("{error: 5%}", "{error: 3%}"))
    assert CliRunner().invoke(app, args).exit_code == 1


@pytest.mark.parametrize(
    ("tolerance", "problem"),
    [
        ("{error: lots}", "'lots' is not a tolerance"),
        ("{error: 150%}", "'150%' is not a tolerance"),
        ("{warning: 20%, error: 10%}", "the warning tolerance is above the error tolerance"),
        ("{}", "name a warning or an error tolerance"),
        ("{fatal: 1}", "unknown key 'fatal'"),
    ],
)
def test_a_malformed_tolerance_is_a_definition_problem(
    tmp_path: Path, tolerance: str, problem: str
) -> None:
    definition, _ = _files(tmp_path, colour=tolerance)
    result = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert result.exit_code == 2
    assert f"{definition}:8: fields.colour.tolerance" in result.output and problem in result.output


def test_the_readme_tolerance_example_is_real_output(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Tolerances", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    text = (root / "definitions" / "hbyw-quarterly-return" / "1.0.yaml").read_text()
    marker = "  - name: ethnicity\n    label: Ethnicity\n    type: code\n    required: true\n"
    assert marker in text
    definition = tmp_path / "hbyw.yaml"
    definition.write_text(text.replace(marker, marker + "    tolerance: {error: 5%}\n"))
    data = root / "examples" / "hbyw" / "rth-2025-26-q2.csv"
    code, out = _validate(definition, data)
    assert code == 1
    for line in block.strip().splitlines():
        assert line.strip() in out
