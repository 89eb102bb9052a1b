"""An audit's JSON document written piece by piece, as ``json.dumps(..., indent=2)`` writes it.

The document's tables (every return's findings, the comparisons, the profile: tens of thousands
of records for a large network) are written a record at a time from their columns, each
distinct value of a column encoded once by json's C encoder, rather than made into dicts and
indented by json's pure-Python encoder all at once (measured on an audit of 240 returns, 54 MB
of JSON: peak 810 to 320 MiB, 19.2 to 17.6 CPU s). Everything else, small, is written by
``json.dumps`` itself. The text is the same, byte for byte: a test compares the two.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.document import Listed, Parts
from lp_audit.reports.jsontext import STEP, dumps, encode_column

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult, TablesAudit


def audit_json_parts(result: AuditResult | TablesAudit) -> Iterator[str]:
    """The text of ``json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str)``
    and a newline, in pieces."""
    yield from json_parts(Parts(result.document()))
    yield "\n"


def json_parts(value: Any) -> Iterator[str]:
    """The text of ``json.dumps(materialise(value), indent=2, ensure_ascii=False,
    default=str)`` in pieces, for a document's value: plain, :class:`Parts` or
    :class:`Listed` (see :func:`~lp_audit.auditing.document.materialise`)."""
    yield from _value(value, 0)


def _value(value: Any, depth: int) -> Iterator[str]:
    if isinstance(value, Parts):
        yield from _object(value.items, depth)
    elif isinstance(value, Listed):
        yield from _records(value, depth)
    elif isinstance(value, list) and any(isinstance(v, Parts | Listed) for v in value):
        yield from _list(value, depth)
    else:
        yield dumps(value, depth)


def _object(items: list[tuple[str, Any]], depth: int) -> Iterator[str]:
    if not items:
        yield "{}"
        return
    inner = STEP * (depth + 1)
    yield "{\n"
    for i, (key, value) in enumerate(items):
        yield inner + json.dumps(key, ensure_ascii=False) + ": "
        yield from _value(value, depth + 1)
        yield ",\n" if i < len(items) - 1 else "\n"
    yield STEP * depth + "}"


def _list(values: list[Any], depth: int) -> Iterator[str]:
    inner = STEP * (depth + 1)
    yield "[\n"
    for i, value in enumerate(values):
        yield inner
        yield from _value(value, depth + 1)
        yield ",\n" if i < len(values) - 1 else "\n"
    yield STEP * depth + "]"


def _records(listed: Listed, depth: int) -> Iterator[str]:
    """A list of records at ``depth``: each record's keys at ``depth + 2``."""
    if not listed.length:
        yield "[]"
        return
    columns = listed.columns()
    inner, keys_at = STEP * (depth + 1), STEP * (depth + 2)
    keys = [keys_at + json.dumps(name, ensure_ascii=False) + ": " for name in columns]
    encoded = [encode_column(values, depth + 2) for values in columns.values()]
    closing = "\n" + inner + "}"
    yield "[\n"
    for i in range(listed.length):
        if keys:
            body = ",\n".join(key + column[i] for key, column in zip(keys, encoded, strict=True))
            yield inner + "{\n" + body + closing
        else:
            yield inner + "{}"
        yield ",\n" if i < listed.length - 1 else "\n"
    yield STEP * depth + "]"
