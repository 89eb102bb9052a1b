"""Failing rows of checks become findings: one table, ordered as the file is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lp_audit.checks.listing import LISTED_PER_PROBLEM, Listing
from lp_audit.findings import FINDING_COLUMNS, FINDING_TYPES, Finding

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.checks.problems import ParseProblem


_CONSTRAINT_CODES = (
    "out-of-range",
    "pattern-mismatch",
    "too-long",
    "too-short",
    "invalid-check-digit",
)


def empty_findings() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in FINDING_TYPES.items()})


def findings_frame(items: list[Finding]) -> pd.DataFrame:
    """A findings table from Finding objects."""
    import pandas as pd

    if not items:
        return empty_findings()
    frame = pd.DataFrame([i.to_dict() for i in items], columns=list(FINDING_COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    return frame


def _omitted_finding(listed: pd.DataFrame, omitted: int, line: int, row: int) -> pd.DataFrame:
    """One finding for ``omitted`` more rows of the problem ``listed`` shows, from ``line``."""
    one = listed.iloc[:1].copy()
    base = str(one["message"].iloc[0])
    one["message"] = (
        f"{base} The same problem is on {omitted:,} more row(s), from line {line:,}; only "
        f"the first {LISTED_PER_PROBLEM:,} are listed one by one."
    )
    one["line"] = pd_int(line)
    one["value"] = None
    one["_row"] = row
    one["_omitted"] = omitted
    return one


def pd_int(value: int) -> Any:
    import pandas as pd

    return pd.array([value], dtype="Int64")


def relist(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings put together from parts (chunks) listed as one run would list them: for each
    problem, the first :data:`LISTED_PER_PROBLEM` rows by line, and one finding for the rest."""
    import pandas as pd

    if "_omitted" not in findings.columns or not len(findings):
        return findings
    counted = findings["_omitted"].fillna(0).astype("int64")
    keys = findings["_key"].fillna("")
    listed_per_key = keys[counted == 0].value_counts()
    over = set(keys[counted > 0]) | set(listed_per_key[listed_per_key > LISTED_PER_PROBLEM].index)
    over.discard("")
    if not over:
        return findings
    parts = [findings[~keys.isin(over)]]
    for key in sorted(over):
        group = findings[keys == key]
        marked = counted.loc[group.index] > 0
        listed = group[~marked]
        # lines ascend through the parts: the first listed are the first rows of the file
        kept, extra = listed.iloc[:LISTED_PER_PROBLEM], listed.iloc[LISTED_PER_PROBLEM:]
        omitted = len(extra) + int(counted.loc[group.index][marked].sum())
        lines = [*extra["line"].astype("int64"), *group[marked]["line"].astype("int64")]
        rows = [*extra["_row"], *group[marked]["_row"]]
        first = min(range(len(lines)), key=lambda i: lines[i])
        parts += [kept, _omitted_finding(kept, omitted, int(lines[first]), int(rows[first]))]
    return pd.concat(parts, ignore_index=True)


def omitted_counts(findings: pd.DataFrame) -> dict[str, int]:
    """How many findings, by severity, the findings table counts without listing them."""
    if "_omitted" not in findings.columns:
        return {}
    counted = findings["_omitted"].fillna(0).astype("int64")
    return {
        str(severity): int(n)
        for severity, n in counted.groupby(findings["severity"]).sum().items()
        if n
    }


def failing_rows(spec: Any, rows: np.ndarray, blank: pd.DataFrame) -> np.ndarray:
    """The rows a failing check reports: a required value that failed to parse has its own
    finding, so "required but blank" means blank text only."""
    if spec.code == "missing-required" and spec.field in blank.columns:
        kept: np.ndarray = rows[blank[spec.field].to_numpy()[rows]]
        return kept
    return rows


def failure_marks(
    cases: pd.DataFrame,
    specs: dict[str, Any],
    problems: list[ParseProblem],
    blank: pd.DataFrame,
) -> dict[tuple[str, str, str], np.ndarray]:
    """For each (field, code, severity), the rows with that finding, as a mask: what the
    capture profile counts, whether or not every finding is listed one by one."""
    import numpy as np

    n = len(blank)
    marks: dict[tuple[str, str, str], np.ndarray] = {}

    def mark(field: str | None, code: str, severity: str) -> np.ndarray:
        return marks.setdefault((field or "", code, severity), np.zeros(n, dtype=bool))

    for name, group in cases.groupby("check", sort=False):
        spec = specs[str(name)]
        if spec.field is not None:
            rows = failing_rows(spec, group["index"].to_numpy(), blank)
            mark(spec.field, spec.code, spec.severity)[rows] = True
    for problem in problems:
        mark(problem.field, problem.code, problem.severity)[problem.mask.to_numpy(dtype=bool)] = (
            True
        )
    return marks


def check_findings(
    cases: pd.DataFrame, specs: dict[str, Any], listing: Listing, blank: pd.DataFrame
) -> None:
    """The findings of failing checks, added to ``listing``. A cell failing several
    constraints (a range, a pattern) has one finding: the most severe, then the first listed."""
    import numpy as np

    plain: list[tuple[Any, np.ndarray]] = []
    constraints: list[tuple[Any, np.ndarray]] = []
    for name, group in cases.groupby("check", sort=False):
        spec = specs[str(name)]
        rows = failing_rows(spec, group["index"].to_numpy(), blank)
        (constraints if spec.code in _CONSTRAINT_CODES else plain).append((spec, rows))
    # errors before warnings, each in the order listed; a cell already reported is not again
    constraints.sort(key=lambda item: item[0].severity != "error")
    taken: dict[str | None, np.ndarray] = {}
    for spec, rows in [*plain, *constraints]:
        if spec.code in _CONSTRAINT_CODES:
            seen = taken.setdefault(
                spec.field, np.zeros(len(blank) or listing.origin.rows, dtype=bool)
            )
            rows = rows[~seen[rows]]
            seen[rows] = True
        listing.add_rows(
            rows,
            spec.code,
            spec.severity,
            spec.message,
            spec.field,
            spec.rule,
            spec.show_value,
            key=spec.name,
        )


def order_findings(
    findings: pd.DataFrame, columns: Iterable[str], *, keep_counts: bool = False
) -> pd.DataFrame:
    """Findings in the order of the file (of each return in turn, if several): by line, then
    column (``columns`` are the file's fields in order), then code; of the types of
    :data:`FINDING_TYPES`, whatever the parts they came from held. With ``keep_counts``, the columns
    :func:`relist` needs stay (for the parts of a chunked run)."""

    order = {name: i for i, name in enumerate(columns)}
    ranked = findings.assign(
        _line=findings["line"].fillna(0),
        _col=findings["field"].map(order).fillna(-1),
    )
    keys = ["_line", "_col", "code"]
    if "_return" in ranked.columns:
        keys.insert(0, "_return")
    ranked = ranked.sort_values(keys, kind="stable")
    ranked = ranked.drop(columns=["_line", "_col"]).reset_index(drop=True)
    if not keep_counts:
        ranked = ranked[list(FINDING_COLUMNS)]
    for name, dtype in FINDING_TYPES.items():
        column = ranked[name]
        ranked[name] = _python_objects(column) if dtype == "object" else _as_type(column, dtype)
    return ranked


def _python_objects(column: Any) -> Any:
    """A column as Python objects, None where a value is missing."""
    import pandas as pd

    return pd.Series(column.to_numpy(dtype=object, na_value=None), dtype=object)


def _as_type(column: Any, dtype: str) -> Any:
    return column if column.dtype == dtype else column.astype(dtype)
