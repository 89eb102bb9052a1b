"""A catalogue of broken inputs: each gets a named finding or a one-line error, never a traceback."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.definitions import load_definition

#: the definition every bad file is validated against: what the file is, not which it is of
HBYW = "hbyw-quarterly-return"
HEADER = ",".join(load_definition("hbyw-quarterly-return@1.0").field_names)


def _xlsx() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.append(["a", "b"])
    wb.save(buffer)
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("notes.txt", "hello")
    return buffer.getvalue()


# name -> (file content, expected finding code or None for exit 2, text the output must contain)
CATALOGUE: dict[str, tuple[Callable[[], bytes], str | None, str]] = {
    "empty file": (lambda: b"", "empty-file", ""),
    "header only": (lambda: (HEADER + "\n").encode(), "nil-return", ""),
    "only blank lines": (lambda: b"\n\n\r\n\n", "empty-file", ""),
    "BOM and nothing": (lambda: b"\xef\xbb\xbf", "empty-file", ""),
    "UTF-16 without BOM": (lambda: (HEADER + "\n").encode("utf-16-le"), "encoding", ""),
    "invalid UTF-8 late in a large file": (
        lambda: (
            (HEADER + "\n" + ("x," * 28 + "x\n") * 20000).encode()
            + b"caf\xe9,"
            + b"x," * 27
            + b"x\n"
        ),
        "encoding",
        "line 20002",
    ),
    "NUL bytes": (lambda: b"a,b\n1,\x002\n", None, "binary"),
    "PNG named .csv": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(64), None, "PNG image"),
    "ZIP named .csv": (_zip, None, "ZIP archive"),
    "workbook named .csv": (_xlsx, None, "Excel workbook saved with a .csv name"),
    "5,000 columns": (
        lambda: (",".join(f"c{i}" for i in range(5000)) + "\n1\n").encode(),
        "too-many-columns",
        "",
    ),
    "100 duplicate headers": (
        lambda: (",".join(["ethnicity"] * 100) + "\n" + ",".join(["A"] * 100) + "\n").encode(),
        "duplicate-column",
        "",
    ),
    "unterminated quote at the start": (
        lambda: b'"' + HEADER.encode() + b"\n1,2\n",
        "unterminated-quote",
        "",
    ),
    "a 50 MB single cell": (
        lambda: ("return_period,notes\n2025-26 Q2," + "x" * (50 * 1024 * 1024) + "\n").encode(),
        "cell-too-large",
        "at most 100,000",
    ),
    "only delimiters": (lambda: b",,,,\n,,,,\n", "empty-file", ""),
    "a title and an empty row above the header, read from the line that names the fields": (
        lambda: ("Quarterly return: RTH,,,\n,,,\n" + HEADER + "\n").encode(),
        "header-not-first",
        "The header is on line 3",
    ),
    # past the csv module's own limit of 131,072 characters, in the rows sampled for codes
    "a 200,000-character cell in the first rows": (
        lambda: (HEADER + "\n2025-26 Q2,RTH," + "K" * 200_000 + "\n").encode(),
        "cell-too-large",
        "at most 100,000",
    ),
    # one problem on 100,000 rows is 1,000 findings listed and one that counts the rest
    "100,000 one-letter lines": (
        lambda: (HEADER + "\n" + "a\n" * 100_000).encode(),
        "missing-cells",
        "100000 row(s) have fewer cells",
    ),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_validate_handles_bad_input(case: str, tmp_path: Path) -> None:
    make, code, text = CATALOGUE[case]
    path = tmp_path / "return.csv"
    content = make()
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["validate", str(path), "-d", HBYW, "--format", "json"])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if code is None:
        assert result.exit_code == 2
        assert str(path) in result.stderr and text in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    else:
        import json

        findings = json.loads(result.stdout)["returns"][0]["findings"]
        codes = {f["code"] for f in findings}
        assert code in codes, codes
        assert all(text in f["message"] for f in findings if f["code"] == code)
    assert path.read_bytes() == content  # the input is never modified


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_audit_and_report_handle_bad_input(case: str, tmp_path: Path) -> None:
    make, _, _ = CATALOGUE[case]
    folder = tmp_path / "returns"
    folder.mkdir()
    content = make()
    (folder / "bad.csv").write_bytes(content)
    from lp_audit.synthetic import make_return

    frame, _ = make_return(12, seed=3)
    frame.to_csv(folder / "good.csv", index=False)
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["audit", str(folder), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert report.read_text().startswith("<!DOCTYPE html>")
    assert (folder / "bad.csv").read_bytes() == content  # the input is never modified


def test_paths_that_are_not_files(tmp_path: Path) -> None:
    runner = CliRunner()
    for path in (tmp_path, tmp_path / "missing.csv"):
        result = runner.invoke(app, ["validate", str(path)])
        assert (
            result.exit_code == 2
            and str(path) in result.output
            and "Traceback" not in result.output
        )


def test_a_definition_file_that_is_not_a_definition(tmp_path: Path) -> None:
    bogus = tmp_path / "def.yaml"
    bogus.write_text("- this is\n- a shopping list\n")
    good = tmp_path / "r.csv"
    good.write_text(HEADER + "\n")
    result = CliRunner().invoke(app, ["validate", str(good), "--definition", str(bogus)])
    assert result.exit_code == 2
    assert f"{bogus}:1:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("case", "limit_mb"),
    [
        ("a 50 MB single cell", 1200),
        ("5,000 columns", 400),
        # before: 100,000 such lines took 1.2 GB and 75 s, a million did not finish
        ("100,000 one-letter lines", 900),
    ],
)
def test_memory_stays_bounded_on_huge_cells_and_wide_files(
    case: str, limit_mb: int, tmp_path: Path
) -> None:
    """Peak memory of a whole validate process, from wait4; the bounds are generous on purpose."""
    import os
    import subprocess
    import sys

    path = tmp_path / "return.csv"
    path.write_bytes(CATALOGUE[case][0]())
    # A forked child's peak RSS counts what it inherits from its parent, and pytest is large:
    # a small launcher process starts lp-audit and reports that grandchild's peak.
    launcher = (
        "import os, subprocess, sys\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "_, status, usage = os.wait4(p.pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
    )
    command = [
        sys.executable,
        "-m",
        "lp_audit",
        "validate",
        str(path),
        "-d",
        HBYW,
        "--format",
        "json",
        "--output",
        os.devnull,
    ]
    out = subprocess.run(
        [sys.executable, "-c", launcher, *command], capture_output=True, text=True, check=True
    )
    code, peak_kb = (int(x) for x in out.stdout.split())
    assert code == 1  # findings, not a crash
    assert peak_kb / 1024 < limit_mb


def test_a_file_that_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI runs as root, which can read anything: the permission error is simulated."""
    path = tmp_path / "locked.csv"
    path.write_text(HEADER + "\n")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: permission denied" in result.stderr and "Traceback" not in result.output


