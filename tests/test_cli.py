"""The command line: formats, exit codes, privacy across formats, untouched inputs, fast help."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit import validate_return
from lp_audit.cli import app
from lp_audit.reports.formats import FORMATS, to_json
from lp_audit.synthetic import make_return

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "hbyw").glob("*.csv"))


@pytest.fixture
def bad_return(tmp_path: Path) -> Path:
    frame, _ = make_return(30, seed=8, defects=10)
    frame.loc[3, "person_id"] = "MARKER-PERSON-77"
    frame.loc[4, "notes"] = "MARKER-NOTE-77 =cmd"
    frame.loc[5, "postcode_district"] = "MARKER-PC-77"
    frame.loc[6, "nhs_number"] = "MARKER-NHS-77"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


def test_validate_examples_text(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", *map(str, EXAMPLES), "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "oas-2025-26-q1.csv" in result.output and "invalid-code" in result.output


def test_exit_codes_follow_fail_on(runner: CliRunner, bad_return: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(bad_return)]).exit_code == 1
    assert runner.invoke(app, ["validate", str(bad_return), "--fail-on", "never"]).exit_code == 0
    clean, _ = make_return(5, seed=9)
    clean_path = tmp_path / "clean.csv"
    clean.to_csv(clean_path, index=False)
    assert runner.invoke(app, ["validate", str(clean_path)]).exit_code == 0
    missing = runner.invoke(app, ["validate", str(clean_path), str(tmp_path / "missing.csv")])
    assert missing.exit_code == 2
    assert "missing.csv: no such file" in missing.output and "Traceback" not in missing.output


def test_json_output_equals_library_result(runner: CliRunner, bad_return: Path) -> None:
    result = runner.invoke(app, ["validate", str(bad_return), "--format", "json"])
    document = json.loads(result.stdout)
    library = json.loads(to_json([validate_return(bad_return)]))
    assert document == library
    [ret] = document["returns"]
    assert set(ret) >= {"path", "provider", "period", "definition", "rows", "counts", "findings"}
    assert ret["counts"]["error"] > 0
    assert set(ret["findings"][0]) == {
        "code",
        "severity",
        "message",
        "line",
        "column",
        "field",
        "value",
        "rule",
    }


def test_json_document_is_the_results_with_a_finding_per_line(
    bad_return: Path, tmp_path: Path
) -> None:
    clean, _ = make_return(5, seed=9)
    clean.loc[0, "notes"] = 'quoted "text", a\nnewline and ünïcode'
    clean_path = tmp_path / "clean.csv"
    clean.to_csv(clean_path, index=False)
    results = [validate_return(bad_return), validate_return(clean_path)]
    assert not len(results[1].findings)
    for chosen in ([], results[:1], results):
        text = to_json(chosen)
        assert json.loads(text) == {"lp_audit": 1, "returns": [r.to_dict() for r in chosen]}
    lines = to_json(results).splitlines()
    findings = [line for line in lines if line.lstrip().startswith('{"code"')]
    assert len(findings) == len(results[0].findings)
    assert all(line.startswith("        {") for line in findings)  # indented in the document


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_sensitive_value_in_any_format(runner: CliRunner, bad_return: Path, fmt: str) -> None:
    result = runner.invoke(app, ["validate", str(bad_return), "--format", fmt])
    assert result.exit_code == 1
    assert "MARKER" not in result.output


def test_machine_formats_are_well_formed(runner: CliRunner, bad_return: Path) -> None:
    junit = runner.invoke(app, ["validate", str(bad_return), "--format", "junit"]).stdout
    root = ET.fromstring(junit)
    assert root.tag == "testsuites" and root.find("testsuite/testcase/failure") is not None
    github = runner.invoke(app, ["validate", str(bad_return), "--format", "github"]).stdout
    assert all(
        line.startswith(("::error file=", "::warning file=")) for line in github.splitlines()
    )
    csv_text = runner.invoke(app, ["validate", str(bad_return), "--format", "csv"]).stdout
    assert csv_text.splitlines()[0] == "path,code,severity,message,line,column,field,value,rule"


def test_output_file_is_written_and_input_untouched(
    runner: CliRunner, bad_return: Path, tmp_path: Path
) -> None:
    before = hashlib.sha256(bad_return.read_bytes()).hexdigest()
    out = tmp_path / "findings.json"
    for fmt in (*FORMATS, "json"):
        runner.invoke(app, ["validate", str(bad_return), "--format", fmt, "--output", str(out)])
    assert hashlib.sha256(bad_return.read_bytes()).hexdigest() == before
    assert out.read_text().startswith("{")
    assert not list(tmp_path.glob(".findings.json.*"))  # no temporary files left behind


def test_output_in_missing_folder_is_a_clear_error(
    runner: CliRunner, bad_return: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["validate", str(bad_return), "-f", "json", "-o", str(tmp_path / "no" / "x.json")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_bad_options_are_usage_errors(runner: CliRunner, bad_return: Path) -> None:
    assert runner.invoke(app, ["validate", str(bad_return), "--format", "yaml"]).exit_code == 2
    assert runner.invoke(app, ["validate", str(bad_return), "--period", "2025 Q2"]).exit_code == 2


def test_help_does_not_import_pandas_or_pandera() -> None:
    code = (
        "import sys; from lp_audit.cli import app; from typer.testing import CliRunner; "
        "CliRunner().invoke(app, ['--help']); "
        "print(sorted(m for m in ('pandas', 'pandera', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _lp_audit_help(**env: str) -> subprocess.CompletedProcess[str]:
    """``lp-audit --help`` run as the installed command, with ``env`` over a clean one."""
    import os

    command = Path(sys.executable).parent / "lp-audit"
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    return subprocess.run(
        [str(command), "--help"], capture_output=True, text=True, env={**clean, **env}, check=True
    )


def test_the_written_help_is_what_typer_renders() -> None:
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, str(root / "tools" / "help_text.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_command_help_is_paragraphs_that_wrap_to_the_terminal() -> None:
    """typer keeps the line breaks of a docstring's later paragraphs: a paragraph over several
    lines came out broken mid-sentence at any width but the source's (``definitions infer``)."""
    import inspect

    import typer

    def commands(command: object, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], object]]:
        found = [(path, command)]
        for name, sub in getattr(command, "commands", {}).items():
            found += commands(sub, (*path, name))
        return found

    every = commands(typer.main.get_command(app), ())
    assert len(every) > 10
    for path, command in every:
        later = inspect.cleandoc(getattr(command, "help", None) or "").split("\n\n")[1:]
        assert all("\n" not in paragraph for paragraph in later), path
    result = CliRunner().invoke(app, ["definitions", "infer", "--help"], env={"COLUMNS": "200"})
    assert "the rules between them. What it could not decide" in result.output


