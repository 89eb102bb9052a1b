"""Failing rows of checks become findings: one table, ordered as the file is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lp_audit.findings import FINDING_COLUMNS, Finding

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.reading import RawReturn


_CONSTRAINT_CODES = (
    "out-of-range",
    "pattern-mismatch",
    "too-long",
    "too-short",
    "invalid-check-digit",
)


def empty_findings() -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in FINDING_COLUMNS})
    frame["line"] = frame["line"].astype("Int64")
    return frame


def findings_frame(items: list[Finding]) -> pd.DataFrame:
    """A findings table from Finding objects."""
    import pandas as pd

    if not items:
        return empty_findings()
    frame = pd.DataFrame([i.to_dict() for i in items], columns=list(FINDING_COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    return frame


def rows_to_findings(
    rows: Any,
    code: str,
    severity: str,
    message: str,
    field: str | None,
    rule: str | None,
    show_value: bool,
    raw: RawReturn,
) -> pd.DataFrame:
    import pandas as pd

    rows = pd.Index(rows, dtype="int64")
    return pd.DataFrame(
        {
            "code": code,
            "severity": severity,
            "message": message,
            "line": pd.array(raw.lines[rows.to_numpy()], dtype="Int64"),
            "column": raw.column_of(field) if field else None,
            "field": field,
            # take the few failing rows first: converting a whole text column costs ~40 ms
            "value": raw.data[field].take(rows.to_numpy()).to_numpy(dtype=object)
            if field and show_value and field in raw.data.columns
            else None,
            "rule": rule,
            "_row": rows.to_numpy(),
        }
    )


def check_findings(
    cases: pd.DataFrame, specs: dict[str, Any], raw: RawReturn, blank: pd.DataFrame
) -> pd.DataFrame:
    import pandas as pd

    parts = []
    for name, group in cases.groupby("check", sort=False):
        spec = specs[str(name)]
        rows = group["index"].to_numpy()
        if spec.code == "missing-required" and spec.field in blank.columns:
            # a value that failed to parse is already reported; blank means blank text only
            rows = rows[blank[spec.field].to_numpy()[rows]]
        parts.append(
            rows_to_findings(
                rows,
                spec.code,
                spec.severity,
                spec.message,
                spec.field,
                spec.rule,
                spec.show_value,
                raw,
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    constraint = frame["code"].isin(_CONSTRAINT_CODES)
    if constraint.any():
        # one constraint finding per cell: the most severe, then the first listed
        ranked = frame[constraint].assign(_sev=frame["severity"].ne("error"))
        ranked = (
            ranked.sort_values(["_sev"], kind="stable")
            .drop_duplicates(["_row", "field"])
            .drop(columns="_sev")
        )
        frame = pd.concat([frame[~constraint], ranked], ignore_index=True)
    return frame


def order_findings(findings: pd.DataFrame, raw: RawReturn) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(raw.data.columns)}
    ranked = findings.assign(
        _line=findings["line"].fillna(0),
        _col=findings["field"].map(order).fillna(-1),
    )
    ranked = ranked.sort_values(["_line", "_col", "code"], kind="stable")
    ranked = ranked.drop(columns=[c for c in ("_line", "_col", "_row") if c in ranked.columns])
    return ranked.reset_index(drop=True)[list(FINDING_COLUMNS)]
