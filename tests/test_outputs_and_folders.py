"""What the commands refuse before reading, and what an audit of an odd folder says.

Each test here failed before its fix (issues "Hardening 2" and "What people see").
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.synthetic import make_return

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hbyw" / "oas-2025-26-q1.csv"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _same_file_three_ways(tmp_path: Path) -> list[tuple[Path, Path]]:
    """(input, output) pairs naming one file: the same path, a symbolic link, a hard link."""
    data = tmp_path / "same.csv"
    shutil.copy(EXAMPLE, data)
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    hard = tmp_path / "hard.csv"
    os.link(data, hard)
    return [(data, data), (data, link), (link, data), (data, hard)]


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_validate_never_writes_over_its_input(runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    for source, output in _same_file_three_ways(tmp_path):
        before = EXAMPLE.read_bytes()
        result = runner.invoke(app, ["validate", str(source), "-f", fmt, "-o", str(output)])
        assert result.exit_code == 2, result.output
        assert "never overwrites a return" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert (tmp_path / "same.csv").read_bytes() == before


def test_validate_never_writes_over_its_definition(runner: CliRunner, tmp_path: Path) -> None:
    definition = tmp_path / "def.yaml"
    shutil.copy(ROOT / "definitions" / "hbyw-quarterly-return" / "1.0.yaml", definition)
    before = definition.read_bytes()
    result = runner.invoke(
        app, ["validate", str(EXAMPLE), "-d", str(definition), "-f", "json", "-o", str(definition)]
    )
    assert result.exit_code == 2 and definition.read_bytes() == before


@pytest.mark.parametrize("option", ["--output", "--report"])
def test_audit_never_writes_over_a_return_it_reads(
    runner: CliRunner, tmp_path: Path, option: str
) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(ROOT / "examples" / "hbyw", folder)
    target = folder / "rth-2025-26-q2.csv"
    before = target.read_bytes()
    result = runner.invoke(app, ["audit", str(folder), option, str(target)])
    assert result.exit_code == 2 and "never overwrites a return" in result.stderr
    assert target.read_bytes() == before


def test_an_empty_folder_is_exit_2_not_a_passing_audit(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no returns here")
    result = runner.invoke(app, ["audit", str(tmp_path), "--fail-on", "error"])
    assert result.exit_code == 2
    assert "has no returns" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_same_return_twice_is_audited_once_and_said(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(ROOT / "examples" / "hbyw", folder)
    shutil.copy(folder / "rth-2025-26-q1.csv", folder / "rth-2025-26-q1-copy.csv")
    result = runner.invoke(app, ["audit", str(folder), "-f", "json"])
    import json

    document = json.loads(result.stdout)
    assert len(document["returns"]) == 8  # not 9: the copy is not pooled
    [left_out] = document["unreadable"]
    assert left_out["kind"] == "duplicate"
    assert Path(left_out["path"]).name in ("rth-2025-26-q1.csv", "rth-2025-26-q1-copy.csv")
    assert "a second return for RTH 2025-26 Q1" in left_out["message"]
    assert any(h["kind"] == "duplicate-return" for h in document["highlights"])
    gated = runner.invoke(app, ["audit", str(folder), "--fail-on", "error"])
    assert gated.exit_code == 1


def test_a_missing_expected_return_fails_an_error_gate(runner: CliRunner, tmp_path: Path) -> None:
    frame, _ = make_return(30, provider="RTH", period="2025-26 Q1", seed=2)
    frame.to_csv(tmp_path / "rth-2025-26-q1.csv", index=False)
    (tmp_path / "lp-audit.yaml").write_text(
        "providers:\n  RTH: Redthread\n  SGT: St Giles Trust\nexpected:\n  2025-26 Q1: [RTH, SGT]\n"
    )
    clean = runner.invoke(app, ["audit", str(tmp_path), "--fail-on", "never"])
    assert clean.exit_code == 0
    gated = runner.invoke(app, ["audit", str(tmp_path), "--fail-on", "error"])
    assert gated.exit_code == 1
    assert "No return from St Giles Trust for 2025-26 Q1" in gated.stdout


def test_formats_are_not_case_sensitive(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE), "--format", "JSON"])
    assert result.exit_code == 1 and result.stdout.startswith("{")
    result = runner.invoke(app, ["audit", str(ROOT / "examples" / "hbyw"), "--format", "Json"])
    assert result.exit_code == 0 and result.stdout.startswith("{")


def test_errors_of_several_lines_show_new_lines_not_escapes(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nfields:\n  - name: A\n  - name: b\n    type: colour\n")
    result = runner.invoke(app, ["validate", str(EXAMPLE), "-d", str(bad)])
    assert result.exit_code == 2
    assert "\\x0a" not in result.stderr
    assert len(result.stderr.strip().splitlines()) >= 3  # the head, then a problem a line
    missing = runner.invoke(
        app, ["audit", str(ROOT / "examples" / "hbyw"), "--config", "nope.yaml"]
    )
    assert missing.exit_code == 2 and "\\x0a" not in missing.stderr


def test_a_pdf_report_is_not_html_in_disguise(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    result = runner.invoke(app, ["audit", str(ROOT / "examples" / "hbyw"), "--report", str(target)])
    if result.exit_code == 2:  # no PDF engine installed: said, and nothing written
        assert "pdf" in result.stderr.lower() and not target.exists()
    else:
        assert target.read_bytes().startswith(b"%PDF")


def test_several_files_end_with_a_grand_total(runner: CliRunner) -> None:
    files = sorted(str(p) for p in (ROOT / "examples" / "hbyw").glob("rth-*.csv"))
    result = runner.invoke(app, ["validate", *files], env={"COLUMNS": "100"})
    assert "Total: 3 returns" in result.stdout


def test_a_return_for_another_period_says_so_once_at_the_top(runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["validate", str(EXAMPLE), "--period", "2025-26 Q2"], env={"COLUMNS": "100"}
    )
    assert result.exit_code == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert "wrong-period" in problems[0]
    assert "this return is for 2025-26 Q1" in result.stdout


def test_another_providers_return_says_so(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE), "--provider", "RTH", "-f", "json"])
    import json

    codes = [f["code"] for f in json.loads(result.stdout)["returns"][0]["findings"]]
    assert codes.count("wrong-provider") == 1


def test_an_unknown_provider_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE), "--provider", "XYZ"])
    assert result.exit_code == 2
    assert "unknown provider 'XYZ'" in result.stderr and "RTH" in result.stderr


def test_docs_and_template_take_the_version_in_force_today_and_say_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    import datetime as dt

    from lp_audit import load_definition
    from lp_audit.periods import Period

    today = Period.of(dt.date.today())
    expected = load_definition("hbyw-quarterly-return")
    assert expected.in_force_for(today) or not any(
        load_definition(f"hbyw-quarterly-return@{v}").in_force_for(today) for v in ("1.0", "2.0")
    )
    docs = runner.invoke(app, ["definitions", "docs", "hbyw-quarterly-return"])
    assert docs.exit_code == 0
    assert f"Using {expected.ref}" in docs.stderr and expected.ref in docs.stdout
    out = tmp_path / "t.xlsx"
    template = runner.invoke(app, ["template", "hbyw-quarterly-return", "-o", str(out)])
    assert template.exit_code == 0 and f"Using {expected.ref}" in template.stderr
    pinned = runner.invoke(app, ["definitions", "docs", "hbyw-quarterly-return@2.0"])
    assert "Using" not in pinned.stderr
