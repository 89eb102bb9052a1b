"""An ``lp-audit.yaml`` for a folder of returns: ``lp-audit init``.

It lists what the returns say (providers, periods), expects a return from every provider for
every period found, and writes every other setting at its default, each with a comment that
says what it does, so that the file documents itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lp_audit.definitions import Definition
    from lp_audit.reading import RawTable


@dataclass
class Settings:
    """The drafted settings: the YAML text, and what it was made from."""

    text: str
    providers: list[str]
    periods: list[str]
    files: list[str]
    unread: list[str]
    #: the returns among the files: one each, or a folder each for a return of several tables
    returns: int = 0


def draft_settings(
    folder: str | Path, definition: Definition | None = None, *, beside: str | Path | None = None
) -> Settings:
    """Draft ``lp-audit.yaml`` for the returns in ``folder``.

    With ``definition``, its period and provider fields are read from each return; without,
    they are the columns a draft definition of the returns would name. ``beside`` is the folder
    the settings will be written to (default ``folder``): a definition file is named relative
    to it, as the audit reads it.

    Raises:
        ValueError: if the folder has no CSV or XLSX files.
    """
    from lp_audit.auditing import find_returns
    from lp_audit.auditing.config import Suppression, Thresholds
    from lp_audit.drafting.infer import quote as _q
    from lp_audit.errors import ReturnReadError
    from lp_audit.periods import Period, sort_key
    from lp_audit.reading import read_table

    folder = Path(folder)
    files = find_returns(folder)
    if not files:
        raise ValueError(f"{folder}: no CSV or XLSX returns in this folder")
    tables = []
    unread = []
    for path in files:
        try:
            # with a definition of one table, its header is found below a title
            one = definition if definition is not None and not definition.tables else None
            tables.append(read_table(path, definition=one, below_titles=definition is None))
        except ReturnReadError as exc:
            unread.append(str(exc))
    period_field = provider_field = None
    if definition is not None:
        period_field, provider_field = definition.period_field, definition.provider_field
    elif tables:
        from lp_audit.drafting.infer import draft_from_tables

        draft = draft_from_tables(tables)
        period_field, provider_field = draft.period_field, draft.provider_field
    by_period: dict[str, set[str]] = {}
    providers: set[str] = set()
    said: list[tuple[str | None, str | None]] = [
        (_commonest(t, provider_field, definition), _commonest(t, period_field, definition))
        for t in tables
    ]
    pattern_line = "# filename_pattern: '^(?P<provider>[a-z]+)-(?P<period>\\d{4}-\\d{2}-q\\d)'"
    count = len(files)
    if definition is not None and definition.tables:  # a return is a folder (or workbook)
        said, count = _from_folder_names(files, definition)
        if said:
            pattern_line = f"filename_pattern: '{FOLDER_PATTERN}'"
    for provider, period in said:
        if period is not None:
            try:
                period = str(Period.parse(period))
            except ValueError:
                period = None
        if provider:
            providers.add(provider)
        if period:
            by_period.setdefault(period, set())
            if provider:
                by_period[period].add(provider)
    periods = sorted(by_period, key=sort_key)
    ordered = sorted(providers)
    thresholds, suppression = Thresholds(), Suppression()
    out = [
        f"# Audit settings for {folder}: {count} return(s), providers "
        f"{', '.join(ordered) or 'not found'}, periods {', '.join(periods) or 'not found'}.",
        "# Drafted by lp-audit init; every key is optional, and each says what it does.",
        "",
        "# The definition the returns follow: a bundled NAME (NAME@VERSION for one version),",
        "# or the path of your own definition file.",
        *_definition_lines(definition, Path(beside) if beside is not None else folder),
        "",
        "# Each provider's code, as the returns write it, and the name reports use for it.",
        "providers:",
        *(f"  {_q(code)}: {_q(code)}  # TODO: the provider's name" for code in ordered),
        *(["  {}  # none found: add CODE: Name"] if not ordered else []),
        "",
        "# The returns due for each period: one missing is a finding that --fail-on error",
        "# fails on. Drafted as every provider for every period found; remove any not due.",
        "expected:",
        *(f"  {period}: [{', '.join(_q(p) for p in ordered)}]" for period in periods),
        *(["  {}  # no periods found: add PERIOD: [CODES]"] if not periods else []),
        "",
        "# The provider and period in each file's name, when the rows do not say them:",
        pattern_line,
        "",
        "# How much each field counts in the data quality score (default 1; 0 leaves it out).",
        "# weights: {ethnicity: 2, notes: 0}",
        "",
        "# When a difference between providers is raised in the report: the funnel limit",
        "# (95 or 99.8), the fewest rows a return needs, and the ratio a drift metric must reach.",
        f"thresholds: {{limit: {thresholds.limit:g}, min_rows: {thresholds.min_rows}, "
        f"ratio: {thresholds.ratio:g}}}",
        "",
        "# Widen funnel limits for overdispersion between providers (needs several providers).",
        "overdispersion: false",
        "",
        "# Small numbers in shared reports: counts from 1 to min_count - 1 are hidden (and any",
        "# count they could be worked out from), and shares of fewer than min_denominator rows.",
        f"suppression: {{min_count: {suppression.min_count}, "
        f"min_denominator: {suppression.min_denominator}}}",
        "",
        "# Known issues: matching findings are marked as explained (still listed) until a date.",
        "# acknowledgements:",
        "#   - provider: CODE",
        "#     field: ethnicity",
        "#     reason: New case system from October; 99 is the migration default.",
        "#     until: 2026-03-31",
        "",
    ]
    for problem in unread:
        out.insert(2, f"# NOTE: not read: {problem}")
    return Settings("\n".join(out), ordered, periods, [str(f) for f in files], unread, count)


#: The provider and period a return's folder (or workbook) is named with: ``nth-2025-26``,
#: ``rth-2025-26-q2``, ``la1-2025``.
FOLDER_PATTERN = r"^(?P<provider>[A-Za-z0-9]+)-(?P<period>\d{4}(-\d{2})?(-[qQ]\d)?)$"


def _from_folder_names(
    files: list[Path], definition: Definition
) -> tuple[list[tuple[str | None, str | None]], int]:
    """For a definition of several tables: each return's provider and period, as its folder's
    (or workbook's) name gives them by :data:`FOLDER_PATTERN` (none unless every name does),
    and the number of returns."""
    import re

    from lp_audit.auditing.tables import group_returns

    returns, _ = group_returns(files, definition)
    said: list[tuple[str | None, str | None]] = []
    for where, _ in returns:
        match = re.match(FOLDER_PATTERN, where.name if where.is_dir() else where.stem)
        if match is None:
            return [], len(returns)
        text = match["period"].replace("-q", " Q").replace("-Q", " Q")
        try:
            period = str(definition.parse_period(text))
        except ValueError:
            return [], len(returns)
        said.append((match["provider"].upper(), period))
    return said, len(returns)


def _commonest(table: RawTable, name: str | None, definition: Definition | None) -> str | None:
    """The value most rows of a return give for field ``name``."""
    from lp_audit.definitions import header_key
    from lp_audit.reading import field_column

    if name is None:
        return None
    if definition is not None:
        column = field_column(table, definition, name)
    else:
        index = next(
            (i for i, h in enumerate(table.headers) if header_key(h) == header_key(name)), None
        )
        column = None if index is None else table.cells.iloc[:, index]
    if column is None:
        return None
    values = column.astype("string").fillna("").str.strip()
    values = values[values != ""]
    return str(values.value_counts().index[0]) if len(values) else None


def _definition_lines(definition: Definition | None, beside: Path) -> list[str]:
    import os

    from lp_audit.definitions import bundled_definitions_dir
    from lp_audit.drafting.infer import quote

    if definition is None:
        return [
            "# TODO: name it (lp-audit definitions infer drafts one from the returns):",
            "# definition: draft.yaml",
        ]
    source = Path(definition.source) if definition.source else None
    if source is None or source.resolve().is_relative_to(bundled_definitions_dir().resolve()):
        return [f"definition: {quote(definition.name)}"]
    return [f"definition: {quote(os.path.relpath(source.resolve(), beside.resolve()))}"]
