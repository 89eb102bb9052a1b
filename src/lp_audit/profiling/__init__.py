"""Profiling: how each field of one return was captured (valid, unknown, invalid, missing)."""

from __future__ import annotations

from lp_audit.profiling.capture import (
    CLASSES,
    INVALID_CODES,
    NON_STANDARD_CODES,
    SIGNALS,
    Capture,
    SetAside,
    capture,
)
from lp_audit.profiling.tally import Tally

__all__ = [
    "CLASSES",
    "INVALID_CODES",
    "NON_STANDARD_CODES",
    "SIGNALS",
    "Capture",
    "SetAside",
    "Tally",
    "capture",
]
