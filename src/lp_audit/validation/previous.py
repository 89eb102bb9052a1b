"""The same provider's return of the period before, for the rules that compare with it.

A definition's ``previous_return`` says how rows match (``match: CHILD``); a rule reads
``before.F`` (F on the matching row of the previous return), and with ``carried: {when: ...}``
every row of the previous return where it holds (a case open at its end) must appear again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lp_audit.definitions.conditions import (
    split_name,
)
from lp_audit.definitions.walk import (
    before_names,
)
from lp_audit.validation.tables import one_per_key

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.definitions import Definition
    from lp_audit.findings import Finding

#: the columns :func:`previous_rows` adds: each row's line in its file, and whether it must
#: appear again
LINE, CARRIED = "_line", "_carried"


def previous_rows(
    source: str | Path, definition: Definition, *, sheet: str | None = None
) -> pd.DataFrame:
    """The rows of the previous return that the definition's comparisons need, typed: the
    match fields, every field a rule reads as ``before.F``, the row's line and whether it must
    be carried; one row per key (the first), none with a blank key.

    Raises:
        ReturnReadError: if the file cannot be read as a table.
    """
    from lp_audit.checks import Context
    from lp_audit.checks.parsing import parse_return
    from lp_audit.checks.truth import truth
    from lp_audit.reading import map_columns, read_table

    spec = definition.previous_return
    assert spec is not None
    raw = map_columns(read_table(source, sheet=sheet, definition=definition), definition)
    typed = parse_return(raw.data, definition).typed
    read = [
        split_name(n)[1]
        for rule in definition.rules
        for c in (rule.check, rule.when)
        if c is not None
        for n in before_names(c)
    ]
    keep = [c for c in dict.fromkeys((*spec.match, *read)) if c in typed.columns]
    rows = typed[keep].copy()
    rows[LINE] = raw.lines
    if spec.carried_when is not None:
        rows[CARRIED] = truth(spec.carried_when, typed, Context(), definition.separators).holds()
    else:
        rows[CARRIED] = False
    if not all(m in rows.columns for m in spec.match):
        return rows.iloc[:0]
    return one_per_key(rows, spec.match)


def not_carried(
    typed: pd.DataFrame, previous: pd.DataFrame, definition: Definition, source: str
) -> list[Finding]:
    """A finding for each row of the previous return that must appear again and does not:
    where the previous return has it (``source``, line), its key unless the key is sensitive."""
    from lp_audit.findings import Finding

    spec = definition.previous_return
    if spec is None or spec.carried_when is None:
        return []
    match = list(spec.match)
    if not all(m in typed.columns for m in match):
        return []
    due = previous[previous[CARRIED].to_numpy(dtype=bool)]
    here = typed[match].astype("string").drop_duplicates()
    joined = due[match].astype("string").merge(here, on=match, how="left", indicator=True)
    missing = due[(joined["_merge"] == "left_only").to_numpy()]
    hidden = any(definition.field(m).sensitive for m in match)
    name = Path(source).name
    return [
        Finding(
            "not-carried",
            spec.severity,
            f"{spec.message} (line {int(row[LINE])} of {name})",
            field=match[0],
            value=None if hidden else " ".join(str(row[m]) for m in match),
        )
        for row in missing.to_dict("records")
    ]
