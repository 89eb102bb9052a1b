"""The ``lp-audit`` command line: a thin layer over the library API.

Only this package imports typer. Heavy libraries (pandas, pandera) are imported inside the
commands that need them, so ``lp-audit --help`` stays fast.

- :mod:`~lp_audit.cli.app`: the application, ``main`` and signal handling;
- :mod:`~lp_audit.cli.common`: exit codes, shared options, errors as one line;
- :mod:`~lp_audit.cli.validate`, :mod:`~lp_audit.cli.audit`, :mod:`~lp_audit.cli.definitions`:
  one module per command group.
"""

from __future__ import annotations

from lp_audit.cli.app import app, main
from lp_audit.cli.common import ExitStatus

__all__ = ["ExitStatus", "app", "main"]
