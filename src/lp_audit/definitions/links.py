"""What ties a return to other data: the tables of a return of several, the lookup tables
beside the definition, the previous return, and continuity between consecutive returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lp_audit.definitions.conditions import Condition

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Continuity:
    """How a case carries over between consecutive returns: open cases reappear, unchanged."""

    id_field: str
    open_when: Condition
    same: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One table of a return of several (children and their episodes): its fields (named
    from the definition's ``fields``), the fields that identify a row, and the file that holds
    it (a CSV file or a workbook sheet named so, by default the table's name)."""

    name: str
    fields: tuple[str, ...]
    key: tuple[str, ...] = ()
    file: str = ""
    line: int | None = field(default=None, compare=False)

    @property
    def file_name(self) -> str:
        """The name its file or sheet has (without an extension, in any case)."""
        return self.file or self.name


@dataclass(frozen=True)
class PreviousReturn:
    """How a return is compared with the same provider's return of the period before, when
    that return is given: rows are matched on ``match`` (a child's ID), and a rule may read
    ``before.F``, F on the matching row of the previous return. With ``carried_when``, every
    row of the previous return where it holds (a case open at its end) must appear again: one
    finding each, of ``severity``, that says ``message``."""

    match: tuple[str, ...]
    carried_when: Condition | None = None
    severity: Severity = "error"
    message: str = ""
    line: int | None = field(default=None, compare=False)

    @property
    def fields(self) -> tuple[str, ...]:
        names = self.match + (self.carried_when.fields() if self.carried_when else ())
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Lookup:
    """A table beside the definition (a CSV file) that rules look values up in:
    ``NAME(field)`` in a compare is the ``value`` column of the row whose ``key`` column
    holds the field's value (a postcode district's local authority)."""

    name: str
    file: str
    key: str
    value: str
    #: the table's (key, value) rows, read with the definition
    table: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    line: int | None = field(default=None, compare=False)
