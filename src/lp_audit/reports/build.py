"""The variance report: an audit result as a typed context. All computation happens here and in
the section modules; templates only format."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lp_audit.auditing.cells import Key
    from lp_audit.auditing.result import AuditResult
    from lp_audit.definitions import Definition
    from lp_audit.reports.charts import Painter

from lp_audit.reports.context import (
    CLASS_LABELS,
    Cell,
    Disclosure,
    Figure,
    ReportContext,
    Table,
    by_key,
    shade_of,
)
from lp_audit.reports.providers import methods_section, provider_part
from lp_audit.reports.sections import category_tables, drift_table, funnel_figures


def build_context(
    result: AuditResult,
    definition: Definition,
    *,
    suppress: bool = True,
    charts: bool = True,
    stamp: str | None = None,
    painter: Painter | None = None,
) -> ReportContext:
    """Turn an audit result into a report context under the small-number policy.

    ``stamp`` (a date and time, when asked for) is printed in the footer; without it the same
    audit gives the same report, byte for byte. ``painter`` draws the charts (by default in
    this process): each is started as soon as its numbers are known and put in at the end.
    """
    from markupsafe import Markup

    from lp_audit.auditing.highlights import highlights
    from lp_audit.auditing.result import ALL
    from lp_audit.periods import sort_key
    from lp_audit.reports.charts import Painter
    from lp_audit.reports.disclosure import plan_for

    if charts and painter is None:
        painter = Painter()
    elif not charts:
        painter = None
    policy = Disclosure(result.config.suppression, plan_for(result, definition, enabled=suppress))
    name = result.config.provider_name
    labels = definition.labels()
    noun = definition.period_every
    periods = sorted({str(p) for p in result.coverage["period"]}, key=sort_key)
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
    score_of = by_key(scores, "provider", "period")
    score_rows = []
    for provider in [*providers, ALL]:
        cells = [Cell(name(provider) if provider != ALL else ALL)]
        for period in periods:
            hit = score_of.get((provider, period))
            if hit is None:
                cells.append(Cell("no return", "hidden"))
            else:
                cells.append(policy.score(float(hit["score"]), ("score", provider, period)))
        last = score_of.get((provider, latest))
        # the change between the whole numbers shown, so the table adds up
        change = (
            round(last["score"]) - round(last["previous"])
            if last is not None and not _missing(last["change"])
            else math.nan
        )
        before = periods[-2] if len(periods) > 1 else ""
        keys = (("score", provider, latest), ("score", provider, before))
        if change != change:
            cells.append(Cell("—", "hidden"))
        elif not policy.plan.shown(*keys):
            cells.append(Cell("*", "suppressed"))
        elif any(policy.plan.rounding(k) > 1 for k in keys):
            cells.append(Cell("—", "hidden"))  # a change between rounder scores says little
        else:
            cells.append(Cell(f"{change:+.0f}" if change else "0", "num"))
        cells.append(
            policy.count(int(last["rows"]), ("rows", provider, latest))
            if last is not None
            else Cell("—", "hidden")
        )
        score_rows.append(tuple(cells))
    score_table = Table(
        "scores",
        f"Data quality score by provider and {noun} (0-100: the weighted share of valid values, "
        "to the nearest whole number)",
        ("Provider", *periods, f"Change in {latest}", f"Rows in {latest}"),
        tuple(score_rows),
    )

    profile = result.profile
    latest_profile = profile[(profile["period"] == latest) & (profile["provider"] != ALL)]
    fields = [f.name for f in definition.fields if f.name in set(latest_profile["field"])]
    profile_of = by_key(latest_profile, "provider", "field")
    split = ("valid", "unknown", "invalid", "missing")
    heat_rows: list[tuple[Cell, ...]] = []
    for provider in providers:
        rows_for_provider: list[list[Cell]] = [
            [Cell(f"{name(provider)}: {CLASS_LABELS[c].lower()}")] for c in split
        ]
        for fname in fields:
            rec = profile_of.get((provider, fname))
            if rec is None:
                for row in rows_for_provider:
                    row.append(Cell("—", "hidden"))
                continue
            applicable = int(rec["applicable"])
            for k, cls in enumerate(split):
                count = int(rec[cls])
                cell = policy.share(
                    count,
                    applicable,
                    keys=(
                        ("class", provider, latest, fname, cls),
                        ("class", provider, latest, fname, "applicable"),
                    ),
                )
                if cell.kind == "num":  # shaded by the share it shows, never by a hidden one
                    cell = replace(cell, shade=shade_of(round(100 * count / applicable) / 100))
                rows_for_provider[k].append(cell)
        heat_rows.extend(tuple(row) for row in rows_for_provider)
    heat_table = Table(
        "heatmap-table",
        f"How each field was captured, as a share of applicable rows, {latest}",
        ("Provider and class", *(labels[f] for f in fields)),
        tuple(heat_rows),
        note="Each share is shaded by its tenth, from pale (under 10%) to dark blue (90% or "
        "more); the number is in every cell.",
    )
    heatmap = None
    if providers and fields:
        # a shaded table rather than a chart: it reads on a phone and in print, a screen
        # reader reads its numbers, and no chart is drawn for it (0.12 s of the report)
        heatmap = Figure(
            "heatmap",
            f"Valid, not known, invalid and missing values by provider and field, {latest}",
            Markup(""),
            "",
            heat_table,
        )

    funnels = funnel_figures(result, definition, policy, latest, painter)

    trends = None
    if painter is not None and providers and len(periods) > 1:
        series: dict[str, Sequence[float]] = {}
        for provider in providers:
            values = []
            for period in periods:
                hit = score_of.get((provider, period))
                values.append(_as_shown(hit, ("score", provider, period), policy))
            series[name(provider)] = values
        network = []
        for period in periods:
            hit = score_of.get((ALL, period))
            network.append(_as_shown(hit, ("score", ALL, period), policy))
        trends_svg = painter.draw(
            "trends", periods, series, ylabel="Score (0-100)", network=network
        )
        trends = Figure(
            "trends",
            f"Data quality score over {noun}s",
            Markup(""),
            f"One line per provider showing its data quality score in each {noun}; the table gives the same numbers.",
            replace(score_table, id="trends-table"),
        )

    # after every chart is started: the painter draws while these are worked out
    categories = category_tables(result, definition, policy, latest)
    drift = drift_table(result, definition, policy, latest)
    texts = tuple(
        h.text for h in highlights(result, definition, suppress=suppress, plan=policy.plan)
    )
    parts = tuple(
        provider_part(result, definition, policy, provider, latest) for provider in providers
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

    targets, ignored = _targets(result, definition, policy, providers, latest)
    methods = tuple((heading, text) for heading, text in methods_section(result, policy))
    if targets is not None:
        methods += (
            (
                "Targets",
                "Each target (from the audit settings) is the share of applicable rows with a "
                "valid value a provider should reach for a field, as the NHS Data Quality "
                "Maturity Index sets one per data item; a share below its target is marked."
                + (
                    f" Left out, as not fields of the definition: {', '.join(ignored)}."
                    if ignored
                    else ""
                ),
            ),
        )
    methods += (("Made from", made_from(result)),)
    # the charts, drawn meanwhile; safe markup: matplotlib's SVG writer escapes its text
    # (a test puts markup in a provider's name)
    if trends is not None:
        trends = replace(trends, svg=Markup(trends_svg()))
    figures = tuple(f if chart is None else replace(f, svg=Markup(chart())) for f, chart in funnels)
    return ReportContext(
        title=f"{definition.title}: data capture across providers"
        + (f", table {definition.table_name}" if definition.table_name else ""),
        definition=f"{definition.title} ({definition.ref})",
        latest=latest,
        shareable=suppress,
        coverage=coverage_text,
        scores=score_table,
        highlights=texts,
        heatmap=heatmap,
        funnels=figures,
        categories=categories,
        drift=drift,
        trends=trends,
        targets=targets,
        providers=parts,
        acknowledged=acknowledged,
        unreadable=tuple(f"{u.path}: {u.message}" for u in result.unreadable),
        methods=methods,
        stamp=stamp or "",
        policy=policy.describe(),
        noun=noun,
    )


def made_from(result: AuditResult) -> str:
    """What the report was made from, so a reader can check it is of the returns they have."""
    from lp_audit import __version__

    files = "; ".join(f"{path} (SHA-256 {digest[:12]}…)" for path, digest in result.inputs)
    return (
        f"lp_audit {__version__}, definition {result.definition}, and these files (paths in the "
        f"audited folder, with the start of each one's SHA-256 fingerprint): {files or 'none recorded'}."
    )


def _missing(value: Any) -> bool:
    """A record's value that is blank (None, NaN or pandas' NA)."""
    return value is None or value != value or str(value) == "<NA>"


def _as_shown(hit: dict[str, Any] | None, key: Key, policy: Disclosure) -> float:
    """A score as the table shows it (an SVG's coordinates are as exact as its data): to the
    rounding the plan allows, or NaN when hidden or absent."""
    if hit is None or not policy.plan.shown(key):
        return math.nan
    points = policy.plan.rounding(key)
    return float(points * round(float(hit["score"]) / points))


def _targets(
    result: AuditResult,
    definition: Definition,
    policy: Disclosure,
    providers: Sequence[str],
    latest: str,
) -> tuple[Table | None, list[str]]:
    """Each provider's valid share of each field with a target, in the latest period."""
    from lp_audit.auditing.result import ALL

    targets = result.config.targets
    if not targets:
        return None, []
    known = [f.name for f in definition.fields if f.name in targets]
    ignored = sorted(set(targets) - set(known))
    labels = definition.labels()
    name = result.config.provider_name
    profile = result.profile
    now = by_key(
        profile[profile["period"] == latest] if len(profile) else profile, "provider", "field"
    )
    rows = []
    for fname in known:
        target = targets[fname]
        cells = [Cell(labels.get(fname, fname)), Cell(f"{100 * target:g}%", "num")]
        for provider in [*providers, ALL]:
            hit = now.get((provider, fname))
            if hit is None:
                cells.append(Cell("—", "hidden"))
                continue
            valid, applicable = int(hit["valid"]), int(hit["applicable"])
            keys = (
                ("class", provider, latest, fname, "valid"),
                ("class", provider, latest, fname, "applicable"),
            )
            share = policy.share(valid, applicable, keys=keys)
            if share.kind == "num" and valid < target * applicable - 1e-9:
                share = Cell(f"{share.text} below", "flag")
            cells.append(share)
        rows.append(tuple(cells))
    table = Table(
        "targets-table",
        f"Valid values against the targets, {latest}: each provider's share of applicable rows "
        "with a valid value",
        ("Field", "Target", *(name(p) for p in providers), ALL),
        tuple(rows),
    )
    return table, ignored
