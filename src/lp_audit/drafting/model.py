"""What a draft definition is made of: its fields, its tables and its rules, before YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.drafting.columns import Column


@dataclass
class Field:
    """A column of the samples as a field of the draft."""

    name: str
    column: Column
    alias: str | None = None
    missing_from: list[str] = field(default_factory=list)
    tolerance: str | None = None
    tolerance_note: str | None = None
    #: the column in each sample that has it, as read
    samples: list[pd.Series] = field(default_factory=list, repr=False)
    #: the sample each of ``samples`` comes from (its position among the draft's files)
    sample_of: list[int] = field(default_factory=list, repr=False)
    #: when it is required, as the samples show it: the condition's YAML, and a comment
    required_when: tuple[str, str] | None = None


@dataclass(frozen=True)
class Source:
    """Where a sample is: a file, or one sheet of a workbook of several tables."""

    path: str
    sheet: str | None = None

    @property
    def shown(self) -> str:
        return self.path if self.sheet is None else f"{self.path} (sheet {self.sheet})"

    @property
    def name(self) -> str:
        """What names its table: the sheet's name, or the file's without its extension."""
        return self.sheet if self.sheet is not None else Path(self.path).stem

    @property
    def return_name(self) -> str:
        """The name of the return it is part of, in a return of several tables: the
        workbook's, or the folder's."""
        return Path(self.path).stem if self.sheet is not None else Path(self.path).parent.name


@dataclass
class Table:
    """One table of a return of several, as the samples show it: the samples that are this
    table (their positions among the draft's files), its fields and the field whose value
    each of its rows has alone."""

    name: str
    samples: list[int]
    fields: list[str] = field(default_factory=list)
    #: the name its files have, when the table's name is not it
    file: str | None = None
    #: the fields that identify a row (none found: empty)
    key: tuple[str, ...] = ()


@dataclass
class Rule:
    """A rule the draft proposes: one row per key value (``unique``), a row's key value found
    in the table it names (``link``: an episode's child is in the header), or one date of a
    row on or after another (``order``: a first contact on or after the referral)."""

    id: str
    kind: Literal["unique", "link", "order"]
    #: the fields the rule is about: the key, the field that must be found in ``other``, or
    #: the date that must be on or after the other
    fields: tuple[str, ...]
    message: str
    table: str | None = None
    other: str | None = None
    #: what the samples say of it, as a comment
    note: str | None = None
    #: of an order, how the first date compares with the second (``TABLE.FIELD`` when it is
    #: another table's): on or after (>=) or on or before (<=)
    op: str = ">="
    tolerance: str | None = None
    tolerance_note: str | None = None


@dataclass
class Draft:
    """A draft definition: its YAML text (with comments) and what it was made from."""

    text: str
    fields: list[Field]
    files: list[str]
    rows: int
    #: what the draft could not decide, also written as comments in the YAML
    undecided: list[str]
    period_field: str | None = None
    provider_field: str | None = None
    #: how often returns come, when the samples' names say and it is not every financial
    #: quarter: (every, the month its year starts, a name's period)
    period: tuple[str, int, str] | None = None
    #: the key of a return of one table
    key: tuple[str, ...] = ()
    #: the tables of a return of several (none for a return of one table)
    tables: list[Table] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    def named(self, name: str) -> Field:
        """The field named ``name``."""
        return next(f for f in self.fields if f.name == name)
