"""Reading a date field's text: its definition's form, the forms accepted with a warning, and a
time of day after the date when the field takes one (checked, then set aside: a date is a day).

Every step is pyarrow compute over the column (or its distinct texts), with no Python loop.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from lp_audit.checks.problems import ParseProblem
from lp_audit.definitions import DATE_FORMATS, Definition, Field
from lp_audit.definitions.forms import NAMED_TIME, REAL_TIME

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: A time after a date, as databases and spreadsheets export a date: 2025-07-01 00:00:00
TIME = r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"
#: a day or month of one digit between a date's separators (3/7/2025, 2025-7-3), as
#: spreadsheets write them; read as if written with its leading zero (see :func:`_padded`)
_ONE_DIGIT = r"(^|[-/.])([0-9])([-/.]|$)"


def _padded(text: pa.Array) -> pa.Array:
    """``text`` with a leading zero before each day or month of one digit: 03/07/2025 for
    3/7/2025 (twice, as a separator ends one match and starts the next)."""
    import pyarrow.compute as pc

    once = pc.replace_substring_regex(text, _ONE_DIGIT, r"\10\2\3")
    return pc.replace_substring_regex(once, _ONE_DIGIT, r"\10\2\3")


def _seconds(parts: pa.Array) -> pa.Array:
    """The seconds from midnight of each real time of day, as ``NAMED_TIME`` extracted its
    ``parts`` from the text after each date (0 where none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def number(name: str) -> pa.Array:
        digits = pc.replace_substring_regex(pc.struct_field(parts, name), "^$", "0")
        return pc.cast(digits, pa.int64())

    seconds = pc.add(
        pc.add(pc.multiply(number("h"), 3600), pc.multiply(number("m"), 60)), number("s")
    )
    return pc.fill_null(pc.if_else(pc.is_valid(parts), seconds, 0), 0)


def _date_spec(name: str) -> tuple[str, str, int]:
    """For a format name such as DD/MM/YYYY: its strptime format, exact regex and day offset."""
    fmt = DATE_FORMATS[name]
    pattern = re.escape(fmt).replace("%Y", r"\d{4}").replace("%m", r"\d{2}").replace("%d", r"\d{2}")
    day_at = len(fmt[: fmt.index("%d")].replace("%Y", "YYYY").replace("%m", "MM"))
    return fmt, f"^{pattern}$", day_at


def parse_dates(text: pa.Array, name: str) -> pa.Array:
    """Dates written exactly in format ``name``; anything else, or an impossible date, is null.

    pyarrow's strptime rolls 2025-02-30 over to 2 March, so the parsed day is checked against
    the written one.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    fmt, pattern, day_at = _date_spec(name)
    shaped = pc.match_substring_regex(text, pattern).fill_null(False)
    candidates = pc.if_else(shaped, text, pa.scalar(None, pa.large_string()))
    stamps = pc.strptime(candidates, format=fmt, unit="s", error_is_null=True)
    written_day = pc.cast(pc.utf8_slice_codeunits(candidates, day_at, day_at + 2), pa.int64())
    exact = pc.equal(pc.day(stamps), written_day).fill_null(False)
    return pc.if_else(exact, stamps, pa.scalar(None, stamps.type))


def parse_date_column(
    text: pa.Array,
    blank: pd.Series,
    f: Field,
    definition: Definition,
    problems: list[ParseProblem],
    mask: Callable[[pa.Array], pd.Series],
) -> pd.Series:
    """The days of a date field's ``text`` (null where unreadable), adding its problems.

    A form accepted with a warning gives ``date-format``, as does a day or month written
    without its leading zero (3/7/2025 for 03/07/2025); a value in no accepted form is an
    error told apart by what it looks like (see :func:`_unreadable`). For a field with
    ``time: allowed`` a real time of day may follow the date; with ``time: required`` a date
    without one is ``date-without-time``, an error, and not known in a rule. The value of a
    field that takes a time is its day and time (rules compare days; ``minutes(A, B)`` and the
    order of a group's rows use the time).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    days = text
    timed = parts = None
    if f.time is not None:
        parts = pc.extract_regex(text, NAMED_TIME)  # null where no real time follows the date
        timed = mask(pc.is_valid(parts))
        days = pc.replace_substring_regex(text, REAL_TIME, "")
    asked = definition.date_format + (" hh:mm" if f.time == "required" else "")  # the form
    written = days
    days = _padded(days)
    dates = parse_dates(days, definition.date_format)
    failed = ~blank & ~mask(pc.is_valid(dates))
    unpadded = ~blank & ~failed & ~mask(pc.equal(days, written))
    if unpadded.any():
        problems.append(
            ParseProblem(
                f.name,
                "date-format",
                "warning",
                f"{f.label} is written without a leading zero (3/7/2025 for 03/07/2025); it "
                f"was accepted, but write dates as {asked}.",
                unpadded,
            )
        )
    for name in definition.dates_accepted_with_warning:
        if not failed.any():
            break
        alt = parse_dates(days, name)
        fixed = failed & mask(pc.is_valid(alt))
        if fixed.any():
            problems.append(
                ParseProblem(
                    f.name,
                    "date-format",
                    "warning",
                    f"{f.label} is written {name}; it was accepted, but write dates as {asked}.",
                    fixed,
                )
            )
            dates = pc.if_else(pc.is_valid(dates), dates, alt)
            failed = failed & ~fixed
    if failed.any():
        formats = (definition.date_format, *definition.dates_accepted_with_warning)
        problems += _unreadable(f, text, failed, formats, mask)
    if f.time == "required" and timed is not None:
        untimed = ~blank & ~failed & ~timed
        if untimed.any():
            problems.append(
                ParseProblem(
                    f.name,
                    "date-without-time",
                    "error",
                    f"{f.label} has no time of day: write the date and the time, in the form "
                    f"{asked}.",
                    untimed,
                )
            )
            # not known in a rule, as a value that fails its type is not
            dates = pc.if_else(pa.array(untimed.to_numpy()), pa.scalar(None, dates.type), dates)
    if parts is not None:  # the day and its time, for a rule's minutes and a group's order
        dates = pc.add(dates, pc.cast(_seconds(parts), pa.duration("s")))
    return pd.Series(dates.to_pandas(), index=blank.index)


def _unreadable(
    f: Field,
    text: pa.Array,
    failed: pd.Series,
    formats: tuple[str, ...],
    mask: Callable[[pa.Array], pd.Series],
) -> list[ParseProblem]:
    """The dates that could not be read, told apart by what they look like, so that the
    advice fits: a spreadsheet's date number (45839: ``date-as-number``), a date with a time
    (``date-with-time``; for a field that takes a time, a time that is not one: 25:00), anything
    else (``invalid-date``); all errors."""
    import pyarrow.compute as pc

    label = f.label
    accepted = " or ".join(formats)
    number = failed & mask(pc.match_substring_regex(text, r"^[0-9]{5}(\.[0-9]+)?$"))
    day = _padded(pc.replace_substring_regex(text, TIME, ""))
    read = (mask(pc.is_valid(parse_dates(day, fmt))) for fmt in formats)
    timed = failed & ~number & functools.reduce(operator.or_, read)
    other = failed & ~number & ~timed
    if f.time is None:
        time_code = "date-with-time"
        time_says = (
            f"{label} has a time after the date: write the date alone, in the form {accepted}."
        )
    else:
        time_code = "invalid-date"
        time_says = (
            f"{label} has a time that is not a time of day: write it as hh:mm or hh:mm:ss, "
            "from 00:00 to 23:59, after the date."
        )
    kinds = (
        (
            number,
            "date-as-number",
            f"{label} is a number, as a spreadsheet stores a date, not a date: format the "
            f"column as dates in the form {accepted} before saving.",
        ),
        (timed, time_code, time_says),
        (other, "invalid-date", f"{label} is not a real date in the form {accepted}."),
    )
    return [
        ParseProblem(f.name, code, "error", says, rows) for rows, code, says in kinds if rows.any()
    ]
