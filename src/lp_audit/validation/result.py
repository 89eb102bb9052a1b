"""The outcome of validating one return: its identity, its findings, its capture profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lp_audit.findings import FINDING_COLUMNS, Finding

#: The version of the JSON documents' shape; it changes only when a key is removed or renamed.
SCHEMA_VERSION = 1

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.definitions import Definition
    from lp_audit.profiling import Capture
    from lp_audit.reading import RawReturn
    from lp_audit.validation.tolerances import Tolerated


@dataclass
class ReturnResult:
    """The outcome of validating one return."""

    path: str
    definition: str | None
    provider: str | None
    period: str | None
    rows: int
    findings: pd.DataFrame  # columns: FINDING_COLUMNS
    encoding: str | None = None
    capture: Capture | None = None  # with validate_return(..., capture=True)
    #: the return as read, with validate_return(..., keep_source=True): what the feedback
    #: workbook copies, so that the file is not read again
    source: RawReturn | None = field(default=None, repr=False)
    #: findings counted but not listed one by one, by severity: past the first 1,000 rows of
    #: one problem, ``findings`` has one finding that says how many more there are
    omitted: dict[str, int] = field(default_factory=dict)
    #: the definition the return was checked against (``definition`` is its ref)
    definition_model: Definition | None = field(default=None, repr=False, compare=False)
    #: the tolerances of the definition this return's findings reached
    tolerated: tuple[Tolerated, ...] = ()
    #: for a table of a return of several tables given as a workbook, the sheet it is on
    sheet: str | None = None

    @property
    def where(self) -> str:
        """The file, and the sheet when the return is one sheet of a workbook of tables."""
        return self.path if self.sheet is None else f"{self.path} (sheet {self.sheet})"

    @property
    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        severity = self.findings["severity"]
        return {
            "error": int((severity == "error").sum()) + self.omitted.get("error", 0),
            "warning": int((severity == "warning").sum()) + self.omitted.get("warning", 0),
        }

    @property
    def verdict(self) -> dict[str, int]:
        """Findings by severity as they count towards the return's verdict: :attr:`counts`
        after the definition's tolerances (see :mod:`~lp_audit.validation.tolerances`)."""
        from lp_audit.validation.tolerances import verdict_counts

        return verdict_counts(self.counts, self.tolerated)

    def counted_as(self, severity: str, field: str | None, rule: str | None) -> str:
        """How a finding of ``severity`` about ``field`` (or raised by ``rule``) counts towards
        the verdict: ``error``, ``warning``, or ``tolerated``."""
        from lp_audit.validation.tolerances import counted_as

        return counted_as(self.tolerated, severity, field, rule)

    @property
    def passed(self) -> bool:
        """No finding counts as an error towards the verdict."""
        return self.verdict["error"] == 0

    def finding_objects(self) -> list[Finding]:
        """The findings as :class:`Finding` objects."""
        return [Finding(**record) for record in self.finding_records()]

    def finding_columns(self) -> dict[str, list[Any]]:
        """The findings column by column, as plain lists (missing values None, lines int)."""
        columns = {}
        for name in FINDING_COLUMNS:
            values = self.findings[name]
            cleaned = values.astype(object).where(values.notna().to_numpy(), None).tolist()
            if name == "line":
                cleaned = [None if v is None else int(v) for v in cleaned]
            columns[name] = cleaned
        return columns

    def finding_records(self) -> list[dict[str, Any]]:
        """The findings as plain dicts (missing values None), column by column rather than
        row by row: a million-row return can have tens of thousands."""
        columns = self.finding_columns().values()
        return [dict(zip(FINDING_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]

    def summary(self) -> dict[str, Any]:
        """:meth:`to_dict` without the findings."""
        return {
            "path": self.path,
            **({"sheet": self.sheet} if self.sheet is not None else {}),
            "provider": self.provider,
            "period": self.period,
            "definition": self.definition,
            "encoding": self.encoding,
            "rows": self.rows,
            "counts": self.counts,
            "verdict": self.verdict,
            "tolerances": [t.to_dict() for t in self.tolerated],
            **self._references(),
        }

    def _references(self) -> dict[str, Any]:
        """The code lists and lookup tables the definition read, each with the SHA-256 of its
        bytes (which version of a reference list the return was checked against); no key
        for a definition that reads none."""
        model = self.definition_model
        if model is None or not model.references:
            return {}
        return {
            "references": [{"path": path, "sha256": digest} for path, digest in model.references]
        }

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape of one return."""
        return {**self.summary(), "findings": self.finding_records()}


@dataclass(frozen=True)
class Unreadable:
    """A return left out: it could not be read at all, or (``kind="duplicate"``) another
    return for the same provider and period was audited."""

    path: str
    message: str
    kind: str = "unreadable"


@dataclass
class Validation:
    """The outcome of validating several returns: what :func:`validate_returns` gives."""

    results: list[ReturnResult]
    unreadable: list[Unreadable]

    def counts(self) -> dict[str, int]:
        """Findings by severity over every return: the grand total."""
        return {
            severity: sum(r.counts[severity] for r in self.results)
            for severity in ("error", "warning")
        }

    def verdict(self) -> dict[str, int]:
        """Findings by severity as they count towards the verdict, over every return."""
        verdicts = [r.verdict for r in self.results]
        return {s: sum(v[s] for v in verdicts) for s in ("error", "warning")}

    def failing(self, fail_on: str) -> bool:
        """Whether findings, after the definition's tolerances, reach ``fail_on`` (``error``,
        ``warning`` or ``never``)."""
        if fail_on == "never":
            return False
        counts = self.verdict()
        return bool(counts["error"] or (fail_on == "warning" and counts["warning"]))

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON document: what ``lp-audit validate --format json`` prints."""
        return {"lp_audit": SCHEMA_VERSION, "returns": [r.to_dict() for r in self.results]}
