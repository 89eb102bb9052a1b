"""Sections of the report across providers: funnel figures, category mix, drift metrics."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lp_audit.auditing.cells import code_keys, funnel_keys, metric_keys

if TYPE_CHECKING:
    from collections.abc import Callable

    from lp_audit.auditing.result import AuditResult
    from lp_audit.definitions import Definition
    from lp_audit.reports.charts import Painter

from lp_audit.reports.context import MEASURE_LABELS, Cell, Disclosure, Figure, Table, pct


def funnel_figures(
    result: AuditResult,
    definition: Definition,
    policy: Disclosure,
    latest: str,
    painter: Painter | None,
) -> tuple[tuple[Figure, Callable[[], str] | None], ...]:
    """The funnel figures of the latest period, each with its chart being drawn by ``painter``
    (none without one): the caller puts the SVG in when it is ready."""
    from markupsafe import Markup

    from lp_audit.auditing.result import ALL

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
                Cell(f"{pct(r[lo])} – {pct(r[hi])}", "num")
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
                    # for a capture rate (blanks, not known, invalid) higher is worse: only
                    # "above" is a warning; a share metric is neither better nor worse
                    Cell(
                        r["flag"] or "within limits",
                        "flag"
                        if rec["kind"] == "field" and str(r["flag"]).startswith("above")
                        else "",
                    ),
                )
            )
            if share.kind == "num":
                shown_names.append(name(r["provider"]))
                shown_rates.append(r["rate"])
                shown_dens.append(r["denominator"])
        pooled = float(group["pooled"].iloc[0])
        table = Table(
            f"funnel-{rec['subject']}-{rec['measure']}",
            f"{title}: each provider against the network rate of {pct(pooled)}"
            if network_shown
            else f"{title}: each provider against the network rate (not shown: small numbers)",
            ("Provider", "Rows", "Rate", "95% limits", "99.8% limits", "Position"),
            tuple(rows),
        )
        chart = None
        if painter is not None and network_shown:
            chart = painter.draw(
                "funnel",
                shown_names,
                shown_rates,
                shown_dens,
                pooled,
                ylabel=measure.capitalize(),
                prefix=f"svg-{table.id}",
            )
        figure = Figure(
            f"fig-{table.id}",
            title,
            Markup(""),
            f"Funnel plot of {subject} ({measure}) for each provider against the network rate, with 95% and 99.8% control limits; the table gives the same numbers.",
            table,
        )
        figures.append((figure, chart))
    return tuple(figures)


def category_tables(
    result: AuditResult, definition: Definition, policy: Disclosure, latest: str
) -> tuple[Table, ...]:
    from lp_audit.auditing.result import ALL

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


def drift_table(
    result: AuditResult, definition: Definition, policy: Disclosure, latest: str
) -> Table:
    from lp_audit.auditing.result import ALL

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
                network_cell = Cell(pct(network), "num")
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
