"""The README's commands run as shown."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.removeprefix("$ ")
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("lp-audit "):
                    commands.append(part)
    return commands


def test_readme_shows_the_two_commands() -> None:
    assert "python -m pip install . && lp-audit audit examples/hbyw\n" in README
    assert "python -m pip install nox && python -m nox" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m pip install --quiet nox && python3 -m nox" in ci


def test_every_lp_audit_command_in_the_readme_runs(tmp_path: Path) -> None:
    commands = _commands()
    assert len(commands) >= 2
    # run where outputs such as report.html land in a temporary folder, not the repository
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for command in commands:
        args = []
        for word in shlex.split(command)[1:]:
            args.extend(
                sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(word)) if "*" in word else [word]
            )
        out = subprocess.run(
            [sys.executable, "-m", "lp_audit", *args], cwd=tmp_path, capture_output=True, text=True
        )
        assert out.returncode in (0, 1), (command, out.stderr)
        assert "Traceback" not in out.stderr


def test_every_generator_command_in_the_readme_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL)
    commands = [
        line.removeprefix("$ ")
        for block in blocks
        for line in block.splitlines()
        if line.removeprefix("$ ").startswith("python -m lp_audit.synthetic ")
        and "examples/" not in line  # those rewrite the examples: their tests compare them
    ]
    assert commands
    for command in commands:
        out = subprocess.run(
            [sys.executable, *shlex.split(command)[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, (command, out.stderr)
        assert out.stdout.strip(), command  # it says what it wrote


@pytest.mark.parametrize(
    "command",
    [
        "lp-audit audit examples/hbyw",
        "lp-audit validate examples/hbyw/oas-2025-26-q1.csv",
        "lp-audit audit examples/cla",
    ],
)
def test_readme_sample_output_is_the_real_output(command: str) -> None:
    block = README.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    out = subprocess.run(
        [sys.executable, "-m", "lp_audit", *command.split()[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"COLUMNS": "80", "PATH": ""},
    )
    actual = "\n".join(line.rstrip() for line in out.stdout.splitlines())
    assert actual.strip() == block.strip()


def test_readme_bad_input_table_matches_the_catalogue() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_bad_inputs import CATALOGUE

    for name, (_, code, text) in CATALOGUE.items():
        outcome = f"finding `{code}`" if code else f'exit 2, one line: "…{text}…"'
        assert f"| {name} | {outcome} |" in README, name


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def _printed(block: str) -> str:
    """What a block says it prints: the ``# `` lines straight after its last ``print(``."""
    lines = block.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("print(")]
    if not starts:
        return ""
    shown = []
    for line in lines[starts[-1] + 1 :]:
        if not line.startswith("#"):
            break
        shown.append(line.removeprefix("# ").removeprefix("#"))
    return "\n".join(shown)


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_every_python_block_in_the_readme_runs(index: int, tmp_path: Path) -> None:
    block = _python_blocks()[index]
    # where what a block writes (a results store) lands in a temporary folder
    for name in ("examples", "definitions"):
        (tmp_path / name).symlink_to(ROOT / name)
    out = subprocess.run(
        [sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    expected = _printed(block)
    if expected:
        actual = "\n".join(line.rstrip() for line in out.stdout.strip("\n").splitlines())
        assert actual == "\n".join(line.rstrip() for line in expected.splitlines())


def test_the_ci_workflow_in_the_readme_runs_its_steps(tmp_path: Path) -> None:
    """The workflow's install step installs the checked-out repository (lp_audit is on no
    package index), and its validate step runs on a returns/ folder and annotates."""
    import shutil

    import yaml

    [block] = [
        b for b in re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL) if "workflows" in b
    ]
    steps = yaml.safe_load(block)["jobs"]["validate"]["steps"]
    checkouts = [s["with"]["path"] for s in steps if "with" in s and "path" in s["with"]]
    runs = [s["run"] for s in steps if "run" in s]
    install, command = runs
    assert install == f"python -m pip install ./{checkouts[0]}"
    assert (ROOT / "pyproject.toml").is_file()  # what ./lp_audit holds: this repository
    returns = tmp_path / "returns"
    returns.mkdir()
    for path in sorted((ROOT / "examples" / "hbyw").glob("oas-*.csv")):
        shutil.copy(path, returns / path.name)
    words = shlex.split(command)
    assert words[0] == "lp-audit"
    args = [
        w
        for word in words[1:]
        for w in (
            sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob(word))
            if "*" in word
            else [word]
        )
    ]
    out = subprocess.run(
        [sys.executable, "-m", "lp_audit", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("::error file=returns/oas-2025-26-q1.csv,line=")


def test_the_definition_format_block_is_a_definition_that_loads(tmp_path: Path) -> None:
    from lp_audit.definitions import load_definition_file

    [block] = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
        if "name: example-return" in b
    ]
    path = tmp_path / "example.yaml"
    path.write_text(block, encoding="utf-8")
    definition = load_definition_file(path)
    assert definition.ref == "example-return@1.0"
    assert [f.name for f in definition.fields][:2] == ["gender", "age_at_referral"]
    assert [r.id for r in definition.return_rules] == [
        "referral-id-unique",
        "possible-double-count",
    ]


def _section_runs_as_shown(title: str, files: list[str], tmp_path: Path) -> None:
    """A README section's example: its definition (named by its first line's comment) and
    CSV blocks (written to ``files`` in order) in a folder, its ``sh`` command run there,
    printing exactly its ``text`` block, and exiting 1 (it finds errors)."""
    section = README.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
    definition = re.search(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    tables = re.findall(r"```csv\n(.*?)```", section, flags=re.DOTALL)
    command = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    shown = re.search(r"```text\n(.*?)```", section, flags=re.DOTALL)
    assert definition and command and shown and len(tables) == len(files)
    name = definition[1].splitlines()[0].removeprefix("# ")
    (tmp_path / name).write_text(definition[1], encoding="utf-8")
    for file, text in zip(files, tables, strict=True):
        (tmp_path / file).write_text(text, encoding="utf-8")
    words = shlex.split(command[1].strip())
    assert words[0] == "lp-audit"
    out = subprocess.run(
        [sys.executable, "-m", "lp_audit", *words[1:]], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 1, out.stderr
    assert out.stdout == shown[1]


@pytest.mark.parametrize(
    ("title", "files"),
    [
        ("Rules over a key's rows", ["episodes.csv"]),
        ("Returns of several tables", ["header.csv", "episodes.csv"]),
        ("Comparing with the previous return", ["last-year.csv", "this-year.csv"]),
    ],
)
def test_the_definition_format_examples_find_what_they_show(
    title: str, files: list[str], tmp_path: Path
) -> None:
    _section_runs_as_shown(title, files, tmp_path)


def test_the_json_blocks_show_the_real_shapes(tmp_path: Path) -> None:
    import json

    from lp_audit import audit, validate_return

    [block] = re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL)
    shown = json.loads(block)
    real = {
        "lp_audit": 1,
        "returns": [validate_return(ROOT / "examples/hbyw/oas-2025-26-q1.csv").to_dict()],
    }
    assert shown.keys() == real.keys()
    assert shown["returns"][0].keys() == real["returns"][0].keys()
    assert shown["returns"][0]["findings"][0].keys() == real["returns"][0]["findings"][0].keys()
    listed = re.search(
        r"writes one document, equal to `audit\(PATH\).to_dict\(\)`:\n`\{(.*?)\}`",
        README,
        flags=re.DOTALL,
    )
    assert listed is not None
    keys = [k for k in re.findall(r'"(\w+)"', listed.group(1)) if k != "audit"]  # a value
    assert keys == list(audit(ROOT / "examples" / "hbyw").to_dict())


def test_start_with_your_own_return_runs_as_shown(tmp_path: Path) -> None:
    """The section's commands, in order, in a fresh folder: each succeeds, and the audit uses
    the drafted definition and settings."""
    section = README.split("## Start with your own return\n", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.removeprefix("$ ")
        for block in re.findall(r"```console\n(.*?)```", section, flags=re.DOTALL)
        for line in block.splitlines()
        if line.startswith("$ lp-audit ")
    ]
    assert [c.split()[1] for c in commands] == [
        "definitions",
        "definitions",
        "validate",
        "definitions",  # samples of several tables
        "validate",
        "init",
        "audit",
    ]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    outputs = []
    for command in commands:
        out = subprocess.run(
            [sys.executable, "-m", "lp_audit", *shlex.split(command)[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, (command, out.stdout[-2000:], out.stderr)
        outputs.append(out.stdout)
    assert (tmp_path / "my-return.yaml").exists() and (tmp_path / "my-settings.yaml").exists()
    assert "lp_audit audit · my-return@0.1" in outputs[-1]
    assert "counted as warnings" in outputs[2]  # the sample's own errors, within a tolerance
    from lp_audit.definitions import load_definition_file

    tables = load_definition_file(tmp_path / "my-tables.yaml").tables
    assert [(t.name, t.key) for t in tables] == [
        ("episodes", ("CHILD", "DECOM")),
        ("header", ("CHILD",)),
    ]
    assert "0 table(s) with errors" in outputs[4]


def test_the_dask_example_runs_on_a_scheduler_and_workers_it_starts(tmp_path: Path) -> None:
    """The README's cluster, as shown: a scheduler and two worker processes, then the audit
    sent to them (on a free port, in case 8786 is taken)."""
    import socket
    import time

    (block,) = [
        b for b in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL) if "--scheduler" in b
    ]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    lines = [line.replace("8786", port) for line in block.strip().splitlines()]
    assert [line.split()[0] for line in lines] == ["dask", "dask", "lp-audit"]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    background = [
        subprocess.Popen(
            [sys.executable, "-m", "dask", *shlex.split(line.removesuffix("&"))[1:]],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for line in lines[:2]
    ]
    try:
        deadline = time.monotonic() + 60
        while True:  # the scheduler listening
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the scheduler did not start"
                time.sleep(0.2)
        out = subprocess.run(
            [sys.executable, "-m", "lp_audit", *shlex.split(lines[2])[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        here = subprocess.run(
            [sys.executable, "-m", "lp_audit", "audit", "examples/hbyw"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
    finally:
        for process in background:
            process.terminate()
        for process in background:
            process.wait(timeout=30)
    assert out.returncode == here.returncode and out.returncode in (0, 1), out.stderr
    assert out.stdout == here.stdout
