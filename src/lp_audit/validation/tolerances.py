"""Tolerances: how a field's or rule's findings count towards a return's verdict.

A definition may give a field or a rule ``tolerance: {warning: 2%, error: 10%}``: up to the
warning tolerance its findings (of any severity) count for nothing, up to the error tolerance
its errors count as warnings, and beyond they count as their own severity. The findings are listed whatever the tolerance; only the verdict
(and so the exit code) follows it, and each return says which tolerances its findings reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.definitions import Definition, Tolerance


@dataclass(frozen=True)
class Tolerated:
    """What one field's or rule's findings came to against its tolerance, in one return."""

    subject: str  # the field's name or the rule's id
    kind: Literal["field", "rule"]
    tolerance: Tolerance
    errors: int
    warnings: int
    rows: int
    #: how the findings count: not at all, as warnings, or as their own severity
    level: Literal["none", "warning", "own"]

    @property
    def findings(self) -> int:
        return self.errors + self.warnings

    def text(self) -> str:
        """One line for people: the findings, the tolerance, and what they count as."""
        what = f"field {self.subject}" if self.kind == "field" else f"rule {self.subject}"
        tolerance = self.tolerance

        def amount(n: int, kind: str) -> str:
            share = 100 * n / self.rows if self.rows else 0.0
            return f"{n:,} {kind}, {share:.1f}% of {self.rows:,} rows"

        if self.level == "none":
            return (
                f"{what}: {amount(self.findings, 'finding(s)')}, within its warning tolerance "
                f"({tolerance.warning}): not counted"
            )
        if self.level == "warning":
            return (
                f"{what}: {amount(self.errors, 'error(s)')}, within its error tolerance "
                f"({tolerance.error}): counted as warnings"
            )
        if tolerance.error is not None:
            level, exceeded, n, kind = "error", tolerance.error, self.errors, "error(s)"
        else:
            assert tolerance.warning is not None
            level, exceeded, n, kind = "warning", tolerance.warning, self.findings, "finding(s)"
        by = (
            f"{100 * n / max(self.rows, 1) - exceeded.value:.1f} points"
            if exceeded.percent
            else f"{n - exceeded.value:g} {kind}"
        )
        return f"{what}: {amount(n, kind)}, over its {level} tolerance ({exceeded}) by {by}"

    def to_dict(self) -> dict[str, Any]:
        return {
            self.kind: self.subject,
            "tolerance": {
                k: str(v)
                for k, v in (
                    ("warning", self.tolerance.warning),
                    ("error", self.tolerance.error),
                )
                if v is not None
            },
            "errors": self.errors,
            "warnings": self.warnings,
            "rows": self.rows,
            "counted_as": {"none": "nothing", "warning": "warnings", "own": "own severity"}[
                self.level
            ],
            "text": self.text(),
        }


def tolerated(findings: pd.DataFrame, definition: Definition, rows: int) -> tuple[Tolerated, ...]:
    """The tolerances of ``definition`` that a return's findings reach.

    ``findings`` may still carry the ``_omitted`` column of findings counted but not listed.
    A field's findings are those about its values (not a rule's); a rule's, those it raised.
    """
    subjects: list[tuple[str, Literal["field", "rule"], Tolerance]] = [
        (f.name, "field", f.tolerance) for f in definition.fields if f.tolerance is not None
    ]
    subjects += [(r.id, "rule", r.tolerance) for r in definition.rules if r.tolerance is not None]
    subjects += [
        (r.id, "rule", r.tolerance) for r in definition.return_rules if r.tolerance is not None
    ]
    if not subjects or not len(findings):
        return ()
    import pandas as pd

    weight = pd.Series(1, index=findings.index, dtype="int64")
    if "_omitted" in findings.columns:
        weight = weight + findings["_omitted"].fillna(0).astype("int64")
    rule = findings["rule"]
    out = []
    for subject, kind, tolerance in subjects:
        about = (findings["field"] == subject) & rule.isna() if kind == "field" else rule == subject
        mask = about.fillna(False).astype(bool)
        if not mask.any():
            continue
        severity = findings.loc[mask, "severity"]
        errors = int(weight[mask][severity == "error"].sum())
        warnings = int(weight[mask][severity == "warning"].sum())
        level = tolerance.level(errors, warnings, rows)
        out.append(Tolerated(subject, kind, tolerance, errors, warnings, rows, level))
    return tuple(out)


def counted_as(
    outcomes: tuple[Tolerated, ...], severity: str, field: str | None, rule: str | None
) -> str:
    """How a finding counts towards the verdict: its severity, ``warning`` for an error within
    an error tolerance, or ``tolerated`` within a warning tolerance."""
    subject, kind = (rule, "rule") if rule else (field, "field")
    for outcome in outcomes:
        if outcome.subject == subject and outcome.kind == kind:
            if outcome.level == "none":
                return "tolerated"
            if outcome.level == "warning" and severity == "error":
                return "warning"
    return severity


def verdict_counts(counts: dict[str, int], outcomes: tuple[Tolerated, ...]) -> dict[str, int]:
    """Findings by severity as they count towards the verdict, after tolerances."""
    errors, warnings = counts["error"], counts["warning"]
    for outcome in outcomes:
        if outcome.level == "none":
            errors -= outcome.errors
            warnings -= outcome.warnings
        elif outcome.level == "warning":
            errors -= outcome.errors
            warnings += outcome.errors
    return {"error": errors, "warning": warnings}
