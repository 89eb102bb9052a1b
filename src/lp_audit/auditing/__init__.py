"""Auditing: many returns validated, profiled and compared across providers and periods.

- :mod:`~lp_audit.auditing.run`: :func:`audit`, finding and validating every return;
- :mod:`~lp_audit.auditing.config`: ``lp-audit.yaml``;
- :mod:`~lp_audit.auditing.profiles`, :mod:`~lp_audit.auditing.funnels`,
  :mod:`~lp_audit.auditing.network`: the comparisons, as tables;
- :mod:`~lp_audit.auditing.statistics`: funnel limits and category tests;
- :mod:`~lp_audit.auditing.highlights`: what is worth a meeting's time, in words;
- :mod:`~lp_audit.auditing.cells`: names for the counts behind every table;
- :mod:`~lp_audit.auditing.result`: :class:`AuditResult` and its parts.
"""

from __future__ import annotations

from lp_audit.auditing.assemble import build_result
from lp_audit.auditing.config import AuditConfig, ConfigError, load_config
from lp_audit.auditing.result import ALL, AuditResult, Highlight, TablesAudit, failing
from lp_audit.auditing.run import audit, find_returns
from lp_audit.validation import Unreadable

__all__ = [
    "ALL",
    "AuditConfig",
    "AuditResult",
    "ConfigError",
    "Highlight",
    "TablesAudit",
    "Unreadable",
    "audit",
    "build_result",
    "failing",
    "find_returns",
    "load_config",
]
