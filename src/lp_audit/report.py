"""The variance report: an audit result as a typed context, rendered by Jinja to HTML or Markdown.

All computation happens here; templates only format. Every number passes through the
small-number policy before it reaches a table, a chart or a sentence: :mod:`lp_audit.disclosure`
plans, once for the whole report, which counts are hidden (small counts, and the counts that would
let a reader work them out from any total shown anywhere), and :class:`Disclosure` turns those
decisions into cells.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from lp_audit.config import Suppression
from lp_audit.disclosure import PRIMARY, Key, Plan, code_keys, funnel_keys, metric_keys

if TYPE_CHECKING:
    from markupsafe import Markup

    from lp_audit.audit import AuditResult
    from lp_audit.definitions import Definition

PROFILE_CLASSES = ("valid", "unknown", "invalid", "missing", "not_applicable")
CLASS_LABELS = {
    "valid": "Valid",
    "unknown": "Not known",
    "invalid": "Invalid",
    "missing": "Missing",
    "not_applicable": "Not applicable",
}
MEASURE_LABELS = {
    "missing": "blank",
    "unknown": "not known",
    "invalid": "invalid",
    "non_standard": "non-standard",
    "share": "share",
}


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and a style ("num", "suppressed", "hidden", "flag")."""

    text: str
    kind: str = ""


@dataclass(frozen=True)
class Table:
    """A table with a caption and header cells, ready to render."""

    id: str
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart as inline SVG, its text alternative, and the same numbers as a table."""

    id: str
    title: str
    svg: Markup
    alt: str
    table: Table


@dataclass(frozen=True)
class ProviderPart:
    """One provider's section: capture split and most frequent findings."""

    code: str
    name: str
    summary: str
    capture: Table
    findings: Table


@dataclass(frozen=True)
class ReportContext:
    """Everything a report template shows, already formatted and suppressed."""

    title: str
    definition: str
    latest: str
    shareable: bool
    coverage: str
    scores: Table
    highlights: tuple[str, ...]
    heatmap: Figure | None
    funnels: tuple[Figure, ...]
    categories: tuple[Table, ...]
    drift: Table
    trends: Figure | None
    providers: tuple[ProviderPart, ...]
    acknowledged: Table
    unreadable: tuple[str, ...]
    methods: tuple[tuple[str, str], ...]
    policy: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


class Disclosure:
    """The small-number policy as the report applies it: every number asks the plan.

    The plan (:mod:`lp_audit.disclosure`) has already decided, across every table, which of the
    audit's counts are hidden; here those decisions become cells: ``<5`` for a small count,
    ``*`` for a count hidden so that another cannot be worked out, ``—`` for a percentage whose
    denominator is too small to mean much.
    """

    def __init__(self, policy: Suppression, plan: Plan) -> None:
        self.min_count = policy.min_count
        self.min_denominator = policy.min_denominator
        self.plan = plan
        self.enabled = plan.enabled

    def small(self, n: float) -> bool:
        return self.enabled and 1 <= n < self.min_count

    def _hidden(self, *keys: Key) -> Cell | None:
        for key in keys:
            why = self.plan.why(key)
            if why == PRIMARY:
                return Cell(f"<{self.min_count}", "suppressed")
            if why is not None:
                return Cell("*", "suppressed")
        return None

    def count(self, n: float, key: Key | None = None) -> Cell:
        """A count: hidden when small, or when the plan hides ``key``."""
        hidden = self._hidden(key) if key is not None else None
        if hidden is not None:
            return hidden
        if self.small(n):
            return Cell(f"<{self.min_count}", "suppressed")
        return Cell(f"{int(n):,}", "num")

    def share(
        self,
        num: float,
        den: float,
        *,
        digits: int = 0,
        keys: tuple[Key, ...] = (),
    ) -> Cell:
        """``num / den`` as a percentage; ``keys`` are the counts it reveals (numerator first)."""
        if den <= 0 or (isinstance(num, float) and math.isnan(num)):
            return Cell("—", "hidden")
        hidden = self._hidden(*keys)
        if hidden is not None:
            return hidden
        if self.enabled and den < self.min_denominator:
            return Cell("—", "hidden")
        if self.small(num):
            return Cell(f"<{self.min_count}", "suppressed")
        return Cell(f"{100 * num / den:.{digits}f}%", "num")

    def describe(self) -> str:
        if not self.enabled:
            return (
                "No small-number suppression was applied. This report is for internal analysis "
                "only and must not be shared."
            )
        return (
            f"Counts from 1 to {self.min_count - 1} are shown as <{self.min_count}, and so are "
            "percentages built on them. Percentages whose denominator is under "
            f"{self.min_denominator} are not shown (—). The report's numbers are tied together by "
            "totals a reader can see: the classes of a field add up to its rows, the providers add "
            "up to the network, the codes add up to the coded rows, the scores are built from the "
            "valid shares. So where a hidden count could be worked out from them, in this table "
            "or any other, further counts are hidden too (*), and the whole report is checked so "
            "that no hidden count can be worked out exactly. A score is hidden (*) when it would "
            "pin down a hidden count. Charts leave out what the tables hide."
        )


