"""An audit's JSON document as parts, its tables held as columns until they are written.

:meth:`~lp_audit.auditing.result.AuditResult.document` gives the document as ``(key, value)``
pairs: a table is a :class:`Listed` (its records made from its columns when asked for), an
object with such values inside a :class:`Parts`. :func:`materialise` makes the plain dicts and
lists that ``to_dict()`` returns; :mod:`lp_audit.reports.jsondoc` writes the same text as
``json.dumps(..., indent=2)`` of them without making every record at once (an audit of 240
returns held about 500 MB of them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Listed:
    """A list of records that share their keys, held as columns: ``columns()`` gives each
    key's values in order, and ``length`` is the number of records."""

    columns: Callable[[], dict[str, list[Any]]]
    length: int

    def records(self) -> list[dict[str, Any]]:
        columns = self.columns()
        names = list(columns)
        if not names:
            return [{} for _ in range(self.length)]
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


@dataclass(frozen=True)
class Parts:
    """An object of the document whose values may be :class:`Listed` or :class:`Parts`."""

    items: list[tuple[str, Any]]


def table(frame: pd.DataFrame) -> Listed:
    """A table's rows as records: numpy scalars as Python's, NaN as None, keys as text."""

    def columns() -> dict[str, list[Any]]:
        return {str(name): [_plain(v) for v in frame[name].tolist()] for name in frame.columns}

    return Listed(columns, len(frame))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def materialise(value: Any) -> Any:
    """The plain dicts and lists a document's value stands for."""
    if isinstance(value, Listed):
        return value.records()
    if isinstance(value, Parts):
        return {key: materialise(v) for key, v in value.items}
    if isinstance(value, list):
        return [materialise(v) for v in value]
    return value
