"""Financial-year quarters such as ``2025-26 Q2`` (July to September 2025)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import total_ordering

_PERIOD_RE = re.compile(r"^\s*(\d{4})-(\d{2})\s*Q([1-4])\s*$", re.IGNORECASE)


@total_ordering
@dataclass(frozen=True)
class Period:
    """A quarter of a financial year that starts on 1 April."""

    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-YY Qn``.

        Raises:
            ValueError: if the text is not a financial quarter, e.g. ``2025-27 Q1``.
        """
        match = _PERIOD_RE.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a period like '2025-26 Q2'")
        year, short, quarter = int(match[1]), int(match[2]), int(match[3])
        if (year + 1) % 100 != short:
            raise ValueError(f"{text!r} is not a financial year: {year} is followed by {year + 1}")
        return cls(year, quarter)

    @classmethod
    def of(cls, day: date) -> Period:
        """The quarter ``day`` falls in."""
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year, (day.month - 4) % 12 // 3 + 1)

    @property
    def start(self) -> date:
        """The first day of the quarter."""
        month = 4 + 3 * (self.quarter - 1)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the quarter."""
        nxt = self.next()
        return date.fromordinal(nxt.start.toordinal() - 1)

    def next(self) -> Period:
        """The following quarter."""
        return (
            Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.year, self.quarter) < (other.year, other.quarter)

    def __str__(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d} Q{self.quarter}"


def sort_key(text: str) -> tuple[int, int]:
    """Order period labels in time; text that is not a period sorts last."""
    try:
        p = Period.parse(text)
    except ValueError:
        return (9999, 9)
    return (p.year, p.quarter)


def consecutive(a: str, b: str) -> bool:
    """Whether period label ``b`` follows ``a`` directly."""
    try:
        return Period.parse(a).next() == Period.parse(b)
    except ValueError:
        return False
