"""What a return says of itself: the definition its header names, the period and provider
most of its rows give."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Definition
from lp_audit.findings import Finding
from lp_audit.periods import Period

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.reading import RawTable


def definition_of(path: str | Path, sheet: str | None = None) -> str | None:
    """The bundled definition a return is of, when none is named: None when only one is
    bundled (that one, then); of several, the one whose fields its header names (see
    :func:`~lp_audit.definitions.registry.bundled_for_header`; of a workbook, the header of
    ``sheet``, by default the first).

    Raises:
        ReturnReadError: if the file cannot be read, as reading it would say.
        DefinitionNotFoundError: if the header names the fields of none of them more than
            the others (or there is no header): the user must name one.
    """
    from lp_audit.definitions.registry import bundled_for_header, list_definitions
    from lp_audit.errors import DefinitionNotFoundError
    from lp_audit.reading import read_table

    names = sorted({i.name for i in list_definitions()})
    if len(names) <= 1:
        return None
    path = Path(path)
    cells: list[str] = []
    if path.is_dir():  # the folder of a return of several tables: its files' headers
        files = [f for f in sorted(path.iterdir()) if f.suffix.lower() in (".csv", ".xlsx")]
        if not files:
            read_table(path)  # says it is a folder
        for file in files:
            cells += _rows_on_top(file)[0]
    elif not path.is_file():  # missing, a pipe, a device: reading says so, without waiting
        read_table(path)
    found = bundled_for_header(cells) if cells else None
    if path.is_file():
        # the header, or, below a title or notes, the first row that names one's fields
        for row in _rows_on_top(path, sheet):
            found = bundled_for_header(row)
            if found is not None:
                break
    if found is None:
        if not path.is_dir():
            read_table(path)  # a file that is no table at all says so first
        raise DefinitionNotFoundError(
            f"name a definition with --definition (bundled: {', '.join(names)}): the header "
            f"of {path.name} does not say which it is of"
        )
    return found


def _rows_on_top(path: Path, sheet: str | None = None) -> list[list[str]]:
    """A return's first rows that are not blank, its header (as a definition would find it,
    below a title or notes) among them: the cells of its first 64 KB (a workbook: the
    sheet's first rows). There is always one, if only of one empty cell."""

    from lp_audit.reading import read_table
    from lp_audit.reading.header import HEADER_SEARCH, record_cells

    if path.suffix.lower() != ".csv":
        table = read_table(path, sheet=sheet)
        below = (
            table.cells.head(HEADER_SEARCH).astype(str).to_numpy().tolist() if table.rows else []
        )
        return [list(table.headers), *below]
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        read_table(path)  # raises what is wrong with it
        return [[""]]
    lines = [line for line in head.decode("utf-8-sig", errors="replace").splitlines() if line]
    rows: list[list[str]] = []
    for line in lines[: HEADER_SEARCH + 1]:
        rows.append(record_cells(line) or [line])  # split as the reader splits a header
    return rows or [[""]]


def mode(series: pd.Series) -> str | None:
    """The most common value, missing values aside; of values equally common, the first in the
    return, as a chunked run (which counts chunk by chunk) also takes it.

    In a good return every row has the same value, so that is checked first.
    """
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        return most_common(series.cat.codes.to_numpy(), series.cat.categories)
    values = series.dropna()
    if values.empty:
        return None
    first = values.iloc[0]
    if bool((values == first).all()):
        return str(first)
    codes, uniques = pd.factorize(values)
    return most_common(codes, uniques)


def most_common(codes: np.ndarray, uniques: Any) -> str | None:
    """The most common of ``uniques`` by row ``codes`` (-1 for missing), the first on a tie."""
    import numpy as np

    present = codes[codes >= 0]
    if not len(present):
        return None
    counts = np.bincount(present, minlength=len(uniques))
    best = np.flatnonzero(counts == counts.max())
    if len(best) > 1:
        best = best[[int(np.argmin([np.argmax(codes == b) for b in best]))]]
    return str(uniques[int(best[0])])


def parsed_period(text: str | None, definition: Definition | None = None) -> Period | None:
    """The period a label names, as ``definition``'s returns mean it; None if it names none."""
    try:
        if not text:
            return None
        return definition.parse_period(text) if definition is not None else Period.parse(text)
    except ValueError:
        return None


def mode_of(counts: pd.Series | None) -> str | None:
    """The most common value from counts in order of first appearance, as :func:`_mode` takes it."""
    if counts is None or counts.empty:
        return None
    return str(counts.index[int(counts.to_numpy().argmax())])


def nil_return(noun: str = "quarter") -> Finding:
    return Finding(
        "nil-return",
        "warning",
        f"The return has a header but no data rows (a nil return). If you had no referrals this {noun}, this is expected.",
    )


def period_in(table: RawTable, definition: Definition) -> Period | None:
    """The period most rows of a table give, read before the table's columns are mapped."""
    import numpy as np
    import pandas as pd

    from lp_audit.reading import field_column, field_index

    name = definition.period_field
    arrow = table.arrow
    if arrow is not None and name is not None and table.rows:
        index = field_index(table, definition, name)
        if index is not None and _is_dictionary(arrow.column(index)):
            # categories and codes straight from Arrow: no pandas column made for this
            chunks = arrow.column(index).unify_dictionaries().chunks
            codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
            return parsed_period(_mode_of_dictionary(chunks[0].dictionary, codes), definition)
    column = field_column(table, definition, name) if name is not None else None
    if column is None:
        return None
    if isinstance(column.dtype, pd.CategoricalDtype):  # each category's text once
        import pyarrow as pa

        categories = pa.array(column.cat.categories, type=pa.large_string(), from_pandas=True)
        text = _mode_of_dictionary(categories, column.cat.codes.to_numpy())
    else:
        text = mode(column.str.strip().replace("", None))
    return parsed_period(text, definition)


def _mode_of_dictionary(dictionary: Any, rows: np.ndarray) -> str | None:
    """The most common text of rows given as positions in a dictionary of texts, spaces
    around each stripped (each distinct text once, not each row's) and blanks aside; in Arrow,
    as pandas strips text held in Arrow (its string methods cost a millisecond a return for
    these few values)."""
    import numpy as np
    import pyarrow.compute as pc

    stripped = pc.utf8_trim_whitespace(dictionary)
    encoded = pc.dictionary_encode(stripped)
    by_text = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    by_text[pc.equal(pc.binary_length(stripped), 0).to_numpy(zero_copy_only=False)] = -1
    uniques = encoded.dictionary.to_pylist()
    return most_common(np.where(rows >= 0, by_text[rows], -1), uniques)


def _is_dictionary(column: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_dictionary(column.type))


def identity_findings(
    definition: Definition,
    asked: tuple[Period | None, str | None],
    given: tuple[str | None, str | None],
) -> list[Finding]:
    """One finding each when the period or provider asked for (``--period``, ``--provider``)
    is not what most rows give: a return sent for the wrong quarter, or by another provider,
    says so once, above the row-by-row differences."""
    found = []
    period, provider = asked
    rows_period, rows_provider = given
    if period is not None and rows_period is not None and rows_period != str(period):
        found.append(
            Finding(
                "wrong-period",
                "error",
                f"{_label(definition, definition.period_field)} is {rows_period} in most rows, "
                f"not {period} as asked: this return is for {rows_period}. Check that this is "
                "the right file, or the period you gave.",
                field=definition.period_field,
            )
        )
    if provider is not None and rows_provider is not None and rows_provider != provider:
        found.append(
            Finding(
                "wrong-provider",
                "error",
                f"{_label(definition, definition.provider_field)} is {rows_provider} in most "
                f"rows, not {provider} as asked: this return is from {rows_provider}. Check "
                "that this is the right file, or the provider you gave.",
                field=definition.provider_field,
            )
        )
    return found


def _label(definition: Definition, name: str | None) -> str:
    return definition.field(name).label if name is not None else "The field"
