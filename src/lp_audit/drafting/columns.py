"""What one column of sample returns looks like: its type, codes, blanks and range.

Everything is decided on the column's distinct values, weighted by how often each occurs, so a
column of many rows costs about as much as its distinct values. A sensitive-looking column is
decided from its name and the *shape* of its values; none of its values is kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lp_audit.definitions.forms import REAL_TIME
from lp_audit.drafting.names import (
    ID_WORDS,
    IDENTIFIER_WORDS,
    QUANTITY_WORDS,
    sensitive_reason,
    words,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: a share of rows blank up to which a column is still drafted as required (the blanks are
#: findings, covered by a tolerance the draft explains)
REQUIRED_UP_TO = 0.01
#: the share of values a type must fit to be chosen (the rest are findings)
TYPE_SHARE = 0.95
MAX_CODES = 60
UNKNOWN_SPELLINGS = {
    "x",
    "u",
    "unk",
    "unknown",
    "not_known",
    "notknown",
    "not known",
    "nk",
    "n/k",
    "not_stated",
    "not stated",
    "not_recorded",
    "not recorded",
    "not_assessed",
    "prefer_not_to_say",
    "prefer not to say",
    "9",
    "99",
    "999",
}
#: date shapes a definition can name, as regular expressions, most common first
DATE_SHAPES = {
    "YYYY-MM-DD": (r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d"),
    "DD/MM/YYYY": (r"^\d{1,2}/\d{1,2}/\d{4}$", "%d/%m/%Y"),
    "DD-MM-YYYY": (r"^\d{1,2}-\d{1,2}-\d{4}$", "%d-%m-%Y"),
    "DD.MM.YYYY": (r"^\d{1,2}\.\d{1,2}\.\d{4}$", "%d.%m.%Y"),
    "YYYY/MM/DD": (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
}
_INTEGER = r"^[+-]?\d+$"
_DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{0,39}$|^[A-Za-z][A-Za-z ]{0,29}$"
_PERIOD = r"^\s*\d{4}-\d{2}\s*Q[1-4]\s*$"
_NHS = r"^\d{3} ?\d{3} ?\d{4}$"
_POSTCODE = r"^([A-Za-z]{1,2})\d[A-Za-z\d]?( ?\d[A-Za-z]{2})?$"
#: the letters a UK postcode starts with (its area): ``U6`` or ``P7``, an ID of a user or a
#: project, has the shape of a postcode district but no such area
POSTCODE_AREA = (
    r"^(A[BL]|B[ABDFHLNRSTX]?|C[ABFHMORTVW]|D[ADEGHLNTY]|E[CHNX]?|F[KY]|G[LUY]?|H[ADGPRSUX]|"
    r"I[GMPV]|JE|K[ATWY]|L[ADELNSU]?|M[EKL]?|N[EGNPRW]?|O[LX]|P[AEHLOR]|R[GHM]|"
    r"S[AEGKLMNOPRSTWY]?|T[ADFNQRSW]|UB|W[ACDFNRSV]?|YO|ZE)$"
)
#: a time of day alone (arrival time 09:30, as emergency care returns keep it beside the date)
_TIME_SHAPE = r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
#: the same, a real time: hours 0 to 23, minutes and seconds 0 to 59
TIME_OF_DAY = r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SEPARATORS = ("|", ";")


@dataclass
class Column:
    """A draft of one field, with what the draft could not decide."""

    header: str
    rows: int
    blank: int
    type: str = "text"
    sensitive: str | None = None  # why it looks sensitive
    codes: list[str] = field(default_factory=list)
    unknown_codes: list[str] = field(default_factory=list)
    normalise: list[str] = field(default_factory=list)
    separator: str | None = None
    date_format: str | None = None
    date_formats: dict[str, int] = field(default_factory=dict)
    low: float | None = None
    high: float | None = None
    period: bool = False
    #: a pattern every value should match, and the message when one does not
    pattern: tuple[str, str] | None = None
    #: a date field's time of day: "required" when every date of the samples has one,
    #: "allowed" when some have (such a column is never a key)
    time: str | None = None
    notes: list[str] = field(default_factory=list)
    #: a few values that do not fit the type (never for a sensitive column)
    misfits: list[str] = field(default_factory=list)
    misfit_count: int = 0

    @property
    def filled(self) -> int:
        return self.rows - self.blank

    @property
    def required(self) -> bool:
        return self.rows > 0 and self.blank <= REQUIRED_UP_TO * self.rows


def describe(header: str, values: pd.Series) -> Column:
    """Draft one field from a column's text values (blank is '')."""
    import pandas as pd

    text = values.astype("string").fillna("").str.strip()
    counts = text.value_counts(sort=True)
    blank = int(counts.get("", 0))
    counts = counts[counts.index != ""]
    column = Column(header, len(text), blank)
    if not len(counts):
        column.notes.append("blank in every row of the samples: nothing to infer; type text")
        column.sensitive = sensitive_reason(header)
        return column
    distinct = pd.Series(counts.index.astype(str), index=counts.index)
    weights = counts.to_numpy()
    total = int(weights.sum())

    def share(pattern: str, series: pd.Series = distinct) -> float:
        return float(weights[series.str.fullmatch(pattern).to_numpy()].sum()) / total

    column.sensitive = sensitive_reason(header) or _sensitive_by_shape(distinct, weights, total)
    days, timed = _without_times(distinct)
    date_share, _ = _date_share(days, weights, total)
    if column.sensitive is not None:
        if "birth" in column.sensitive or date_share >= TYPE_SHARE:
            _as_date(column, days, weights, total, keep_values=False)
            _time(column, distinct, days, weights, timed)
        return column
    if date_share >= TYPE_SHARE:
        _as_date(column, days, weights, total, keep_values=True)
        _time(column, distinct, days, weights, timed)
        return column
    if share(_PERIOD) >= TYPE_SHARE:
        column.period = True
        _misfits(column, distinct, weights, ~distinct.str.fullmatch(_PERIOD))
        return column
    if share(_TIME_SHAPE) >= TYPE_SHARE:
        column.pattern = (TIME_OF_DAY, "Write the time of day as hh:mm, from 00:00 to 23:59.")
        column.notes.append("a time of day: text that must be a real time, hh:mm or hh:mm:ss")
        _misfits(column, distinct, weights, ~distinct.str.fullmatch(TIME_OF_DAY))
        return column
    integer_share = share(_INTEGER)
    few = len(distinct) <= 12 and not (QUANTITY_WORDS & set(words(header)))
    if integer_share >= TYPE_SHARE and not few and (words(header) or [""])[-1] in IDENTIFIER_WORDS:
        _identifier(column, distinct, weights)
        return column
    if integer_share >= TYPE_SHARE and not few:
        column.type = "integer"
        _numeric(column, distinct, weights, _INTEGER)
        return column
    if share(_DECIMAL) >= TYPE_SHARE and not few:
        column.type = "decimal"
        _numeric(column, distinct, weights, _DECIMAL)
        return column
    for separator in SEPARATORS:
        joined = distinct.str.contains(separator, regex=False)
        if joined.any() and float(weights[joined.to_numpy()].sum()) / total >= 0.02:
            parts = distinct.str.split(separator, regex=False).explode().str.strip()
            parts = parts[parts != ""]
            if len(parts) and parts.str.fullmatch(_CODE).all() and parts.nunique() <= MAX_CODES:
                column.type = "multi_code"
                column.separator = separator
                part_weights = counts.reindex(parts.index).to_numpy() if len(parts) else weights[:0]
                _codes(column, pd.Series(parts.to_numpy()), part_weights)
                return column
    code_like = share(_CODE)
    repeated = total >= 2 * len(distinct) or len(distinct) <= 3
    an_id = ID_WORDS & set(words(header)) and len(distinct) == total and total > 1
    if code_like >= TYPE_SHARE and len(distinct) <= MAX_CODES and repeated and not an_id:
        column.type = "code"
        _codes(column, distinct, weights)
        return column
    if code_like >= TYPE_SHARE and len(distinct) > MAX_CODES and total >= 2 * len(distinct):
        column.notes.append(
            f"{len(distinct):,} distinct values: too many for a list of codes; type text"
        )
    free_text = (
        float(distinct.str.len().mul(weights).sum()) / total > 30 or share(r".*\s.*\s.*") > 0.3
    )
    if free_text and len(distinct) > 1:
        column.sensitive = "its values are free text, which may name people"
    return column


