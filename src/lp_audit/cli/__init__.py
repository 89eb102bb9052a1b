"""The ``lp-audit`` command line: a thin layer over the library API.

Only this package imports typer. Heavy libraries (pandas, pandera) are imported inside the
commands that need them, and ``lp-audit --help`` imports nothing at all (see
:mod:`~lp_audit.cli.quick`).

- :mod:`~lp_audit.cli.application`: the application, its ``main`` and signal handling;
- :mod:`~lp_audit.cli.common`: exit codes, shared options, errors as one line;
- :mod:`~lp_audit.cli.validate`, :mod:`~lp_audit.cli.audit`, :mod:`~lp_audit.cli.definitions`:
  one module per command group.
"""

from __future__ import annotations

__all__ = ["ExitStatus", "app", "main"]


def main() -> None:
    """Console-script entry point: the help that ``lp-audit --help`` shows, written ahead (no
    typer, rich or pandas to import), or the application."""
    from lp_audit.cli.quick import quick_help

    if not quick_help():
        from lp_audit.cli.application import main as run

        run()


def __getattr__(name: str) -> object:
    # the application and its exit codes, imported when asked for (typer takes 60 ms)
    if name == "app":
        from lp_audit.cli.application import app

        return app
    if name == "ExitStatus":
        from lp_audit.cli.common import ExitStatus

        return ExitStatus
    raise AttributeError(f"module 'lp_audit.cli' has no attribute {name!r}")
