"""Definitions as documents: the data dictionary and the differences between versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.definitions import load_definition
from lp_audit.documents.dictionary import diff_definitions, render_dictionary

V1 = "hbyw-quarterly-return@1.0"
V2 = "hbyw-quarterly-return@2.0"


@pytest.mark.parametrize(
    ("ref", "fmt", "name"),
    [
        (V1, "html", "dictionary-1.0.html"),
        (V1, "markdown", "dictionary-1.0.md"),
        (V2, "html", "dictionary-2.0.html"),
        (V2, "markdown", "dictionary-2.0.md"),
    ],
)
def test_data_dictionary_matches_golden(
    ref: str, fmt: str, name: str, golden: Callable[[str, str], None]
) -> None:
    golden(name, render_dictionary(load_definition(ref), fmt))


def test_dictionary_describes_every_field_code_and_rule() -> None:
    definition = load_definition(V1)
    html = render_dictionary(definition, "html")
    for f in definition.fields:
        assert f'id="field-{f.name}"' in html
        for code in f.codes:
            assert f"<code>{code.value}</code>" in html
    assert "Required when Injury intent is ASSAULT" in html
    assert "The first contact was more than 14 days after the referral. (warning)" in html
    assert "Sensitive" in html and "<script" not in html


def test_diff_of_1_0_to_2_0_lists_exactly_the_specified_changes() -> None:
    changes = {
        (c.kind, c.subject) for c in diff_definitions(load_definition(V1), load_definition(V2))
    }
    assert changes == {
        ("field-removed", "gender"),
        ("field-removed", "postcode_district"),
        ("field-renamed", "contacts"),
        ("field-added", "gender_identity"),
        ("field-added", "injury_mechanism_other"),
        ("field-added", "reattendance_12m"),
        ("code-added", "injury_mechanism"),
        ("in-force", V2),
    }


def test_diff_and_docs_through_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["definitions", "diff", V1, V2, "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["from"] == V1 and len(document["changes"]) == 8
    notes = runner.invoke(app, ["definitions", "diff", V1, V2, "--format", "markdown"]).stdout
    assert notes.startswith("# Changes from") and "STRANGULATION" in notes
    out = tmp_path / "dictionary.html"
    assert runner.invoke(app, ["definitions", "docs", V2, "--output", str(out)]).exit_code == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and "gender_identity" in out.read_text()
    assert runner.invoke(app, ["definitions", "diff", V1, "nope@9"]).exit_code == 2
