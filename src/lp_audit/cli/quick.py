"""``lp-audit --help`` without importing the application.

Rendering the top-level help imports typer, click and rich (about 0.15 s; ``python -c pass``
takes 0.013 s). The help it renders changes only with the code, so it is rendered ahead, at 80
columns, in plain text and with colours (``tools/help_text.py`` writes ``help.txt`` and
``help.ansi`` beside this module, and a test fails when they differ from what typer renders
now). This module imports only ``os`` and ``sys`` (already loaded by Python itself).

The written help is used only when it is exactly what typer would show: the command is run as
``lp-audit`` (not ``python -m lp_audit``), with the one argument ``--help``, and the terminal,
if any, is at least 80 columns wide. Colours follow rich's rules: on a terminal, unless
``NO_COLOR`` is set or ``TERM`` is ``dumb``; always with ``FORCE_COLOR``.
"""

from __future__ import annotations

import os
import sys

WIDTH = 80


def quick_help() -> bool:
    """Write the top-level help if this run asks for it and the written one fits; whether it
    did."""
    # os.path, not pathlib: importing pathlib would cost more than the rest of this module
    if sys.argv[1:] != ["--help"] or os.path.basename(sys.argv[0]) != "lp-audit":  # noqa: PTH119
        return False
    out = sys.stdout
    terminal = out.isatty()
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        width = int(columns)
    elif terminal:
        try:
            width = os.get_terminal_size(out.fileno()).columns
        except OSError:
            width = WIDTH
    else:
        width = WIDTH
    if width != WIDTH and not (terminal and width > WIDTH):
        return False  # rich would wrap it to another width
    env = os.environ
    colour = bool(env.get("FORCE_COLOR")) or (
        terminal and not env.get("NO_COLOR") and env.get("TERM") != "dumb"
    )
    name = "help.ansi" if colour else "help.txt"
    try:
        here = os.path.dirname(__file__)  # noqa: PTH120
        with open(os.path.join(here, name), encoding="utf-8") as file:  # noqa: PTH118, PTH123
            text = file.read()
    except OSError:
        return False
    out.write(text)
    out.flush()
    return True
