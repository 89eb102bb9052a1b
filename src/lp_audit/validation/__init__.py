"""Validation: one return read, checked and profiled; every problem a finding.

- :mod:`~lp_audit.validation.validate`: :func:`validate_return`, the whole path for one file;
- :mod:`~lp_audit.validation.single`: a return's values once read, checked and profiled;
- :mod:`~lp_audit.validation.chunked`: a large file chunk by chunk, with the same findings;
- :mod:`~lp_audit.validation.together`: many returns checked as one frame, with the results
  of each alone (what an audit does);
- :mod:`~lp_audit.validation.identity`: the period and provider a return gives;
- :mod:`~lp_audit.validation.result`: :class:`ReturnResult`.
"""

from __future__ import annotations

from lp_audit.validation.result import SCHEMA_VERSION, ReturnResult, Unreadable, Validation
from lp_audit.validation.validate import (
    AUTO_CHUNK_BYTES,
    DEFAULT_CHUNK_ROWS,
    validate_return,
    validate_returns,
    validate_tables,
)

__all__ = [
    "AUTO_CHUNK_BYTES",
    "DEFAULT_CHUNK_ROWS",
    "SCHEMA_VERSION",
    "ReturnResult",
    "Unreadable",
    "Validation",
    "validate_return",
    "validate_returns",
    "validate_tables",
]
