"""The report's typed context, and the small-number policy as cells.

Every number passes through the small-number policy before it reaches a table, a chart or a
sentence: :mod:`lp_audit.reports.disclosure` plans, once for the whole report, which counts are
hidden (small counts, and the counts that would let a reader work them out from any total shown
anywhere), and :class:`Disclosure` turns those decisions into cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.cells import Key
from lp_audit.auditing.config import Suppression
from lp_audit.reports.disclosure import PRIMARY, Plan

if TYPE_CHECKING:
    from markupsafe import Markup


PROFILE_CLASSES = ("valid", "unknown", "invalid", "missing", "not_applicable")
CLASS_LABELS = {
    "valid": "Valid",
    "unknown": "Not known",
    "invalid": "Invalid",
    "missing": "Missing",
    "not_applicable": "Not applicable",
}
MEASURE_LABELS = {
    "missing": "blank",
    "unknown": "not known",
    "invalid": "invalid",
    "non_standard": "non-standard",
    "share": "share",
}


#: Ten shades for shares in tenths (0-10%, ..., 90-100%): matplotlib's sequential "Blues" at
#: the middle of each band (light to dark, in colour and in greyscale alike), so that a table of
#: mostly 0% stays quiet and large shares stand out. A test checks them against matplotlib, and
#: that each cell's text reads on its shade (WCAG contrast of at least 4.5:1).
SHADES = (
    "#eef5fc", "#d9e8f5", "#c6dbef", "#a6cee4", "#7fb9da",
    "#5ba3d0", "#3b8bc2", "#2070b4", "#0d57a1", "#083c7d",
)  # fmt: skip
#: From this shade on, a cell's text is white; below it, dark.
LIGHT_TEXT_FROM = 7


def shade_of(share: float) -> int:
    """The shade (0-9) of a share from 0 to 1: its tenth."""
    return min(9, max(0, int(share * 10)))


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, a style ("num", "suppressed", "hidden", "flag") and, for a
    share in a shaded table, its shade (0-9, see :data:`SHADES`)."""

    text: str
    kind: str = ""
    shade: int | None = None


