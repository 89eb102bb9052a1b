"""Return periods: quarters, years or months, of a financial year (from April) or a calendar
year, labelled as returns label them.

=========  ================  ==============  =========================================
every      year starts       label           e.g.
=========  ================  ==============  =========================================
quarter    April (default)   ``2025-26 Q2``  July to September 2025
quarter    January           ``2025 Q3``     July to September 2025
year       April             ``2025-26``     April 2025 to March 2026
year       January           ``2025``        the calendar year
month      either            ``2025-07``     July 2025
=========  ================  ==============  =========================================

A label says which kind it is, except ``2000-01`` to ``2011-12``, which are both a financial
year and a month: :meth:`Period.parse` reads those as ``every`` says (a financial year when it
says nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Every = Literal["quarter", "year", "month"]
EVERY: tuple[Every, ...] = ("quarter", "year", "month")
#: The month a year starts in: April (a financial year) or January (a calendar year).
YEAR_STARTS = {"april": 4, "january": 1}

_FY_QUARTER = re.compile(r"^\s*(\d{4})-(\d{2})\s*Q([1-4])\s*$", re.IGNORECASE)
_CAL_QUARTER = re.compile(r"^\s*(\d{4})\s*Q([1-4])\s*$", re.IGNORECASE)
_YEAR_PAIR = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


@dataclass(frozen=True)
class Period:
    """One return period: ``year`` is the year it belongs to (a financial year by the year it
    starts in), ``quarter`` its quarter (1-4), month (1-12), or 0 for a whole year."""

    year: int
    quarter: int
    every: Every = "quarter"
    starts: int = 4  # the month its year starts in: 4 (April) or 1 (January); 1 for a month

    @classmethod
    def parse(cls, text: str, every: Every | None = None, starts: int | None = None) -> Period:
        """Parse a period label (see the module's table).

        ``every`` and ``starts`` say what a label means where it could be two things, and
        refuse labels of another kind.

        Raises:
            ValueError: if the text is not a period (of that kind), e.g. ``2025-27 Q1``.
        """
        period = cls._read(text, every, starts)
        if (every is not None and period.every != every) or (
            starts is not None and period.every != "month" and period.starts != starts
        ):
            raise ValueError(f"{text!r} is not a period like {example(every, starts)!r}")
        return period

    @classmethod
    def _read(cls, text: str, every: Every | None, starts: int | None) -> Period:
        if match := _FY_QUARTER.match(text):
            year, short, quarter = int(match[1]), int(match[2]), int(match[3])
            if (year + 1) % 100 != short:
                raise ValueError(
                    f"{text!r} is not a financial year: {year} is followed by {year + 1}"
                )
            return cls(year, quarter, "quarter", 4)
        if match := _CAL_QUARTER.match(text):
            return cls(int(match[1]), int(match[2]), "quarter", 1)
        if match := _YEAR_PAIR.match(text):
            year, short = int(match[1]), int(match[2])
            financial = (year + 1) % 100 == short
            month = 1 <= short <= 12
            if financial and (every != "month" or not month):
                return cls(year, 0, "year", 4)
            if month:
                return cls(year, short, "month", 1)
            raise ValueError(
                f"{text!r} is neither a financial year ({year}-{(year + 1) % 100:02d}) nor a "
                "month (YYYY-MM)"
            )
        if match := _YEAR.match(text):
            return cls(int(match[1]), 0, "year", 1)
        raise ValueError(f"{text!r} is not a period like {example(every, starts)!r}")

    @classmethod
    def of(cls, day: date, every: Every = "quarter", starts: int = 4) -> Period:
        """The period ``day`` falls in."""
        if every == "month":
            return cls(day.year, day.month, "month", 1)
        year = day.year if day.month >= starts else day.year - 1
        if every == "year":
            return cls(year, 0, "year", starts)
        return cls(year, (day.month - starts) % 12 // 3 + 1, "quarter", starts)

    @property
    def start(self) -> date:
        """The first day of the period."""
        if self.every == "month":
            return date(self.year, self.quarter, 1)
        month = self.starts + (3 * (self.quarter - 1) if self.every == "quarter" else 0)
        return date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        return date.fromordinal(self.next().start.toordinal() - 1)

    def next(self) -> Period:
        """The following period."""
        last = {"quarter": 4, "month": 12, "year": 0}[self.every]
        if self.quarter == last:
            return Period(self.year + 1, 1 if last else 0, self.every, self.starts)
        return Period(self.year, self.quarter + 1, self.every, self.starts)

    # ordered by the days they span (a financial quarter and the calendar quarter of the same
    # months are neither before nor after each other), equal only when of the same kind too
    def _span(self, other: object) -> tuple[tuple[date, date], tuple[date, date]]:
        if not isinstance(other, Period):
            raise TypeError(f"cannot compare a period with {type(other).__name__}")
        return (self.start, self.end), (other.start, other.end)

    def __lt__(self, other: object) -> bool:
        mine, theirs = self._span(other)
        return mine < theirs

    def __le__(self, other: object) -> bool:
        mine, theirs = self._span(other)
        return mine <= theirs

    def __gt__(self, other: object) -> bool:
        mine, theirs = self._span(other)
        return mine > theirs

    def __ge__(self, other: object) -> bool:
        mine, theirs = self._span(other)
        return mine >= theirs

    def __str__(self) -> str:
        if self.every == "month":
            return f"{self.year}-{self.quarter:02d}"
        year = f"{self.year}-{(self.year + 1) % 100:02d}" if self.starts == 4 else str(self.year)
        if self.every == "year":
            return year
        return f"{year} Q{self.quarter}"

    @property
    def noun(self) -> str:
        """What one period is called: quarter, year or month."""
        return self.every


def example(every: Every | None = None, starts: int | None = None) -> str:
    """A label of the kind given, for messages: ``2025-26 Q2`` by default."""
    starts = starts or 4
    if every == "month":
        return "2025-07"
    if every == "year":
        return "2025-26" if starts == 4 else "2025"
    return "2025-26 Q2" if starts == 4 else "2025 Q3"


def sort_key(text: str) -> tuple[int, int, int]:
    """Order period labels in time; text that is not a period sorts last."""
    try:
        p = Period.parse(text)
    except ValueError:
        return (9999, 99, 99)
    return (p.start.year, p.start.month, -p.end.toordinal())


def consecutive(a: str, b: str) -> bool:
    """Whether period label ``b`` follows ``a`` directly."""
    try:
        first = Period.parse(a)
        return first.next() == Period.parse(b, first.every, first.starts)
    except ValueError:
        return False