def test_hostile_labels_in_a_definition_are_inert(tmp_path: Path) -> None:
    """Labels come from definitions, which are provider-facing text too."""
    definition = tmp_path / "hostile.yaml"
    definition.write_text(
        'name: hostile\nversion: "1.0"\ntitle: "<script>alert(1)</script> | {{ 7*7 }}"\n'
        "fields:\n"
        '  - name: status\n    label: "<img src=x onerror=alert(2)> | \\u001b[31mred"\n'
        "    type: code\n    required: true\n    codes: {OPEN: \"=cmd|' /c calc'!A1\"}\n"
    )
    source = tmp_path / "r.csv"
    source.write_text("status\nSHUT\n")
    runner = CliRunner()
    for fmt in ("text", "csv", "markdown", "github", "junit", "json"):
        out = runner.invoke(app, ["validate", str(source), "-d", str(definition), "-f", fmt]).stdout
        assert "\x1b" not in out, fmt
        if fmt == "markdown":
            assert "<img" not in out
    for suffix in (".html", ".md"):
        target = tmp_path / f"dictionary{suffix}"
        assert (
            runner.invoke(
                app, ["definitions", "docs", str(definition), "-o", str(target)]
            ).exit_code
            == 0
        )
        text = target.read_text()
        assert "<script>" not in text and "<img" not in text and "49" not in text


def test_a_problem_on_many_rows_is_listed_once_and_counted(tmp_path: Path) -> None:
    import json

    path = tmp_path / "return.csv"
    path.write_bytes((HEADER + "\n" + "a\n" * 5_000).encode())
    result = CliRunner().invoke(app, ["validate", str(path), "-d", HBYW, "--format", "json"])
    document = json.loads(result.stdout)["returns"][0]
    site = [f for f in document["findings"] if f["field"] == "site_code"]
    assert len(site) == 1_001  # the first 1,000 rows, then one finding for the other 4,000
    assert "on 4,000 more row(s), from line 1,002" in site[-1]["message"]
    assert site[-1]["line"] == 1_002
    # every row still counts: 16 required fields blank and one bad period on each of 5,000 rows
    assert document["counts"]["error"] >= 17 * 5_000


def test_one_problem_on_many_rows_is_listed_alike_whole_and_in_chunks(tmp_path: Path) -> None:
    from lp_audit import validate_return
    from lp_audit.synthetic import make_return

    frame, _ = make_return(2_500, seed=4, defects=20)
    frame.loc[:, "site_code"] = ""  # 2,500 rows with one problem: more than are listed
    path = tmp_path / "return.csv"
    frame.to_csv(path, index=False)
    whole = validate_return(path, chunk_rows=0)
    chunked = validate_return(path, chunk_rows=700)
    assert whole.to_dict() == chunked.to_dict()
    assert whole.counts["error"] > len(whole.findings[whole.findings.severity == "error"])


def test_a_pipe_or_a_device_is_exit_2_at_once(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    fifo = tmp_path / "return.csv"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/zero"):
        # nobody writes to the pipe: reading it would wait for ever
        out = subprocess.run(
            [sys.executable, "-m", "lp_audit", "validate", target],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, out.stderr
        assert "not a file" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_definition_nested_thousands_of_levels_is_refused_with_its_line(tmp_path: Path) -> None:
    inner = "{field: gender, equals: '1'}"
    for _ in range(3_000):
        inner = "{not: " + inner + "}"
    deep = tmp_path / "deep.yaml"
    deep.write_text(
        "name: deep\nversion: '1.0'\ntitle: Deep\nfields:\n  - name: gender\n    type: text\n"
        f"  - name: b\n    type: text\n    required_when: {inner}\n"
    )
    result = CliRunner().invoke(app, ["definitions", "check", str(deep)])
    assert result.exit_code == 2
    assert f"{deep}:9: fields.1.required_when.not.not" in result.stdout
    assert "more than 64 levels" in result.stdout and "Traceback" not in result.output


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    import zipfile

    bomb = tmp_path / "return.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        # 64 MB of one inline string: stored in about 64 KB
        z.writestr("xl/worksheets/sheet1.xml", "<is><t>" + "a" * (64 << 20) + "</t></is>")
    result = CliRunner().invoke(app, ["validate", str(bomb)])
    assert result.exit_code == 2
    assert "times larger than it is stored" in result.stderr