def _pct(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def build_context(
    result: AuditResult, definition: Definition, *, suppress: bool = True, charts: bool = True
) -> ReportContext:
    """Turn an audit result into a report context under the small-number policy."""
    from markupsafe import Markup

    from lp_audit.audit import ALL, _period_order
    from lp_audit.disclosure import plan_for
    from lp_audit.highlights import highlights

    policy = Disclosure(result.config.suppression, plan_for(result, definition, enabled=suppress))
    name = result.config.provider_name
    labels = definition.labels()
    periods = sorted({str(p) for p in result.coverage["period"]}, key=_period_order)
    latest = periods[-1] if periods else ""

    coverage = result.coverage
    expected = int(coverage["expected"].sum()) if len(coverage) else 0
    received = (
        int((coverage["expected"] & (coverage["received"] > 0)).sum()) if len(coverage) else 0
    )
    coverage_text = (
        f"{received} of {expected} expected returns received"
        f" ({len(result.returns)} returns read, {len(result.unreadable)} unreadable)."
    )

    scores = result.scores
    providers = sorted({str(p) for p in scores["provider"]} - {ALL}) if len(scores) else []
    score_rows = []
    for provider in [*providers, ALL]:
        cells = [Cell(name(provider) if provider != ALL else ALL)]
        for period in periods:
            hit = scores[(scores["provider"] == provider) & (scores["period"] == period)]
            if not len(hit):
                cells.append(Cell("no return", "hidden"))
            elif not policy.plan.shown(("score", provider, period)):
                cells.append(Cell("*", "suppressed"))
            else:
                cells.append(Cell(f"{hit['score'].iloc[0]:.0f}", "num"))
        last = scores[(scores["provider"] == provider) & (scores["period"] == latest)]
        # the change between the whole numbers shown, so the table adds up
        change = (
            round(last["score"].iloc[0]) - round(last["previous"].iloc[0])
            if len(last) and last["change"].notna().iloc[0]
            else math.nan
        )
        before = periods[-2] if len(periods) > 1 else ""
        if change != change:
            cells.append(Cell("—", "hidden"))
        elif not policy.plan.shown(("score", provider, latest), ("score", provider, before)):
            cells.append(Cell("*", "suppressed"))
        else:
            cells.append(Cell(f"{change:+.0f}" if change else "0", "num"))
        cells.append(
            policy.count(int(last["rows"].iloc[0]), ("rows", provider, latest))
            if len(last)
            else Cell("—", "hidden")
        )
        score_rows.append(tuple(cells))
    score_table = Table(
        "scores",
        "Data quality score by provider and quarter (0-100: the weighted share of valid values, "
        "to the nearest whole number)",
        ("Provider", *periods, f"Change in {latest}", f"Rows in {latest}"),
        tuple(score_rows),
    )

    texts = tuple(
        h.text for h in highlights(result, definition, suppress=suppress, plan=policy.plan)
    )

    profile = result.profile
    latest_profile = profile[(profile["period"] == latest) & (profile["provider"] != ALL)]
    fields = [f.name for f in definition.fields if f.name in set(latest_profile["field"])]
    import numpy as np

    split = ("valid", "unknown", "invalid", "missing")
    heat_rows: list[tuple[Cell, ...]] = []
    matrix = np.full((len(providers) * len(split), len(fields)), np.nan)
    for i, provider in enumerate(providers):
        rows_for_provider: list[list[Cell]] = [
            [Cell(f"{name(provider)}: {CLASS_LABELS[c].lower()}")] for c in split
        ]
        for j, fname in enumerate(fields):
            rec = latest_profile[
                (latest_profile["provider"] == provider) & (latest_profile["field"] == fname)
            ]
            if not len(rec):
                for row in rows_for_provider:
                    row.append(Cell("—", "hidden"))
                continue
            applicable = int(rec["applicable"].iloc[0])
            for k, cls in enumerate(split):
                count = int(rec[cls].iloc[0])
                cell = policy.share(
                    count,
                    applicable,
                    keys=(
                        ("class", provider, latest, fname, cls),
                        ("class", provider, latest, fname, "applicable"),
                    ),
                )
                rows_for_provider[k].append(cell)
                if cell.kind == "num":
                    matrix[i * len(split) + k, j] = count / applicable
        heat_rows.extend(tuple(row) for row in rows_for_provider)
    heat_table = Table(
        "heatmap-table",
        f"How each field was captured, as a share of applicable rows, {latest}",
        ("Provider and class", *(labels[f] for f in fields)),
        tuple(heat_rows),
    )
    heatmap = None
    if providers and fields:
        svg = ""
        if charts:
            from lp_audit.charts import heatmap_chart

            row_labels = [f"{name(p)}: {CLASS_LABELS[c].lower()}" for p in providers for c in split]
            svg = heatmap_chart(row_labels, [labels[f] for f in fields], matrix)
        heatmap = Figure(
            "heatmap",
            f"Valid, not known, invalid and missing values by provider and field, {latest}",
            Markup(svg),  # safe: drawn by matplotlib, its text turned into paths
            "A grid with four rows per provider (valid, not known, invalid, missing) and a "
            "column per field, coloured by the share of applicable rows; the table below gives "
            "the same numbers.",
            heat_table,
        )

    funnels = _funnel_figures(result, definition, policy, latest, charts)
    categories = _category_tables(result, definition, policy, latest)
    drift = _drift_table(result, definition, policy, latest)

    trends = None
    if charts and providers and len(periods) > 1:
        from lp_audit.charts import trend_chart

        series: dict[str, Sequence[float]] = {}
        for provider in providers:
            values = []
            for period in periods:
                hit = scores[(scores["provider"] == provider) & (scores["period"] == period)]
                shown = len(hit) and policy.plan.shown(("score", provider, period))
                # as the table shows it: an SVG's coordinates are as exact as its data
                values.append(float(round(hit["score"].iloc[0])) if shown else math.nan)
            series[name(provider)] = values
        trends = Figure(
            "trends",
            "Data quality score over quarters",
            Markup(trend_chart(periods, series, ylabel="Score (0-100)")),
            "One line per provider showing its data quality score in each quarter; the table gives the same numbers.",
            replace(score_table, id="trends-table"),
        )

    parts = tuple(
        _provider_part(result, definition, policy, provider, latest) for provider in providers
    )

    ack_rows = []
    all_findings = result.findings
    for ack in result.config.acknowledgements:
        matched = 0
        if len(all_findings) and "acknowledged" in all_findings:
            matched = int(
                (
                    all_findings["acknowledged"]
                    .astype("string")
                    .str.endswith(ack.reason)
                    .fillna(False)
                ).sum()
            )
        ack_rows.append(
            (
                Cell(name(ack.provider) if ack.provider else "All"),
                Cell(
                    labels.get(ack.field, ack.field)
                    if ack.field
                    else (ack.rule or ack.code or "any")
                ),
                Cell(ack.reason),
                Cell(str(ack.until) if ack.until else "open-ended"),
                policy.count(matched),
            )
        )
    acknowledged = Table(
        "acknowledged-table",
        "Known issues acknowledged in the audit settings",
        ("Provider", "About", "Reason", "Until", "Findings explained"),
        tuple(ack_rows),
    )

    methods = tuple((heading, text) for heading, text in _methods(result, policy))
    return ReportContext(
        title=f"{definition.title}: data capture across providers",
        definition=f"{definition.title} ({definition.ref})",
        latest=latest,
        shareable=suppress,
        coverage=coverage_text,
        scores=score_table,
        highlights=texts,
        heatmap=heatmap,
        funnels=funnels,
        categories=categories,
        drift=drift,
        trends=trends,
        providers=parts,
        acknowledged=acknowledged,
        unreadable=tuple(f"{u.path}: {u.message}" for u in result.unreadable),
        methods=methods,
        policy=policy.describe(),
    )


def _funnel_figures(
    result: AuditResult, definition: Definition, policy: Disclosure, latest: str, charts: bool
) -> tuple[Figure, ...]:
    from markupsafe import Markup

    from lp_audit.audit import ALL

    funnels = result.funnels
    if funnels.empty:
        return ()
    labels = definition.labels()
    metric_labels = {m.id: m.label for m in definition.metrics}
    name = result.config.provider_name
    now = funnels[funnels["period"] == latest]
    flagged = now[now["flag"].str.startswith("above")][
        ["subject", "kind", "measure"]
    ].drop_duplicates()
    figures = []
    for rec in flagged.head(6).to_dict("records"):
        group = now[
            (now["subject"] == rec["subject"])
            & (now["measure"] == rec["measure"])
            & (now["kind"] == rec["kind"])
        ]
        subject = (
            metric_labels.get(rec["subject"], rec["subject"])
            if rec["kind"] == "metric"
            else labels.get(rec["subject"], rec["subject"])
        )
        measure = MEASURE_LABELS.get(rec["measure"], rec["measure"])
        title = (
            f"{subject}: {measure}, {latest}" if rec["kind"] == "field" else f"{subject}, {latest}"
        )
        rows = []
        shown_names, shown_rates, shown_dens = [], [], []
        network_num, network_den = funnel_keys(rec, ALL, latest)
        network_shown = policy.plan.shown(network_num, network_den)
        for r in group.to_dict("records"):
            num, den = funnel_keys(rec, r["provider"], latest)
            share = policy.share(r["numerator"], r["denominator"], digits=1, keys=(num, den))
            limits = [
                Cell(f"{_pct(r[lo])} – {_pct(r[hi])}", "num")
                if network_shown and policy.plan.shown(den)
                else Cell("*", "suppressed")  # the limits would give the network rate away
                for lo, hi in (("lo95", "hi95"), ("lo998", "hi998"))
            ]
            rows.append(
                (
                    Cell(name(r["provider"])),
                    policy.count(r["denominator"], den),
                    share,
                    *limits,
                    Cell(r["flag"] or "within limits", "flag" if r["flag"] else ""),
                )
            )
            if share.kind == "num":
                shown_names.append(name(r["provider"]))
                shown_rates.append(r["rate"])
                shown_dens.append(r["denominator"])
        pooled = float(group["pooled"].iloc[0])
        table = Table(
            f"funnel-{rec['subject']}-{rec['measure']}",
            f"{title}: each provider against the network rate of {_pct(pooled)}"
            if network_shown
            else f"{title}: each provider against the network rate (not shown: small numbers)",
            ("Provider", "Rows", "Rate", "95% limits", "99.8% limits", "Position"),
            tuple(rows),
        )
        svg = ""
        if charts and network_shown:
            from lp_audit.charts import funnel_chart

            svg = funnel_chart(
                shown_names,
                shown_rates,
                shown_dens,
                pooled,
                ylabel=measure.capitalize(),
                prefix=f"svg-{table.id}",
            )
        figures.append(
            Figure(
                f"fig-{table.id}",
                title,
                Markup(svg),
                f"Funnel plot of {subject} ({measure}) for each provider against the network rate, with 95% and 99.8% control limits; the table gives the same numbers.",
                table,
            )
        )
    return tuple(figures)


def _category_tables(
    result: AuditResult, definition: Definition, policy: Disclosure, latest: str
) -> tuple[Table, ...]:
    from lp_audit.audit import ALL

    categories = result.categories
    if categories.empty:
        return ()
    name = result.config.provider_name
    flagged_fields = {
        h.field
        for h in result.highlights
        if h.kind in ("category-mix", "never-used", "funnel-unknown") and h.field
    }
    now = categories[(categories["period"] == latest) & categories["field"].isin(flagged_fields)]
    tables = []
    for fname in [f.name for f in definition.fields if f.name in set(now["field"])]:
        f = definition.field(fname)
        group = now[now["field"] == fname]
        codes = [c.value for c in f.codes if c.value in set(group["code"])]
        rows = []
        for provider in sorted(set(group["provider"])):
            sub = group[group["provider"] == provider].set_index("code")
            total = int(sub["total"].iloc[0])
            cells = [Cell(name(provider))]
            for c in codes:
                keys = code_keys(provider, latest, fname, c)
                cells.append(policy.share(int(sub.loc[c, "count"]), total, keys=keys))
            cells.append(policy.count(total, code_keys(provider, latest, fname, "")[1]))
            rows.append(tuple(cells))
        pooled = group.drop_duplicates("code").set_index("code")["pooled_count"].astype(int)
        grand = int(group.drop_duplicates("provider")["total"].sum())
        rows.append(
            (
                Cell("Network"),
                *(
                    policy.share(
                        int(pooled[c]),
                        grand,
                        keys=code_keys(ALL, latest, fname, c),
                    )
                    for c in codes
                ),
                Cell("", ""),
            )
        )
        tables.append(
            Table(
                f"mix-{fname}",
                f"{f.label}: how often each code is used, {latest}",
                ("Provider", *(f"{c} {f.code_label(c)}" for c in codes), "Rows"),
                tuple(rows),
            )
        )
    return tuple(tables)


def _drift_table(
    result: AuditResult, definition: Definition, policy: Disclosure, latest: str
) -> Table:
    from lp_audit.audit import ALL

    name = result.config.provider_name
    metrics = result.metrics
    now = metrics[metrics["period"] == latest] if len(metrics) else metrics
    rows = []
    for m in definition.metrics:
        group = now[now["metric"] == m.id] if len(now) else now
        for rec in group.to_dict("records"):
            n = int(rec["n"])
            num_key, den_key = metric_keys(str(rec["provider"]), latest, m.id)
            if policy.enabled and n < policy.min_denominator:
                value = Cell("—", "hidden")
            elif m.kind == "share":
                value = policy.share(
                    rec["value"] * n if rec["value"] == rec["value"] else math.nan,
                    n,
                    keys=(num_key, den_key),
                )
            else:
                value = (
                    Cell(f"{rec['value']:.1f}", "num")
                    if rec["value"] == rec["value"]
                    else Cell("—", "hidden")
                )
            network = rec["network"]
            if m.kind != "share":
                network_cell = Cell(f"{network:.1f}" if network == network else "—", "num")
            elif policy.plan.shown(metric_keys(ALL, latest, m.id)[0]):
                network_cell = Cell(_pct(network), "num")
            else:
                network_cell = Cell("*", "suppressed")
            rows.append(
                (
                    Cell(m.label),
                    Cell(name(rec["provider"])),
                    value,
                    policy.count(n, den_key if m.kind == "share" else None),
                    network_cell,
                )
            )
    return Table(
        "drift-table",
        f"Definition-drift signals, {latest}: differences may mean a definition is read differently",
        ("Signal", "Provider", "Value", "Rows", "Network"),
        tuple(rows),
    )


def _provider_part(
    result: AuditResult, definition: Definition, policy: Disclosure, provider: str, latest: str
) -> ProviderPart:
    name = result.config.provider_name(provider)
    profile = result.profile
    mine = profile[(profile["provider"] == provider) & (profile["period"] == latest)]
    rows = []
    for f in definition.fields:
        field_rows = mine[mine["field"] == f.name]
        if not len(field_rows):
            continue
        rows.append(
            (
                Cell(f.label),
                *(
                    policy.count(int(field_rows[c].iloc[0]), ("class", provider, latest, f.name, c))
                    for c in PROFILE_CLASSES
                ),
                policy.count(int(field_rows["rows"].iloc[0]), ("rows", provider, latest)),
            )
        )
    capture = Table(
        f"capture-{provider}",
        f"{name}: how each field was captured, {latest} (rows)",
        ("Field", *(CLASS_LABELS[c] for c in PROFILE_CLASSES), "Rows"),
        tuple(rows),
    )
    findings_rows = []
    for r in result.returns:
        if r.provider != provider or r.period != latest or not len(r.findings):
            continue
        grouped = r.findings.groupby(["severity", "code", "field"], dropna=False, sort=False)
        summary = grouped.agg(
            count=("code", "size"), lines=("line", lambda s: [int(x) for x in s.dropna()][:3])
        ).reset_index()
        summary = summary.sort_values(["severity", "count"], ascending=[True, False]).head(10)
        for item in summary.to_dict("records"):
            rec: dict[str, Any] = {str(k): v for k, v in item.items()}
            fname = rec["field"] if isinstance(rec["field"], str) else ""
            findings_rows.append(
                (
                    Cell(str(rec["severity"])),
                    Cell(str(rec["code"])),
                    Cell(definition.labels().get(fname, fname) if fname else "file"),
                    policy.count(
                        int(rec["count"]),
                        (
                            "finding",
                            provider,
                            latest,
                            fname,
                            str(rec["severity"]),
                            str(rec["code"]),
                        ),
                    ),
                    Cell(", ".join(str(x) for x in rec["lines"]) or "—"),
                )
            )
    findings = Table(
        f"findings-{provider}",
        f"{name}: most frequent findings, {latest}",
        ("Severity", "Finding", "Field", "Count", "Example lines"),
        tuple(findings_rows),
        note="Values are not shown: the return's own validation feedback lists them for the provider.",
    )
    score = result.scores[
        (result.scores["provider"] == provider) & (result.scores["period"] == latest)
    ]
    if not len(score):
        summary_text = f"No return for {latest}."
    elif not policy.plan.shown(("score", provider, latest)):
        summary_text = f"Score not shown for {latest} (small numbers)."
    else:
        summary_text = f"Score {score['score'].iloc[0]:.0f} in {latest}."
    return ProviderPart(provider, name, summary_text, capture, findings)


def _methods(result: AuditResult, policy: Disclosure) -> list[tuple[str, str]]:
    return [
        (
            "Capture classes",
            "Every value of every field is valid (a real value that passed its checks, perhaps "
            "after a non-standard spelling was accepted), not known (one of the field's 'not "
            "known' codes), invalid (it failed a check), missing (blank where the field is "
            "required, or blank in an optional field) or not applicable (blank in a conditional "
            "field whose condition does not hold).",
        ),
        (
            "Scores",
            "A field's score is the share of applicable rows with a valid value: 'not known' codes, "
            "invalid values and blanks all lower it. A return's score is the weighted mean of its "
            "field scores, times 100; required and conditional fields weigh 1 and optional fields "
            "0 unless the audit settings say otherwise. Completeness is (applicable - missing) / "
            "applicable; validity is (valid + not known) / (applicable - missing).",
        ),
        (
            "Control limits",
            "Funnel plots compare each provider's rate with the rate across all providers (the "
            "network), with 95% and 99.8% limits that narrow as the number of rows grows "
            "(Spiegelhalter 2005, normal approximation). A provider outside the 99.8% limits is "
            "very unlikely to differ by chance alone. Overdispersion: "
            f"{result.methods.get('overdispersion', 'not adjusted')}.",
        ),
        (
            "Category mix",
            "For coded fields, each provider's use of each code is compared with the network mix "
            "using adjusted residuals, or an exact binomial test when fewer than 5 uses are "
            "expected. Highlights need the difference to be beyond the 99.8% level and at least 10 "
            "percentage points.",
        ),
        (
            "Definition drift",
            "Signals declared in the data definition, such as contacts per engaged young person, "
            "are compared with the typical provider (the median). A value 1.5 times higher or "
            "lower is raised: it may mean a definition is read differently.",
        ),
        ("Small numbers", policy.describe()),
    ]


def environment(fmt: str) -> Any:
    """The one Jinja environment per format: templates in the package, strict undefined."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    if fmt == "html":
        return Environment(
            loader=PackageLoader("lp_audit", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return Environment(
        loader=PackageLoader("lp_audit", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_markdown_cell,
    )


def _markdown_cell(value: Any) -> Any:
    """Escape every value printed into Markdown: no table breaks, no HTML, no new lines."""
    if not isinstance(value, str):
        return value
    return (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
        .replace("`", "\\`")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
    )


REPORT_FORMATS = ("html", "markdown")


def report_format(path: str, explicit: str | None = None) -> str:
    """The report format named explicitly, or implied by the file's extension."""
    if explicit is not None:
        return explicit
    return "markdown" if path.lower().endswith((".md", ".markdown")) else "html"


def render_report(
    result: AuditResult,
    definition: Definition,
    fmt: str = "html",
    *,
    suppress: bool = True,
    charts: bool = True,
) -> str:
    """Render the report as ``html`` or ``markdown`` text.

    ``charts=False`` leaves the charts out of the HTML (their tables stay), for golden tests
    that should not depend on the plotting library's version.
    """
    context = build_context(result, definition, suppress=suppress, charts=charts and fmt == "html")
    template = environment(fmt).get_template("report.html" if fmt == "html" else "report.md")
    return str(template.render(report=context))
