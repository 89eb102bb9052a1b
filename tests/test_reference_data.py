"""Code lists kept in CSV files beside a definition: read as the field's codes, refused with
the file and line when malformed, and recorded (by SHA-256) in what an audit was made from."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import audit, load_definition, validate_return
from lp_audit.cli import app

DEFINITION = """\
format: lp-audit/definition-1
name: placements
version: "1.0"
title: Placements
fields:
  - {name: child, label: Child, type: text, required: true}
  - name: home_la
    label: Home local authority
    type: code
    required: true
    codes: {file: reference/local-authorities.csv, code: code, label: name}
"""

CODES = "code,name\nE06000043,Brighton and Hove\nE10000032,West Sussex\nE10000011,East Sussex\n"


def _definition(tmp_path: Path, codes: str = CODES, spec: str | None = None) -> Path:
    folder = tmp_path / "definition"
    (folder / "reference").mkdir(parents=True)
    (folder / "reference" / "local-authorities.csv").write_text(codes)
    text = DEFINITION
    if spec is not None:
        text = text.replace(
            "{file: reference/local-authorities.csv, code: code, label: name}", spec
        )
    (folder / "placements.yaml").write_text(text)
    return folder / "placements.yaml"


def test_a_code_list_from_a_file_checks_the_field(tmp_path: Path) -> None:
    definition = load_definition(_definition(tmp_path))
    field = definition.field("home_la")
    assert [c.value for c in field.codes] == ["E06000043", "E10000032", "E10000011"]
    assert field.code_label("E10000032") == "West Sussex"
    digest = hashlib.sha256(CODES.encode()).hexdigest()
    assert definition.references == (("reference/local-authorities.csv", digest),)
    data = tmp_path / "return.csv"
    data.write_text("child,home_la\nC1,E06000043\nC2,E99999999\n")
    result = validate_return(data, definition)
    [finding] = result.finding_objects()
    assert (finding.line, finding.field, finding.value) == (3, "home_la", "E99999999")
    # the validation's JSON says which version of the list the return was checked against
    assert result.to_dict()["references"] == [
        {"path": "reference/local-authorities.csv", "sha256": digest}
    ]
    spec = tmp_path / "definition" / "placements.yaml"
    out = CliRunner().invoke(app, ["validate", str(data), "-d", str(spec), "--format", "json"])
    assert json.loads(out.stdout)["returns"][0]["references"][0]["sha256"] == digest


def test_an_audit_says_which_code_list_it_used(tmp_path: Path) -> None:
    definition = _definition(tmp_path)
    returns = tmp_path / "returns"
    returns.mkdir()
    (returns / "a.csv").write_text("child,home_la\nC1,E06000043\n")
    result = audit(returns, definition, today=dt.date(2026, 1, 1))
    digest = hashlib.sha256(CODES.encode()).hexdigest()
    assert ("placements@1.0/reference/local-authorities.csv", digest) in result.inputs
    # a results store validates again when the list changes
    store = tmp_path / "store"
    audit(returns, definition, today=dt.date(2026, 1, 1), store=store)
    assert audit(returns, definition, today=dt.date(2026, 1, 1), store=store).read_back
    (definition.parent / "reference" / "local-authorities.csv").write_text(
        CODES + "E10000016,Kent\n"
    )
    assert not audit(returns, definition, today=dt.date(2026, 1, 1), store=store).read_back


@pytest.mark.parametrize(
    ("codes", "spec", "where", "said"),
    [
        (CODES, "{file: reference/none.csv}", "placements.yaml:", "no such file"),
        (CODES, "{file: /etc/passwd}", "placements.yaml:", "in the definition's folder"),
        (CODES, "{file: ../outside.csv}", "placements.yaml:", "in the definition's folder"),
        (CODES, "{file: reference/local-authorities.csv, code: gss}", "placements.yaml:",
         "has no column 'gss'"),
        (CODES + "E10000032,West Sussex again\n", None, "local-authorities.csv:5:",
         "code 'E10000032' again (first on line 3)"),
        (CODES + ",Nowhere\n", None, "local-authorities.csv:5:", "a row without a code"),
        ("code,name\n", None, "placements.yaml:", "lists no codes"),
    ],
)  # fmt: skip
def test_a_malformed_code_list_is_located(
    tmp_path: Path, codes: str, spec: str | None, where: str, said: str
) -> None:
    definition = _definition(tmp_path, codes, spec)
    outcome = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert outcome.exit_code != 0, outcome.output
    line = next((x for x in outcome.output.splitlines() if said in x), "")
    assert where in line, outcome.output
    assert "Traceback" not in outcome.output


def test_a_value_among_another_fields_codes(tmp_path: Path) -> None:
    definition = _definition(tmp_path)
    definition.write_text(
        definition.read_text()
        + "  - {name: placed_in, label: Placement local authority, type: text}\n"
        + "rules:\n"
        + "  - id: R7\n"
        + "    when: {field: placed_in, blank: false}\n"
        + "    check: {field: placed_in, in_codes_of: home_la}\n"
        + "    message: The placement's local authority is not one of the codes of local authorities.\n"
    )
    loaded = load_definition(definition)
    [rule] = loaded.rules
    assert rule.check.values == ("E06000043", "E10000032", "E10000011")  # type: ignore[union-attr]
    assert "is one of the codes of Home local authority" in rule.check.describe(loaded.labels())
    data = tmp_path / "return.csv"
    data.write_text(
        "child,home_la,placed_in\nC1,E06000043,E10000032\nC2,E06000043,\nC3,E06000043,W06000015\n"
    )
    findings = validate_return(data, loaded).finding_objects()
    assert [(f.rule, f.line) for f in findings] == [("R7", 4)]
    # the codes of a field with none: a located problem
    definition.write_text(
        definition.read_text().replace("in_codes_of: home_la", "in_codes_of: child")
    )
    outcome = CliRunner().invoke(app, ["definitions", "check", str(definition)])
    assert outcome.exit_code != 0 and "in_codes_of names 'child'" in outcome.output
