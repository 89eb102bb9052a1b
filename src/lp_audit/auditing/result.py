"""What an audit found: the result types every later stage reads.

Scores: a field's score is valid / applicable rows (see :mod:`lp_audit.profiling`);
a return's score is the weighted mean of its field scores, times 100. By default required and
conditional fields weigh 1 and optional fields 0; ``weights`` in the config overrides this.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.config import AuditConfig, config_data
from lp_audit.auditing.document import Listed, Parts, materialise, table
from lp_audit.validation import Unreadable

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.definitions import Definition
    from lp_audit.validation import ReturnResult


ALL = "All providers"
RETURN_SUFFIXES = (".csv", ".xlsx")
RATES = ("missing", "unknown", "invalid", "non_standard")


@dataclass(frozen=True)
class Highlight:
    """A difference worth discussing, in words, with what it is about."""

    importance: float
    kind: str
    text: str
    provider: str | None = None
    period: str | None = None
    field: str | None = None
    #: for a difference found by a test, its q-value (p-value after the false-discovery
    #: correction over every test of the audit)
    q: float | None = None


@dataclass
class AuditResult:
    """Everything an audit found; see the module docstring for the scores."""

    definition: str
    returns: list[ReturnResult]
    unreadable: list[Unreadable]
    profile: pd.DataFrame
    scores: pd.DataFrame
    coverage: pd.DataFrame
    funnels: pd.DataFrame
    categories: pd.DataFrame
    metrics: pd.DataFrame
    continuity: pd.DataFrame
    highlights: list[Highlight]
    #: every test of the audit: each provider against the rest (see auditing.comparisons)
    comparisons: pd.DataFrame | None = None
    config: AuditConfig = field(default_factory=AuditConfig)
    methods: dict[str, Any] = field(default_factory=dict)
    #: the day the audit took as today (acknowledgements expire), when it was run
    today: date | None = None
    #: what the audit read, for a report to say what it was made from: each return and the
    #: config as (path relative to the audited folder, SHA-256 of its bytes)
    inputs: list[tuple[str, str]] = field(default_factory=list)
    #: the definition itself (``definition`` is its ref), for reports drawn from the result
    definition_model: Definition | None = field(default=None, repr=False, compare=False)
    #: with a results store, the returns read back from it rather than validated again
    read_back: list[str] = field(default_factory=list)
    #: for a return of several tables, the table this audit is of
    table: str | None = None

    def loaded_definition(self) -> Definition:
        """The definition the audit used, loaded again by its ref if the result lacks it."""
        if self.definition_model is None:
            from lp_audit.definitions import load_definition

            self.definition_model = load_definition(self.definition)
        return self.definition_model

    @property
    def findings(self) -> pd.DataFrame:
        """All findings of all returns, with ``path``, ``provider`` and ``period`` columns."""
        import pandas as pd

        frames = [
            r.findings.assign(path=r.path, provider=r.provider, period=r.period)
            for r in self.returns
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON document of an audit."""
        document: dict[str, Any] = materialise(Parts(self.document()))
        return document

    def document(self) -> list[tuple[str, Any]]:
        """:meth:`to_dict` as ``(key, value)`` pairs, each table held as columns until it is
        written (see :mod:`lp_audit.auditing.document`)."""
        return [
            ("lp_audit", 1),
            ("kind", "audit"),
            ("definition", self.definition),
            ("methods", self.methods),
            ("returns", [_return_parts(r) for r in self.returns]),
            ("unreadable", [asdict(u) for u in self.unreadable]),
            ("coverage", table(self.coverage)),
            ("scores", table(self.scores)),
            ("profile", table(self.profile)),
            ("funnels", table(self.funnels)),
            ("categories", table(self.categories)),
            ("metrics", table(self.metrics)),
            ("continuity", table(self.continuity)),
            ("comparisons", table(self.comparisons) if self.comparisons is not None else []),
            ("highlights", [asdict(h) for h in self.highlights]),
            ("inputs", [{"path": path, "sha256": digest} for path, digest in self.inputs]),
            ("settings", config_data(self.config)),
            ("today", self.today.isoformat() if self.today else None),
        ]


def _return_parts(result: ReturnResult) -> Parts:
    """A return of the audit's document: its summary, then its findings, each with whether
    an acknowledgement explains it."""

    def columns() -> dict[str, list[Any]]:
        return {**result.finding_columns(), "acknowledged": _acknowledged_column(result)}

    return Parts([*result.summary().items(), ("findings", Listed(columns, len(result.findings)))])


@dataclass
class TablesAudit:
    """The audit of returns of several tables: one :class:`AuditResult` per table (``parts``,
    in the definition's order, each naming its ``table``)."""

    definition: str
    parts: list[AuditResult]
    #: files that belong to no table's return
    unreadable: list[Unreadable]
    config: AuditConfig = field(default_factory=AuditConfig)
    today: date | None = None
    definition_model: Definition | None = field(default=None, repr=False, compare=False)

    @property
    def returns(self) -> list[ReturnResult]:
        """Every table's file of every return."""
        return [r for part in self.parts for r in part.returns]

    @property
    def read_back(self) -> list[str]:
        return []

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON document of an audit of several tables: each table's audit
        (the document of a return of one table, with its ``table``) under ``tables``."""
        document: dict[str, Any] = materialise(Parts(self.document()))
        return document

    def document(self) -> list[tuple[str, Any]]:
        """:meth:`to_dict` as ``(key, value)`` pairs (see :meth:`AuditResult.document`)."""
        return [
            ("lp_audit", 1),
            ("kind", "audit"),
            ("definition", self.definition),
            (
                "tables",
                [
                    Parts(
                        [
                            ("table", part.table),
                            *((k, v) for k, v in part.document() if k != "lp_audit"),
                        ]
                    )
                    for part in self.parts
                ],
            ),
            ("unreadable", [asdict(u) for u in self.unreadable]),
            ("settings", config_data(self.config)),
            ("today", self.today.isoformat() if self.today else None),
        ]


def _acknowledged_column(result: ReturnResult) -> list[str | None]:
    column = result.findings.get("acknowledged")
    if column is None:
        return [None] * len(result.findings)
    return [None if v is None or v != v else str(v) for v in column.tolist()]


def failing(result: AuditResult | TablesAudit, fail_on: str) -> bool:
    """Whether findings not explained by an active acknowledgement reach ``fail_on``, after
    the definition's tolerances.

    An expected return that did not arrive, or a return left out (unreadable, or a second one
    for a provider and period), counts as an error: a pipeline gated on errors fails on it.
    """
    if fail_on == "never":
        return False
    if isinstance(result, TablesAudit):
        return bool(result.unreadable) or any(failing(part, fail_on) for part in result.parts)
    if result.unreadable or (
        not result.coverage.empty
        and bool((result.coverage["expected"] & (result.coverage["received"] == 0)).any())
    ):
        return True
    levels = {"error"} if fail_on == "error" else {"error", "warning"}
    for r in result.returns:
        findings = r.findings
        active = findings.get("acknowledged")
        open_findings = (
            findings
            if active is None
            else findings[active.isna() | active.astype(str).str.startswith("expired")]
        )
        if not r.tolerated:
            if open_findings["severity"].isin(levels).any():
                return True
            continue
        # the definition's tolerances: a finding within one counts as a warning, or not at all
        kinds = open_findings[["severity", "field", "rule"]].drop_duplicates()
        for severity, about, rule in kinds.itertuples(index=False):
            field_name = about if isinstance(about, str) else None
            rule_id = rule if isinstance(rule, str) else None
            if r.counted_as(str(severity), field_name, rule_id) in levels:
                return True
    return False