def _sensitive_by_shape(distinct: pd.Series, weights: object, total: int) -> str | None:
    import numpy as np

    w = np.asarray(weights)
    for pattern, what in ((_NHS, "NHS numbers"), (_POSTCODE, "postcodes"), (_EMAIL, "emails")):
        if float(w[distinct.str.fullmatch(pattern).to_numpy()].sum()) / total >= 0.9:
            if pattern == _POSTCODE and not (
                distinct.str.contains(r"\d").all()
                and distinct.str.extract(_POSTCODE)[0]
                .dropna()
                .str.upper()
                .str.match(POSTCODE_AREA)
                .all()
            ):
                continue  # codes such as U6 and P7: a postcode's shape, but no UK area
            if pattern == _NHS and len(distinct) < 0.5 * total:
                continue  # a repeated ten-digit value is a code or an amount, not a person
            return f"its values look like {what}"
    return None


def _identifier(column: Column, distinct: pd.Series, weights: object) -> None:
    """An identifier written in digits: text, so that a leading zero stays, of the samples'
    length when they all have one."""
    digits = distinct.str.fullmatch(r"\d+")
    lengths = set(distinct[digits].str.len())
    if len(lengths) == 1 and (n := lengths.pop()) >= 2:
        column.pattern = (f"^\\d{{{n}}}$", f"Not {n} digits, as every value in the samples is.")
    else:
        column.pattern = ("^\\d+$", "Not digits alone, as every value in the samples is.")
    column.notes.append(
        "an identifier written in digits: text, so that leading zeros stay; check the pattern"
    )
    _misfits(column, distinct, weights, ~digits)


