"""Checks: a definition becomes vectorised check objects, run by pandera or directly.

- :mod:`~lp_audit.checks.parsing`: text columns parsed to typed ones, each failure recorded;
- :mod:`~lp_audit.checks.specs`: the check objects and what each reports;
- :mod:`~lp_audit.checks.schema`: a definition built into checks and pandera schemas;
- :mod:`~lp_audit.checks.functions`, :mod:`~lp_audit.checks.patterns`,
  :mod:`~lp_audit.checks.truth`: the vectorised functions checks are made of;
- :mod:`~lp_audit.checks.runner`: running the checks of a return;
- :mod:`~lp_audit.checks.failures`: failing rows turned into findings.
"""

from __future__ import annotations

from lp_audit.checks.schema import build_schema
from lp_audit.checks.specs import CheckFn, CheckSpec, Context, ReturnSchema, RuleSchema
from lp_audit.checks.truth import Truth, evaluate, truth

__all__ = [
    "CheckFn",
    "CheckSpec",
    "Context",
    "ReturnSchema",
    "RuleSchema",
    "Truth",
    "build_schema",
    "evaluate",
    "truth",
]
