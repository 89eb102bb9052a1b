"""Write the top-level help ``lp-audit --help`` shows without importing the application.

Usage: python tools/help_text.py [--check]

Renders the help with typer, as ``lp-audit --help`` run at 80 columns renders it, in plain text
and with colours, and writes ``src/lp_audit/cli/help.txt`` and ``help.ansi``. With
``--check``, exits 1 if either differs from what typer renders now (the test suite checks
this). See :mod:`lp_audit.cli.quick`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "src" / "lp_audit" / "cli"
RENDER = "import sys; sys.argv = ['lp-audit', '--help']; from lp_audit.cli.application import main; main()"


def rendered(colour: bool) -> str:
    """The help as typer renders it at 80 columns."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env |= {"COLUMNS": "80", "TERM": "xterm-256color" if colour else "dumb"}
    if colour:
        env["FORCE_COLOR"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", RENDER], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def main() -> None:
    check = sys.argv[1:] == ["--check"]
    stale = []
    for name, colour in (("help.txt", False), ("help.ansi", True)):
        text = rendered(colour)
        path = TARGET / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"{', '.join(stale)} differ from typer's help: run python tools/help_text.py")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
