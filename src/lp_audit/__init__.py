"""lp_audit: turn shared data definitions into checks, and checks into learning."""

from __future__ import annotations

# not typing's: importing typing takes 9 ms, most of what `lp-audit --help` costs
TYPE_CHECKING = False

__version__ = "0.1.0"

__all__ = [
    "AuditResult",
    "Definition",
    "DefinitionError",
    "DefinitionNotFoundError",
    "Finding",
    "LpAuditError",
    "Period",
    "ReturnReadError",
    "ReturnResult",
    "__version__",
    "audit",
    "build_schema",
    "check_definitions",
    "list_definitions",
    "load_definition",
    "pandera_schema",
    "read_return",
    "render_report",
    "validate_return",
    "validate_returns",
]

if TYPE_CHECKING:
    from typing import Any

    from lp_audit.auditing import AuditResult, audit
    from lp_audit.checks import build_schema, pandera_schema
    from lp_audit.definitions import (
        Definition,
        check_definitions,
        list_definitions,
        load_definition,
    )
    from lp_audit.errors import (
        DefinitionError,
        DefinitionNotFoundError,
        LpAuditError,
        ReturnReadError,
    )
    from lp_audit.findings import Finding
    from lp_audit.periods import Period
    from lp_audit.reading import read_return
    from lp_audit.reports import render_report
    from lp_audit.validation import ReturnResult, validate_return, validate_returns

_LAZY = {
    "AuditResult": "lp_audit.auditing",
    "audit": "lp_audit.auditing",
    "Definition": "lp_audit.definitions",
    "list_definitions": "lp_audit.definitions",
    "load_definition": "lp_audit.definitions",
    "check_definitions": "lp_audit.definitions",
    "render_report": "lp_audit.reports",
    "validate_returns": "lp_audit.validation",
    "DefinitionError": "lp_audit.errors",
    "DefinitionNotFoundError": "lp_audit.errors",
    "LpAuditError": "lp_audit.errors",
    "ReturnReadError": "lp_audit.errors",
    "Finding": "lp_audit.findings",
    "Period": "lp_audit.periods",
    "read_return": "lp_audit.reading",
    "build_schema": "lp_audit.checks",
    "pandera_schema": "lp_audit.checks",
    "ReturnResult": "lp_audit.validation",
    "validate_return": "lp_audit.validation",
}


def __getattr__(name: str) -> Any:
    """Import the public API lazily, so the command line starts fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lp_audit' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
