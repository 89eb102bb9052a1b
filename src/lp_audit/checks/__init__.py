"""Checks: a definition becomes vectorised check objects, run by pandera or directly.

- :mod:`~lp_audit.checks.parsing`: text columns parsed to typed ones, each failure recorded;
- :mod:`~lp_audit.checks.specs`: the check objects and what each reports;
- :mod:`~lp_audit.checks.schema`: a definition built into checks and pandera schemas;
- :mod:`~lp_audit.checks.functions`, :mod:`~lp_audit.checks.patterns`,
  :mod:`~lp_audit.checks.truth`: the vectorised functions checks are made of;
- :mod:`~lp_audit.checks.runner`: running the checks of a return;
- :mod:`~lp_audit.checks.failures`: failing rows turned into findings;
- :mod:`~lp_audit.checks.user_schema`: the checks as a pandera schema for a user's own text.
"""

from __future__ import annotations

from lp_audit.checks.schema import build_schema
from lp_audit.checks.specs import CheckFn, CheckSpec, Context, ReturnSchema, RuleSchema
from lp_audit.checks.truth import Truth, evaluate, truth
from lp_audit.checks.user_schema import pandera_schema

__all__ = [
    "CheckFn",
    "CheckSpec",
    "Context",
    "ReturnSchema",
    "RuleSchema",
    "Truth",
    "build_schema",
    "evaluate",
    "pandera_schema",
    "truth",
]
