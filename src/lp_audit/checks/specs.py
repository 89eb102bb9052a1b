"""The check objects a definition becomes: each check's name, function and what it reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Field
from lp_audit.findings import shorten
from lp_audit.periods import Period

if TYPE_CHECKING:
    import pandera.pandas as pa


@dataclass(frozen=True)
class CheckSpec:
    """What to report when the pandera check of the same name fails."""

    name: str
    code: str
    severity: str
    message: str
    field: str | None = None
    rule: str | None = None
    show_value: bool = True


@dataclass(frozen=True)
class Context:
    """Facts about the return that some checks need: its period, its provider, today, the
    rows of the same provider's previous return (typed, one per match key; see
    :func:`lp_audit.validation.previous.previous_rows`) when it is given, and for a return of
    several tables, the other tables' rows."""

    period: Period | None = None
    provider: str | None = None
    today: date | None = None
    previous: Any = field(default=None, compare=False, repr=False)
    #: for a return of several tables, each table's rows (typed, one per key), by name
    tables: Any = field(default=None, compare=False, repr=False)
    #: for several returns checked as one frame, which return each row is of and that
    #: return's period and provider (:class:`Returns`); ``period`` and ``provider`` are then
    #: None
    returns: Any = field(default=None, compare=False, repr=False)


#: The column that numbers each row's return when several returns are checked as one frame:
#: the rules over a return's rows (unique keys, a key's rows) add it to their keys.
RETURN_COLUMN = "\x00return"


@dataclass(frozen=True)
class Returns:
    """Several returns checked as one frame: for each row, the number of its return, and for
    each return, its period and provider (None where not known)."""

    number: Any  # numpy int array: each row's return, 0..len(periods)-1
    periods: tuple[Period | None, ...]
    providers: tuple[str | None, ...]

    def per_row(self, index: Any, values: Any) -> Any:
        """``values`` (one per return, a numpy array) for the rows at ``index``."""
        import numpy as np

        return values[self.number[np.asarray(index)]]

    def days(self, index: Any, end: bool) -> Any:
        """The first (or last) day of each row's period, as numpy days; NaT where the
        return's period is not known."""
        import numpy as np

        days = np.array(
            [
                np.datetime64((p.end if end else p.start), "D") if p else np.datetime64("NaT")
                for p in self.periods
            ],
            dtype="datetime64[D]",
        )
        return self.per_row(index, days)


@dataclass(frozen=True)
class CheckFn:
    """One check: its unique name and its vectorised function, which takes a column (or, for
    a rule, a frame) and returns a boolean Series, True where the value passes.

    The function is what pandera runs; building the pandera objects (and importing pandera,
    0.2 s) waits until a schema is asked for, so large returns, whose checks are evaluated
    directly, need neither.
    """

    name: str
    fn: Callable[[Any], Any]
    #: it reads where its rows are (of several returns in one frame, whose each row is), so
    #: it is run on the column, never on the column's distinct values
    by_row: bool = False

    def to_pandera(self) -> pa.Check:
        import pandera.pandas as pa

        return pa.Check(self.fn, name=self.name, ignore_na=False)


@dataclass(frozen=True)
class RuleSchema:
    """The check of a rule, and the columns it is run on."""

    columns: tuple[str, ...]
    checks: tuple[CheckFn, ...]
    #: "row" rules look at one row at a time; "return" rules (unique keys, rules over a
    #: group's rows) at the whole return
    kind: str = "row"
    #: the columns a "return" rule needs as values, not only as equal or not (a group's
    #: order and what it compares); the others it may read as hashes
    values: tuple[str, ...] = ()
    #: its check is given the whole frame, not its columns alone: every rule over a key's
    #: rows gets the same frame, so the grouping is worked out once for them all
    shares_frame: bool = False

    @property
    def schema(self) -> pa.DataFrameSchema:
        """The rule as a pandera schema of frame-level checks."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(checks=[c.to_pandera() for c in self.checks])


@dataclass(frozen=True)
class ReturnSchema:
    """Everything needed to check one return's typed frame."""

    column_checks: dict[str, tuple[CheckFn, ...]]
    rules: tuple[RuleSchema, ...]
    specs: dict[str, CheckSpec]
    name: str | None = None

    @property
    def columns(self) -> pa.DataFrameSchema:
        """The column checks as a pandera schema (columns optional, never coerced)."""
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {
                name: pa.Column(
                    nullable=True,
                    checks=[c.to_pandera() for c in checks],
                    required=False,
                    coerce=False,
                )
                for name, checks in self.column_checks.items()
            },
            strict=False,
            coerce=False,
            name=self.name,
        )


def describe_codes(f: Field) -> str:
    """The allowed codes with labels for a message, shortened when there are many."""
    listed = [c.value if c.label == c.value else f"{c.value} {c.label}" for c in f.codes]
    if len(listed) <= 8:
        return ", ".join(listed)
    return shorten(listed, 6) + " (the data definition lists them all)"
