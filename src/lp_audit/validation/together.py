"""Validating several returns as one frame: the results of validating each, for less a return.

An audit of many returns of a few thousand rows each spends most of its time on what a return
costs whatever its size: pandas' and pyarrow's work for each column, each check and each
table of findings (measured on 10,000-row returns: 150 ms each alone, of which parsing and
checks took 70 ms; for ten of them as one frame, 14 ms a return). Here the returns of one
definition version and the same columns are read one by one, then parsed and checked as one
frame, whose rows know their return. Each is read as pyarrow reads it, taking the columns of
few values that the first return of its header with 1,000 rows or more was sampled for, and
kept in Arrow: a group's returns are stacked there and made one pandas frame (8 ms a 10,000-row
return to convert each and stack them in pandas, against 1.5). Then:

- a rule over a return's rows (a unique key, a key's rows in order) has the return in its key,
  so the same ID in two returns is no repeat;
- the period and provider a row must give, and a rule's ``period_start``/``period_end``, are
  its own return's (see :class:`~lp_audit.checks.specs.Returns`);
- the failing rows are then given back to their returns, whose findings and capture profiles
  are made as :func:`~lp_audit.validation.single.validate_raw` makes them.

Returns that cannot be checked this way (of no rows, or of a definition that compares with
the previous return or reads other tables) are validated one by one. A test compares every
result with :func:`~lp_audit.validation.validate_return`'s, return by return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.checks.listing import Origin
from lp_audit.definitions import Definition
from lp_audit.errors import ReturnReadError
from lp_audit.periods import Period
from lp_audit.validation.result import ReturnResult, Unreadable
from lp_audit.validation.single import finish_each, identify, validate_raw
from lp_audit.validation.validate import open_return

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from lp_audit.profiling import Capture
    from lp_audit.reading import RawReturn, Repetitive


@dataclass(frozen=True)
class Source:
    """A return to validate: its file, and the provider and period it is for (None: the ones
    its rows give)."""

    path: Path
    provider: str | None = None
    period: str | None = None


def validate_together(
    sources: Sequence[Source],
    definition: Definition | str | Path | None = None,
    *,
    today: date | None = None,
    capture: bool = False,
) -> list[ReturnResult | Unreadable]:
    """Validate returns as :func:`~lp_audit.validation.validate_return` would each (whole,
    checks evaluated directly), those of one definition version and the same columns as one
    frame; the results in the order of ``sources``, a file that cannot be read an
    :class:`Unreadable`. No previous return is compared (as ``validate_return`` without
    ``previous``): an audit validates a return that has one on its own.

    Raises:
        DefinitionError, DefinitionNotFoundError: if the definition cannot be loaded.
        OptionError: if a provider or period is not one the definition knows.
    """
    outcomes: list[ReturnResult | Unreadable | None] = [None] * len(sources)
    opened: dict[tuple[int, tuple[str, ...]], list[tuple[int, RawReturn, Period | None]]] = {}
    models: dict[int, Definition] = {}
    learned: Repetitive = {}  # the columns of few values in returns of each header
    for i, source in enumerate(sources):
        wanted = Period.parse(source.period) if source.period is not None else None
        try:
            raw, chosen = open_return(
                source.path,
                definition,
                provider=source.provider,
                period=wanted,
                learned=learned,
                arrow=True,  # stacked in Arrow, and made pandas' once for the group
            )
        except ReturnReadError as exc:
            outcomes[i] = Unreadable(str(source.path), exc.message)
            continue
        models[id(chosen)] = chosen
        alone = raw.rows == 0 or chosen.previous_return is not None or bool(chosen.tables)
        key = (id(chosen), ("\x00alone", str(i)) if alone else tuple(raw.fields))
        opened.setdefault(key, []).append((i, raw, wanted))
    for (model, _), group in opened.items():
        chosen = models[model]
        results = _validate_group(
            [raw for _, raw, _ in group],
            chosen,
            [sources[i].provider for i, _, _ in group],
            [wanted for _, _, wanted in group],
            today,
            capture,
        )
        for (i, _, _), result in zip(group, results, strict=True):
            outcomes[i] = result
    return [o for o in outcomes if o is not None]


def _validate_group(
    raws: list[RawReturn],
    definition: Definition,
    providers: list[str | None],
    periods: list[Period | None],
    today: date | None,
    capture: bool,
) -> list[ReturnResult]:
    """Returns of one definition version and the same columns, checked as one frame."""
    import numpy as np

    from lp_audit.checks import Context, build_schema
    from lp_audit.checks.parsing import parse_return
    from lp_audit.checks.runner import run_checks
    from lp_audit.checks.specs import RETURN_COLUMN, Returns

    if len(raws) == 1:
        return [
            validate_raw(
                raws[0],
                definition,
                provider=providers[0],
                period=periods[0],
                today=today,
                capture=capture,
                engine="direct",
            )
        ]
    starts = np.cumsum([0, *(raw.rows for raw in raws)])
    text = _stacked(raws)
    parsed = parse_return(text, definition)
    typed = parsed.typed
    # what each return's rows say of its period and provider, from its rows of two columns
    facts = typed[
        [
            c
            for c in (definition.period_field, definition.provider_field)
            if c is not None and c in typed.columns
        ]
    ]
    said = [
        identify(raws[i], facts.iloc[starts[i] : starts[i + 1]], definition, p, w)
        for i, (p, w) in enumerate(zip(providers, periods, strict=True))
    ]
    number = np.repeat(np.arange(len(raws)), np.diff(starts))
    returns = Returns(number, tuple(s.period for s in said), tuple(s.provider for s in said))
    context = Context(today=today, returns=returns)
    schema = build_schema(definition, context)
    keyed = typed.copy(deep=False)
    keyed[RETURN_COLUMN] = number
    runnable = [r for r in schema.rules if all(c in keyed.columns for c in r.columns)]
    cases = run_checks(schema, keyed, runnable, parsed.distinct, engine="direct")
    profiles: list[Capture | None] = [None] * len(raws)
    if capture:
        from lp_audit.checks.failures import failure_marks
        from lp_audit.profiling.capture import captures

        marks = failure_marks(cases, schema.specs, parsed.problems, parsed.blank)
        profiles = list(captures(definition, parsed, marks, context))
    origin = Origin.of(raws, text)
    return finish_each(raws, definition, parsed, cases, schema.specs, said, profiles, origin)


def _stacked(raws: list[RawReturn]) -> pd.DataFrame:
    """The text of returns of the same fields one after another; a column read as categories
    in every return stays one (of every return's texts). Returns still in Arrow are stacked
    there, and pandas' copy made once for them all: a copy of each return, then one of the
    stack, took 8 ms a return of 10,000 rows, against 1.5."""
    import pandas as pd
    from pandas.api.types import union_categoricals

    if all(raw.arrow is not None for raw in raws):
        return _stacked_arrow([raw.arrow for raw in raws if raw.arrow is not None])
    columns = {}
    frames = [raw.data for raw in raws]
    for name in frames[0].columns:
        parts = [frame[name] for frame in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[name] = pd.Series(union_categoricals(parts, ignore_order=True))
        else:
            columns[name] = pd.concat(
                [p.astype("str") if isinstance(p.dtype, pd.CategoricalDtype) else p for p in parts],
                ignore_index=True,
            )
    return pd.DataFrame(columns, copy=False)


def _stacked_arrow(tables: list[pa.Table]) -> pd.DataFrame:
    """:func:`_stacked` of Arrow tables of the same columns."""
    import pyarrow as pa

    names = tables[0].column_names
    text = pa.large_string()
    for i, name in enumerate(names):
        if not all(pa.types.is_dictionary(t.schema.field(i).type) for t in tables):
            tables = [
                t.set_column(i, name, t.column(i).cast(text))
                if pa.types.is_dictionary(t.schema.field(i).type)
                else t
                for t in tables
            ]
    frame: pd.DataFrame = pa.concat_tables(tables).to_pandas(split_blocks=True, self_destruct=True)
    return frame
