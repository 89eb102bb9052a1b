"""Names for the counts behind an audit's tables, shared by highlights and the disclosure plan.

Every count an audit can show (a capture class of a field, a code's use, a metric's numerator)
has a key. Highlights word a share only where whoever reads them may see its counts; the
report's disclosure plan (:mod:`lp_audit.reports.disclosure`) decides that, over these keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

#: An underlying count, e.g. ("class", provider, period, field, "unknown").
Key = tuple[str, ...]


class CountsShown(Protocol):
    """Whether counts may be shown: what a disclosure plan answers."""

    def shown(self, *keys: Key) -> bool:
        """True when every one of ``keys`` may be shown."""
        ...


def class_keys(provider: str, period: str, field: str, measure: str) -> tuple[Key, Key]:
    """A capture rate's count and the count it is a share of (applicable rows for blanks,
    present values for the rest), as funnels and highlights state them."""
    base = ("class", provider, period, field)
    return (*base, measure), (*base, "applicable" if measure == "missing" else "present")


def metric_keys(provider: str, period: str, metric: str) -> tuple[Key, Key]:
    """A share metric's numerator and denominator."""
    base = ("metric", provider, period, metric)
    return (*base, "num"), (*base, "den")


def code_keys(provider: str, period: str, field: str, code: str) -> tuple[Key, Key]:
    """How often a code was used, and the coded rows it is a share of."""
    return ("code", provider, period, field, code), ("codes", provider, period, field)


def funnel_keys(rec: Mapping[Any, Any], provider: str, period: str) -> tuple[Key, Key]:
    """The keys of a funnel row's numerator and denominator."""
    if rec["kind"] == "metric":
        return metric_keys(provider, period, str(rec["subject"]))
    return class_keys(provider, period, str(rec["subject"]), str(rec["measure"]))