def _without_times(distinct: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each value with a time of day after a date taken off (2024-02-04 12:46:51 is
    2024-02-04), and whether it had one."""
    timed = distinct.str.contains(REAL_TIME, regex=True)
    return distinct.str.replace(REAL_TIME, "", regex=True), timed


def _time(
    column: Column, distinct: pd.Series, days: pd.Series, weights: object, timed: pd.Series
) -> None:
    """A date column's ``time``: required when every date of the samples has a time of day,
    allowed when some have, or when every time is midnight (a system that writes each date
    with a time, 1990-01-01 00:00:00: a date alone is as good)."""
    import numpy as np

    w = np.asarray(weights)
    dated = days.str.fullmatch("|".join(p for p, _ in DATE_SHAPES.values())).to_numpy()
    with_time = int(w[dated & timed.to_numpy()].sum())
    if not with_time:
        return
    midnight = distinct.str.contains(r"[ T]00:00(?::00(?:\.0+)?)?$", regex=True).to_numpy()
    if not (dated & timed.to_numpy() & ~midnight).any():
        column.time = "allowed"
        column.notes.append("every time of day in the samples is 00:00: dates written with a time")
        return
    column.time = "required" if with_time == int(w[dated].sum()) else "allowed"
    if column.time == "allowed":
        column.notes.append(
            f"{with_time:,} of {int(w[dated].sum()):,} dates have a time of day after them"
        )


def _date_share(distinct: pd.Series, weights: object, total: int) -> tuple[float, dict[str, int]]:
    import numpy as np

    w = np.asarray(weights)
    formats = {}
    matched = np.zeros(len(distinct), dtype=bool)
    for name, (pattern, _) in DATE_SHAPES.items():
        hits = distinct.str.fullmatch(pattern).to_numpy() & ~matched
        if hits.any():
            formats[name] = int(w[hits].sum())
            matched |= hits
    return float(w[matched].sum()) / total, formats


def _as_date(
    column: Column, distinct: pd.Series, weights: object, total: int, *, keep_values: bool
) -> None:
    import numpy as np
    import pandas as pd

    column.type = "date"
    _, formats = _date_share(distinct, weights, total)
    column.date_formats = formats
    column.date_format = max(formats, key=lambda k: formats[k]) if formats else None
    w = np.asarray(weights)
    real = np.zeros(len(distinct), dtype=bool)
    for name in formats:
        pattern, strptime = DATE_SHAPES[name]
        shaped = distinct.str.fullmatch(pattern).to_numpy()
        parsed = pd.to_datetime(distinct[shaped], format=strptime, errors="coerce")
        real[np.flatnonzero(shaped)[parsed.notna().to_numpy()]] = True
    if keep_values:
        _misfits(column, distinct, w, pd.Series(~real, index=distinct.index))
    else:
        column.misfit_count = int(w[~real].sum())


def _numeric(column: Column, distinct: pd.Series, weights: object, pattern: str) -> None:
    import numpy as np
    import pandas as pd

    fits = distinct.str.fullmatch(pattern)
    numbers = pd.to_numeric(distinct[fits], errors="coerce").dropna()
    if len(numbers):
        column.low = nice(float(numbers.min()), down=True)
        column.high = nice(float(numbers.max()), down=False)
    _misfits(column, distinct, np.asarray(weights), ~fits)


def _misfits(column: Column, distinct: pd.Series, weights: object, mask: pd.Series) -> None:
    import numpy as np

    w = np.asarray(weights)
    bad = mask.to_numpy(dtype=bool)
    column.misfit_count = int(w[bad].sum())
    column.misfits = [str(v) for v in distinct[bad].head(3)]


def _codes(column: Column, distinct: pd.Series, weights: object) -> None:
    """Codes from distinct values: spellings that differ only in case or leading zeros are
    one code (the most common spelling), and the field says to normalise them."""
    import numpy as np

    w = np.asarray(weights)
    totals: dict[str, int] = {}
    for value, n in zip(distinct.tolist(), w.tolist(), strict=True):
        totals[str(value)] = totals.get(str(value), 0) + int(n)
    canonical: dict[str, str] = {}
    forms: dict[str, list[str]] = {}
    for value in sorted(totals, key=lambda v: (-totals[v], v)):
        folded = fold(value)
        forms.setdefault(folded, []).append(value)
        canonical.setdefault(folded, value)
    for spellings in forms.values():
        upper = {s.upper() for s in spellings}
        if len(upper) < len(spellings) and "case" not in column.normalise:
            column.normalise.append("case")  # 'x' and 'X'
        if len(upper) > 1 and "leading_zeros" not in column.normalise:
            column.normalise.append("leading_zeros")  # '01' and '1'
    codes = sorted(canonical.values(), key=lambda v: (-_total(forms[fold(v)], totals), v))
    if sum(c.isdecimal() for c in codes) >= max(2, len(codes) - 2):
        # numbered codes (year groups 7 to 11, a scale 1 to 5) read best in order, the odd
        # lettered one after them
        codes = sorted(codes, key=lambda v: (not v.isdecimal(), int(v) if v.isdecimal() else 0))
    in_run = _in_numbered_run(codes)
    column.unknown_codes = [c for c in codes if c.lower() in UNKNOWN_SPELLINGS and c not in in_run]
    column.codes = [c for c in codes if c not in column.unknown_codes]
    if in_run:
        column.notes.append(
            f"{', '.join(in_run)}: a code among the other numbers, not 'not known' "
            "(if it means 'not known', move it to unknown_codes)"
        )
    rare = [c for c in codes if _total(forms[fold(c)], totals) <= 2]
    if rare and column.filled >= 100:
        column.notes.append(
            "seen in at most two rows: "
            + ", ".join(rare[:8])
            + (" …" if len(rare) > 8 else "")
            + " (a code, or a mistake to leave out?)"
        )


def _in_numbered_run(codes: list[str]) -> list[str]:
    """The codes spelled as "not known" often is (9, 99, 999) that are numbers among the
    other numbered codes: year groups 7 to 11 have a 9, where 1, 2 and 9 (male, female, not
    known) do not. A number within the others' range, or next after it, counts as one of
    them."""
    numbers = [int(c) for c in codes if c.isdecimal() and c.lower() not in UNKNOWN_SPELLINGS]
    if not numbers:
        return []
    low, high = min(numbers), max(numbers)
    return [
        c
        for c in codes
        if c.isdecimal() and c.lower() in UNKNOWN_SPELLINGS and low <= int(c) <= high + 1
    ]


def fold(value: str) -> str:
    """A code as it is compared with others: without spaces around it, in capitals, a number
    without leading zeros ('01' and '1' are one code, as 'x' and 'X' are)."""
    folded = value.strip().upper()
    return (folded.lstrip("0") or "0") if re.fullmatch(r"\d+", folded) else folded


def _total(spellings: list[str], totals: dict[str, int]) -> int:
    return sum(totals[s] for s in spellings)


def nice(value: float, *, down: bool) -> float:
    """``value`` rounded outward to one significant figure: 3 to 0, 25 to 30, 137 to 200."""
    if value == 0:
        return 0.0
    if 0 < value < 10 and down:
        return 0.0
    step = 10 ** math.floor(math.log10(abs(value)))
    rounded = (math.floor if down else math.ceil)(value / step) * step
    return float(rounded)


def per_distinct(values: pd.Series, fn: Callable[[str], Any], dtype: Any) -> np.ndarray:
    """``fn`` of each row's text (a missing value as ''), worked out once for each distinct
    text: a column of codes or dates of a million rows has a few hundred."""
    import numpy as np
    import pandas as pd

    positions, distinct = pd.factorize(values, use_na_sentinel=True)
    results = np.array([fn(str(v)) for v in distinct] + [fn("")], dtype=dtype)
    return results[positions]  # a missing value's position, -1, is the last: ''s
