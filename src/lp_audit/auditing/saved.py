"""An audit read back from the JSON document that ``lp-audit audit --format json`` writes.

The document holds every table of the audit, each return's findings and tolerances, the
settings and the day: all a report is drawn from. :func:`load_audit_json` rebuilds the
:class:`AuditResult` from it, each table with the types the audit gave it (a test checks
:data:`TABLE_TYPES` against a real audit's tables, so that they cannot drift apart), so that
the report rendered from the document is the report rendered from the audit. What the document
does not hold (each return's capture profile) a report does not need.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lp_audit.auditing.config import config_from
from lp_audit.auditing.result import AuditResult, Highlight, TablesAudit
from lp_audit.definitions.model import Limit, Tolerance
from lp_audit.errors import LpAuditError
from lp_audit.findings import FINDING_TYPES as _FINDING_COLUMNS
from lp_audit.validation import ReturnResult, Unreadable
from lp_audit.validation.stored import restored
from lp_audit.validation.tolerances import Tolerated

if TYPE_CHECKING:
    import pandas as pd

_S, _I, _F, _B, _O = "str", "int64", "float64", "bool", "object"
#: The columns of each table of an audit, with their pandas types.
TABLE_TYPES: dict[str, dict[str, str]] = {
    "coverage": {"provider": _S, "period": _S, "expected": _B, "received": _I},
    "scores": {"provider": _S, "period": _S, "rows": _I}
    | dict.fromkeys(("score", "previous", "change"), _F),
    "profile": {"provider": _S, "period": _S, "field": _S}
    | dict.fromkeys(
        ("rows", "valid", "unknown", "invalid", "missing", "not_applicable", "non_standard"), _I
    )
    | {"applicable": _I}
    | dict.fromkeys(("completeness", "validity", "score", "weight"), _F),
    "funnels": dict.fromkeys(("period", "subject", "kind", "measure", "provider"), _S)
    | {"numerator": _F, "denominator": _I}
    | dict.fromkeys(
        ("rate", "pooled", "z", "lo95", "hi95", "lo998", "hi998", "phi", "pooled_numerator"), _F
    )
    | {"flag": _S},
    "categories": dict.fromkeys(("period", "field", "provider", "code"), _S)
    | {"count": _I, "total": _I, "share": _F, "pooled": _F, "pooled_count": _I}
    | {"expected": _F, "z": _F, "method": _S},
    "metrics": dict.fromkeys(("period", "metric", "kind", "provider"), _S)
    | {"value": _F, "n": _I, "network": _F, "low": _F, "high": _F},
    "continuity": dict.fromkeys(("provider", "from_period", "to_period"), _S)
    | dict.fromkeys(("open", "carried", "vanished", "changed"), _I)
    | {"examples": _S},
    "comparisons": dict.fromkeys(("kind", "period", "provider", "subject", "measure"), _S)
    | {"x": _F, "n": _I, "rest_x": _F, "rest_n": _I}
    | dict.fromkeys(("value", "rest_value", "difference", "size", "p", "q"), _F)
    | {"material": _B, "significant": _B, "importance": _F, "since": _S, "before": _O},
}
#: The types of a return's findings.
FINDING_TYPES = {**_FINDING_COLUMNS, "acknowledged": _O}


class SavedAuditError(LpAuditError):
    """A file that is not an audit's JSON document: one line saying why."""


def load_audit_json(path: str | Path) -> AuditResult | TablesAudit:
    """The audit in a JSON document that ``audit --format json`` wrote (of returns of
    several tables: a :class:`TablesAudit`, each table's audit with its part of the
    definition, loaded by its ref).

    Raises:
        SavedAuditError: if the file is not such a document (or one without its settings,
            written before they were part of it).
    """
    source = Path(path)
    try:
        data = json.loads(source.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SavedAuditError(f"{source}: not an audit's JSON document: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "audit":
        raise SavedAuditError(
            f"{source}: not an audit's JSON document (lp-audit audit --format json writes one)"
        )
    if "settings" not in data:
        raise SavedAuditError(
            f"{source}: written by an older lp_audit, without the audit's settings: audit again"
        )
    try:
        return _tables(data) if "tables" in data else _audit(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise SavedAuditError(f"{source}: an audit's JSON document, but damaged: {exc!r}") from None


def _tables(data: dict[str, Any]) -> TablesAudit:
    """An audit of returns of several tables: each table's part, as an audit of one."""
    from lp_audit.definitions import load_definition

    whole = load_definition(data["definition"])
    parts = []
    for part in data["tables"]:
        audited = _audit(part)
        audited.table = part["table"]
        audited.definition_model = whole.for_table(part["table"])
        parts.append(audited)
    return TablesAudit(
        definition=data["definition"],
        parts=parts,
        unreadable=[Unreadable(**u) for u in data["unreadable"]],
        config=config_from(data["settings"]),
        today=date.fromisoformat(data["today"]) if data["today"] else None,
        definition_model=whole,
    )


def _audit(data: dict[str, Any]) -> AuditResult:
    return AuditResult(
        definition=data["definition"],
        returns=[_return(r) for r in data["returns"]],
        unreadable=[Unreadable(**u) for u in data["unreadable"]],
        profile=_table("profile", data["profile"]),
        scores=_table("scores", data["scores"]),
        coverage=_table("coverage", data["coverage"]),
        funnels=_table("funnels", data["funnels"]),
        categories=_table("categories", data["categories"]),
        metrics=_table("metrics", data["metrics"]),
        continuity=_table("continuity", data["continuity"]),
        highlights=[Highlight(**h) for h in data["highlights"]],
        comparisons=_table("comparisons", data["comparisons"]),
        config=config_from(data["settings"]),
        methods=data["methods"],
        today=date.fromisoformat(data["today"]) if data["today"] else None,
        inputs=[(str(i["path"]), str(i["sha256"])) for i in data["inputs"]],
    )


def _table(
    name: str, records: list[dict[str, Any]], types: dict[str, str] | None = None
) -> pd.DataFrame:
    import pandas as pd

    types = types or TABLE_TYPES[name]
    return restored(pd.DataFrame.from_records(records, columns=list(types)), types)


def _return(data: dict[str, Any]) -> ReturnResult:
    findings = _table("findings", data["findings"], FINDING_TYPES)
    listed = findings["severity"].value_counts()
    return ReturnResult(
        path=data["path"],
        definition=data["definition"],
        provider=data["provider"],
        period=data["period"],
        rows=data["rows"],
        findings=findings,
        encoding=data["encoding"],
        # findings counted but not listed one by one
        omitted={
            s: n - int(listed.get(s, 0)) for s, n in data["counts"].items() if n > listed.get(s, 0)
        },
        tolerated=tuple(_tolerated(t) for t in data["tolerances"]),
    )


def _limit(text: str | None) -> Limit | None:
    if text is None:
        return None
    return Limit(float(text.rstrip("%")), percent=text.endswith("%"))


def _tolerated(data: dict[str, Any]) -> Tolerated:
    kind: Literal["field", "rule"] = "field" if "field" in data else "rule"
    levels = {"nothing": "none", "warnings": "warning", "own severity": "own"}
    return Tolerated(
        subject=data[kind],
        kind=kind,
        tolerance=Tolerance(
            warning=_limit(data["tolerance"].get("warning")),
            error=_limit(data["tolerance"].get("error")),
        ),
        errors=data["errors"],
        warnings=data["warnings"],
        rows=data["rows"],
        level=levels[data["counted_as"]],  # type: ignore[arg-type]
    )