def test_lp_audit_help_writes_the_help_without_importing_the_application() -> None:
    import lp_audit.cli

    here = Path(lp_audit.cli.__file__).parent
    plain = (here / "help.txt").read_text(encoding="utf-8")
    assert "Usage: lp-audit [OPTIONS] COMMAND" in plain and "\x1b[" not in plain
    assert _lp_audit_help(COLUMNS="80").stdout == plain
    coloured = _lp_audit_help(COLUMNS="80", FORCE_COLOR="1").stdout
    assert coloured == (here / "help.ansi").read_text(encoding="utf-8") and "\x1b[" in coloured
    # at another width typer renders it: the same words, wrapped to 60 columns
    narrow = _lp_audit_help(COLUMNS="60").stdout
    assert narrow != plain and "Usage: lp-audit [OPTIONS] COMMAND" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 60
    # anything else goes to the application
    assert (
        "lp-audit"
        in subprocess.run(
            [str(Path(sys.executable).parent / "lp-audit"), "--version"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lp_audit", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("lp-audit ")


def test_text_format_can_be_written_to_a_file(
    runner: CliRunner, bad_return: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.txt"
    result = runner.invoke(app, ["validate", str(bad_return), "--output", str(out)])
    assert result.exit_code == 1
    text = out.read_text()
    assert "bad.csv" in text and "error(s)" in text and "\x1b[" not in text


def test_xlsx_return_through_the_cli_with_a_named_sheet(runner: CliRunner, tmp_path: Path) -> None:
    from openpyxl import Workbook

    frame, _ = make_return(4, seed=12)
    frame.loc[2, "ethnicity"] = "Q"
    wb = Workbook()
    wb.active.title = "Cover"
    wb.active.append(["This sheet is a cover note"])
    ws = wb.create_sheet("Return")
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    path = tmp_path / "return.xlsx"
    wb.save(path)
    result = runner.invoke(app, ["validate", str(path), "--sheet", "Return", "--format", "json"])
    findings = json.loads(result.stdout)["returns"][0]["findings"]
    assert [(f["code"], f["line"], f["column"]) for f in findings] == [("invalid-code", 4, "I")]
    missing = runner.invoke(app, ["validate", str(path), "--sheet", "Nope"])
    assert missing.exit_code == 2 and "has no sheet 'Nope'" in missing.output


def test_header_case_and_spacing_variants_map_to_fields(tmp_path: Path) -> None:
    frame, _ = make_return(3, seed=13)
    frame = frame.rename(
        columns={
            "ethnicity": "  ETHNICITY ",
            "home_la": "Home-LA",
            "referral_date": "Referral Date",
        }
    )
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    result = validate_return(path, "hbyw-quarterly-return@1.0")
    aliases = result.findings[result.findings.code == "header-alias"]
    assert sorted(aliases.field) == ["ethnicity", "home_la", "referral_date"]
    assert set(result.findings.code) == {"header-alias"}


def test_output_onto_a_folder_is_a_clear_error(
    runner: CliRunner, bad_return: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = runner.invoke(app, ["validate", str(bad_return), "-f", "json", "-o", str(folder)])
    assert result.exit_code == 2
    assert "cannot be written" in result.output and "Traceback" not in result.output
    assert list(tmp_path.glob("out/*")) == [] and not list(tmp_path.glob(".out.*"))


@pytest.fixture(scope="module")
def long_audit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Returns that take an audit several seconds (about 4 here), so that a signal sent 1.5 s
    in comes while it runs, not as the finished process exits."""
    from lp_audit.synthetic import network_definition, network_returns

    folder = tmp_path_factory.mktemp("long-audit")
    (folder / "definition.yaml").write_text(network_definition(4), encoding="utf-8")
    (folder / "lp-audit.yaml").write_text("definition: definition.yaml\n", encoding="utf-8")
    for (code, period), frame in network_returns(4, seed=3, rows=(12000, 12000)).items():
        frame.to_csv(folder / f"{code}-{period.replace(' ', '-')}.csv", index=False)
    return folder


@pytest.mark.parametrize("signum", [2, 15])
def test_interrupted_audit_leaves_old_or_new_report_never_a_partial_one(
    tmp_path: Path, signum: int, long_audit: Path
) -> None:
    import time

    folder = long_audit
    report = tmp_path / "report.html"
    report.write_text("<!DOCTYPE html>old</html>\n")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "lp_audit", "audit", str(folder), "--workers", "1"),
            *("--report", str(report)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    if process.returncode != 0:  # it was interrupted, not finished first
        assert process.returncode == 128 + signum
        assert "Interrupted" in err and "Traceback" not in err
    text = report.read_text()
    assert text == "<!DOCTYPE html>old</html>\n" or (
        text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    )
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_an_output_to_a_device_writes_to_it_and_leaves_it_a_device(tmp_path: Path) -> None:
    """``--output /dev/null`` must not rename a file over the device (as root, it could)."""
    import os
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    import threading

    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = CliRunner().invoke(app, ["validate", str(EXAMPLES[0]), "-f", "json", "-o", str(fifo)])
    reader.join(timeout=30)
    assert result.exit_code in (0, 1), result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and b'"returns"' in received[0]
    result = CliRunner().invoke(app, ["validate", str(EXAMPLES[0]), "-f", "json", "-o", os.devnull])
    assert result.exit_code in (0, 1)
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)


def test_findings_on_the_header_line_say_their_columns(runner: CliRunner, tmp_path: Path) -> None:
    """Three unknown columns were 'lines 1, 1, 1'; they are on line 1, in columns A, B and C."""
    path = tmp_path / "return.csv"
    path.write_text("shoe_size,colour,hat,referral_id\n9,red,no,R1\n", encoding="utf-8")
    where = "line 1, columns A, B, C"
    for fmt in ("markdown", "junit"):
        out = runner.invoke(
            app, ["validate", str(path), "-d", "hbyw-quarterly-return@1.0", "-f", fmt]
        )
        assert where in out.stdout and "lines 1, 1" not in out.stdout, fmt
    text = runner.invoke(app, ["validate", str(path), "-d", "hbyw-quarterly-return@1.0"]).stdout
    assert "line 1, columns A" in text and "lines 1, 1" not in text  # a table's cell may wrap