@dataclass(frozen=True)
class Table:
    """A table with a caption and header cells, ready to render."""

    id: str
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    #: most data columns a printed page holds at a readable size (A4 portrait, 9 pt)
    PRINT_COLUMNS = 8

    def print_parts(self) -> tuple[Table, ...]:
        """The table for a printed page: as it is, or, when too wide, in parts of at most
        :data:`PRINT_COLUMNS` data columns, each repeating the first (the rows' names)."""
        data = len(self.headers) - 1
        if data <= self.PRINT_COLUMNS:
            return ()
        parts = []
        count = -(-data // self.PRINT_COLUMNS)
        for n, start in enumerate(range(1, len(self.headers), self.PRINT_COLUMNS), start=1):
            picked = [0, *range(start, min(start + self.PRINT_COLUMNS, len(self.headers)))]
            parts.append(
                Table(
                    f"{self.id}-print-{n}",
                    f"{self.caption} (part {n} of {count})",
                    tuple(self.headers[i] for i in picked),
                    tuple(tuple(row[i] for i in picked) for row in self.rows),
                )
            )
        return tuple(parts)


@dataclass(frozen=True)
class Figure:
    """A chart as inline SVG, its text alternative, and the same numbers as a table."""

    id: str
    title: str
    svg: Markup
    alt: str
    table: Table


@dataclass(frozen=True)
class ProviderPart:
    """One provider's section: capture split and most frequent findings."""

    code: str
    name: str
    summary: str
    capture: Table
    findings: Table


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template shows, already formatted and suppressed."""

    title: str
    definition: str
    latest: str
    shareable: bool
    coverage: str
    scores: Table
    highlights: tuple[str, ...]
    heatmap: Figure | None
    funnels: tuple[Figure, ...]
    categories: tuple[Table, ...]
    drift: Table
    trends: Figure | None
    providers: tuple[ProviderPart, ...]
    acknowledged: Table
    unreadable: tuple[str, ...]
    methods: tuple[tuple[str, str], ...]
    policy: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    stamp: str = ""  # when it was made, only when asked for (reports are reproducible)
    targets: Table | None = None  # each provider's valid share against the config's targets
    noun: str = "quarter"  # what one period is: quarter, year or month


class Disclosure:
    """The small-number policy as the report applies it: every number asks the plan.

    The plan (:mod:`lp_audit.disclosure`) has already decided, across every table, which of the
    audit's counts are hidden; here those decisions become cells: ``<5`` for a small count,
    ``*`` for a count hidden so that another cannot be worked out, ``—`` for a percentage whose
    denominator is too small to mean much.
    """

    def __init__(self, policy: Suppression, plan: Plan) -> None:
        self.min_count = policy.min_count
        self.min_denominator = policy.min_denominator
        self.plan = plan
        self.enabled = plan.enabled

    def small(self, n: float) -> bool:
        return self.enabled and 1 <= n < self.min_count

    def _hidden(self, *keys: Key) -> Cell | None:
        for key in keys:
            why = self.plan.why(key)
            if why == PRIMARY:
                return Cell(f"<{self.min_count}", "suppressed")
            if why is not None:
                return Cell("*", "suppressed")
        return None

    def count(self, n: float, key: Key | None = None) -> Cell:
        """A count: hidden when small, or when the plan hides ``key``."""
        hidden = self._hidden(key) if key is not None else None
        if hidden is not None:
            return hidden
        if self.small(n):
            return Cell(f"<{self.min_count}", "suppressed")
        return Cell(f"{int(n):,}", "num")

    def share(
        self,
        num: float,
        den: float,
        *,
        digits: int = 0,
        keys: tuple[Key, ...] = (),
    ) -> Cell:
        """``num / den`` as a percentage; ``keys`` are the counts it reveals (numerator first)."""
        if den <= 0 or (isinstance(num, float) and math.isnan(num)):
            return Cell("—", "hidden")
        hidden = self._hidden(*keys)
        if hidden is not None:
            return hidden
        if self.enabled and den < self.min_denominator:
            return Cell("—", "hidden")
        if self.small(num):
            return Cell(f"<{self.min_count}", "suppressed")
        return Cell(f"{100 * num / den:.{digits}f}%", "num")

    def score(self, value: float, key: Key) -> Cell:
        """A score (0-100) as the plan allows: a whole number, ``≈95`` to the nearest 5 or 10
        where a whole number would narrow a hidden count too far, or ``*``."""
        if not self.plan.shown(key):
            return Cell("*", "suppressed")
        return Cell(score_text(value, self.plan.rounding(key)), "num")

    def describe(self) -> str:
        if not self.enabled:
            return (
                "No small-number suppression was applied. This report is for internal analysis "
                "only and must not be shared."
            )
        return (
            f"Counts from 1 to {self.min_count - 1} are shown as <{self.min_count}, and so are "
            "percentages built on them. Percentages whose denominator is under "
            f"{self.min_denominator} are not shown (—). The report's numbers are tied together by "
            "totals a reader can see: the classes of a field add up to its rows, the providers add "
            "up to the network, the codes add up to the coded rows, the scores are built from the "
            "valid shares. So where a hidden count could be worked out from them, in this table "
            "or any other, further counts are hidden too (*), and the whole report is checked so "
            "that no hidden count can be worked out exactly. A score is shown to the nearest 5 or 10 "
            "(≈95) when a whole number would narrow a hidden count to fewer values than the "
            "suppressed band, and hidden (*) when even that would. Charts leave out what the "
            "tables hide."
        )


def score_text(value: float, points: int = 1) -> str:
    """A score to the nearest ``points``: ``94``, or ``≈95`` when rounded more coarsely."""
    if points == 1:
        return f"{value:.0f}"
    return f"≈{points * round(value / points):.0f}"


def pct(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def by_key(frame: Any, *columns: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The rows of an audit table as records keyed by ``columns``' values as text (the first
    row of each key): one pass over the table, where a boolean filter per lookup is a pass each
    (measured on the examples' report: 0.1 s of lookups)."""
    if not len(frame):
        return {}
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in frame.to_dict("records"):
        out.setdefault(tuple(str(record[c]) for c in columns), record)
    return out
