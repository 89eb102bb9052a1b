"""Turning raw text columns into typed columns, vectorised, recording what failed to parse.

pandera is not asked to coerce text (measured: ten times slower, and it hides range and date
defects). Each column is parsed here with vectorised pandas; values that do not parse become
missing in the typed frame and are reported as problems with their original text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lp_audit.checks.dates import parse_date_column
from lp_audit.checks.problems import ParseProblem
from lp_audit.definitions import Definition, Field
from lp_audit.reading import FEW_DISTINCT

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa


@dataclass
class Parsed:
    """The typed frame handed to pandera, and the parse problems found on the way."""

    typed: pd.DataFrame
    blank: pd.DataFrame  # True where the raw text is blank
    problems: list[ParseProblem] = field(default_factory=list)
    #: for columns parsed through their distinct values: those values typed, and for each row
    #: the position of its value, so that checks of one value at a time can run on them too
    distinct: dict[str, Distinct] = field(default_factory=dict)


@dataclass(frozen=True)
class Distinct:
    """A column as its distinct typed values and, for each row, which one it holds."""

    values: pd.Series  # indexed 0..k-1
    rows: np.ndarray  # for each row, the position of its value in ``values``


def normalise_codes(values: pd.Series, f: Field) -> tuple[pd.Series, pd.Series]:
    """Map non-standard spellings of codes to the codes; return values and a 'changed' mask."""
    codes = [c.value for c in f.codes]
    changed = values.isna() & False
    if not f.normalise:
        return values, changed
    # only values that are not codes as written are worth normalising: usually very few
    odd = values.notna() & ~values.isin(codes)
    if not odd.any():
        return values, changed
    subset = values[odd]
    fixed = subset.isna() & False
    for method in f.normalise:
        candidate = (
            subset.str.upper()
            if method == "case"
            else subset.str.replace(r"^0+(.)", r"\1", regex=True)
        )
        fix = ~subset.isin(codes) & candidate.isin(codes)
        subset = subset.where(~fix, candidate)
        fixed = fixed | fix
    result = values.copy()
    result[odd] = subset
    changed[odd] = fixed
    return result, changed


def _arrow_text(values: pd.Series) -> pa.Array:
    import pyarrow as pa

    array = pa.array(values, type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def parse_return(
    data: pd.DataFrame, definition: Definition, *, threads: bool | None = None
) -> Parsed:
    """Parse every field present in ``data`` according to its type (pyarrow compute, no loops).

    Columns are parsed side by side in threads when ``threads`` is True, or (None) when there
    are :data:`THREADS_FROM_ROWS` rows or more.
    """
    import pandas as pd
    import pyarrow as pa

    index = data.index
    fields = [f for f in definition.fields if f.name in data.columns]

    def parse(f: Field) -> tuple[pd.Series, pd.Series, list[ParseProblem], Distinct | None]:
        column = data[f.name]
        if isinstance(column.dtype, pd.CategoricalDtype):  # read as distinct texts already
            codes = column.cat.codes.to_numpy()
            if len(codes) == 0 or codes.min() >= 0:
                values = pa.array(column.cat.categories, type=pa.large_string(), from_pandas=True)
                return _parse_distinct(values, codes, index, f, definition)
            column = column.astype("str").fillna("")
        text = _arrow_text(column)
        if f.type in _ENCODED_TYPES or _few_distinct(text):
            return _parse_encoded(text, index, f, definition)
        return (*_parse_text(text, index, f, definition), None)

    if threads or (threads is None and len(data) >= THREADS_FROM_ROWS):
        # pyarrow compute lets go of the GIL, so columns parse side by side
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            results = list(pool.map(parse, fields))
    else:
        results = [parse(f) for f in fields]
    typed = {f.name: r[0] for f, r in zip(fields, results, strict=True)}
    blanks = {f.name: r[1] for f, r in zip(fields, results, strict=True)}
    problems = [p for r in results for p in r[2]]  # in field order, as one thread would give
    distinct = {f.name: r[3] for f, r in zip(fields, results, strict=True) if r[3] is not None}
    return Parsed(
        # no copy into one block per dtype (measured: 50 ms for a million rows' typed frame)
        pd.DataFrame(typed, index=index, copy=False),
        pd.DataFrame(blanks, index=index, copy=False),
        problems,
        distinct,
    )


#: Types whose columns hold few distinct values (codes, dates, counts): each distinct text is
#: parsed once and the result spread back to the rows (measured on a million rows: the four
#: date columns took 0.85 s parsed row by row).
_ENCODED_TYPES = frozenset({"code", "multi_code", "date", "integer", "decimal", "boolean"})
#: A text column is parsed through its distinct values when a sample of this many rows has
#: at most :data:`lp_audit.reading.FEW_DISTINCT` of them.
_SAMPLE_ROWS = 10_000


def _few_distinct(text: pa.Array) -> bool:
    import pyarrow.compute as pc

    sample = text.slice(0, _SAMPLE_ROWS)
    return len(sample) > 0 and pc.count_distinct(sample).as_py() <= FEW_DISTINCT * len(sample)


def _parse_encoded(
    text: pa.Array, index: pd.Index, f: Field, definition: Definition
) -> tuple[pd.Series, pd.Series, list[ParseProblem], Distinct]:
    """Parse a column through its dictionary: each distinct text once, as :func:`_parse_text`
    would parse it in every row (parsing looks at one value at a time)."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(text)
    rows = encoded.indices.to_numpy(zero_copy_only=False)
    return _parse_distinct(encoded.dictionary, rows, index, f, definition)


def _parse_distinct(
    values: pa.Array, rows: np.ndarray, index: pd.Index, f: Field, definition: Definition
) -> tuple[pd.Series, pd.Series, list[ParseProblem], Distinct]:
    """Parse a column given as its distinct texts ``values`` and, per row, the position of its
    text in them."""
    import numpy as np
    import pandas as pd

    # the smallest integers that can number the values: a million rows of a code take 1 MB
    width = np.uint8 if len(values) <= 1 << 8 else np.uint16 if len(values) <= 1 << 16 else None
    if width is not None and rows.dtype != width:
        rows = rows.astype(width)
    typed, blank, problems = _parse_text(values, pd.RangeIndex(len(values)), f, definition)
    spread = [
        ParseProblem(
            p.field,
            p.code,
            p.severity,
            p.message,
            pd.Series(p.mask.to_numpy(dtype=bool)[rows], index=index),
        )
        for p in problems
    ]
    if f.type == "code":
        # a category per code: no copy of every row's text, and tests of codes (isin, ==)
        # look at the few categories
        by_value, codes = pd.factorize(typed)
        values = pd.Categorical.from_codes(by_value[rows], categories=codes)
    else:
        values = typed.array.take(rows)
    return (
        pd.Series(values, index=index, name=typed.name),
        pd.Series(blank.to_numpy(dtype=bool)[rows], index=index),
        spread,
        Distinct(typed, rows),
    )


def _parse_text(
    text: pa.Array, index: pd.Index, f: Field, definition: Definition
) -> tuple[pd.Series, pd.Series, list[ParseProblem]]:
    """Parse one column's text: its typed values, where it is blank, and its problems."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    found: list[ParseProblem] = []
    text = pc.utf8_trim_whitespace(text)
    if f.ignore_spaces:
        text = _without_spaces(text)
    # not pc.equal(text, ""): a str scalar is not large_string, and casting costs 0.2 s a column
    is_blank = pc.equal(pc.binary_length(text), 0).fill_null(True)
    blank = pd.Series(is_blank.to_numpy(zero_copy_only=False), index=index)
    present = pc.if_else(is_blank, pa.scalar(None, pa.large_string()), text)
    return _parse_field(present, blank, f, definition, found), blank, found


#: From this many rows, the columns of a whole return are parsed in threads; below it, starting
#: them costs about what it saves. The chunks of a large return are parsed without threads
#: (measured on 1M rows in chunks of 100,000, checks as well: 5.9 to 5.05 CPU s, 4.6 to 4.25 s
#: on the clock, with 2 cores).
THREADS_FROM_ROWS = 100_000


def _without_spaces(text: pa.Array) -> pa.Array:
    """``text`` with every run of whitespace removed, by regex only where there is some.

    Whitespace (RE2's ``\\s``: space, tab, CR, LF, FF) is found in the values' bytes, and
    most values have none (measured: a million NHS numbers parsed in 29 ms, not 76 ms).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from lp_audit.checks.patterns import holding

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    suspect = holding(text, " \t\n\f\r")
    if not suspect.any():
        return text
    mask = pa.array(suspect)
    fixed = pc.replace_substring_regex(pc.filter(text, mask), r"\s+", "")
    return pc.replace_with_mask(text, mask, fixed)


def _parse_field(
    text: pa.Array,
    blank: pd.Series,
    f: Field,
    definition: Definition,
    problems: list[ParseProblem],
) -> pd.Series:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    label = f.label
    index = blank.index

    def mask(array: pa.Array) -> pd.Series:
        return pd.Series(array.fill_null(False).to_numpy(zero_copy_only=False), index=index)

    if f.type == "integer":
        ok = pc.match_substring_regex(text, r"^[+-]?[0-9]{1,15}$")
        bad = ~blank & ~mask(ok)
        if bad.any():
            problems.append(
                ParseProblem(
                    f.name,
                    "invalid-type",
                    "error",
                    f"{label} must be a whole number, such as {f.example or '3'}.",
                    bad,
                )
            )
        digits = pc.replace_substring_regex(text, r"^\+", "")
        numbers = pc.cast(pc.if_else(ok, digits, pa.scalar(None, pa.large_string())), pa.int64())
        return pd.Series(
            numbers.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), index=index
        )
    present = pd.Series(text, dtype="str", index=index)
    if f.type == "decimal":
        numbers = pd.to_numeric(present, errors="coerce")
        bad = ~blank & numbers.isna()
        if bad.any():
            problems.append(
                ParseProblem(
                    f.name,
                    "invalid-type",
                    "error",
                    f"{label} must be a number, such as {f.example or '2.5'}: a point for "
                    "decimals, and no thousands separators, units or spaces.",
                    bad,
                )
            )
        return numbers.astype("Float64")
    if f.type == "date":
        return parse_date_column(text, blank, f, definition, problems, mask)
    if f.type == "code":
        values, changed = normalise_codes(present, f)
        if changed.any():
            problems.append(
                ParseProblem(
                    f.name,
                    "non-standard-code",
                    "warning",
                    f"{label} uses a non-standard spelling of a code (case or leading zeros); it was accepted. Use the codes exactly as listed.",
                    changed,
                )
            )
        return values
    if f.type == "multi_code":
        return _parse_multi(present, f, problems)
    if f.type == "boolean":
        lowered = present.str.lower()
        truthy = lowered.isin(["true", "yes", "y", "1"])
        falsy = lowered.isin(["false", "no", "n", "0"])
        bad = ~blank & ~truthy & ~falsy
        if bad.any():
            problems.append(
                ParseProblem(
                    f.name,
                    "invalid-type",
                    "error",
                    f"{label} must be true or false (or yes or no).",
                    bad,
                )
            )
        return truthy.where(truthy | falsy).astype("boolean")
    return present


@dataclass(frozen=True)
class CodeTokens:
    """The codes of a multi-code column, split once: each token and the row it came from."""

    tokens: pa.Array  # large_string, whitespace trimmed
    rows: np.ndarray  # row position of each token
    lists: pa.Array  # the split cells, for rebuilding them

    def per_row(self, mask: np.ndarray, n: int) -> np.ndarray:
        """For each of ``n`` rows, how many of its tokens ``mask`` selects."""
        import numpy as np

        return np.bincount(self.rows[mask], minlength=n)


def split_codes(values: pd.Series, separator: str) -> CodeTokens:
    """Split multi-code cells with pyarrow compute (no Python loop); blanks give no tokens."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    lists = pc.split_pattern(array, separator)
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    return CodeTokens(tokens, rows, lists)


def _parse_multi(present: pd.Series, f: Field, problems: list[ParseProblem]) -> pd.Series:
    """Normalise each code in a multi-code cell; the cell keeps its codes joined by the separator."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    split = split_codes(present, f.separator)
    tokens = pd.Series(split.tokens, dtype="str")
    normalised, changed = normalise_codes(tokens, f)
    n = len(present)
    row_changed = split.per_row(changed.to_numpy(dtype=bool), n) > 0
    if row_changed.any():
        problems.append(
            ParseProblem(
                f.name,
                "non-standard-code",
                "warning",
                f"{f.label} uses a non-standard spelling of a code (case or leading zeros); it was accepted. Use the codes exactly as listed.",
                pd.Series(row_changed, index=present.index),
            )
        )
    rebuilt = pa.ListArray.from_arrays(
        split.lists.offsets,
        pa.array(normalised, type=pa.large_string(), from_pandas=True),
        mask=split.lists.is_null(),
    )
    joined = pc.binary_join(rebuilt, pa.scalar(f.separator, type=pa.large_string()))
    result = pd.Series(joined, dtype="str", index=present.index)
    return result.where(np.asarray(present.notna()))
