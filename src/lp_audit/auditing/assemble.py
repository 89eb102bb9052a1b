"""From validated returns to an audit: one per provider and period, acknowledgements, then
every table and highlight. Used by :func:`~lp_audit.auditing.run.audit` on returns it has
just validated, and by :func:`~lp_audit.auditing.store.load_audit` on stored ones."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path

from lp_audit.auditing.comparisons import comparison_table
from lp_audit.auditing.config import AuditConfig
from lp_audit.auditing.funnels import funnel_table
from lp_audit.auditing.network import category_table, continuity_table, metric_table
from lp_audit.auditing.profiles import coverage_table, profile_table, scores_table
from lp_audit.auditing.result import AuditResult
from lp_audit.definitions import Definition, load_definition
from lp_audit.validation import ReturnResult, Unreadable


def assemble(
    spec: Definition | str | Path | None,
    results: list[ReturnResult],
    unreadable: list[Unreadable],
    settings: AuditConfig,
    today: date | None,
) -> AuditResult:
    """The audit of validated returns: one per provider and period (a second is left out),
    findings acknowledged by the settings, then every table and highlight."""
    results, duplicates = one_per_provider_and_period(results)
    unreadable = [*unreadable, *duplicates]
    chosen = definition_for(spec, results)
    _check_expected(settings, chosen)
    for result in results:
        acknowledge(result, settings, today or date.today())
    return build_result(chosen, results, unreadable, settings, today)


def one_per_provider_and_period(
    results: list[ReturnResult],
) -> tuple[list[ReturnResult], list[Unreadable]]:
    """The first return (by path) for each provider and period; the others are left out, as
    pooling two returns for one period (a copy, or a resubmission beside the original) would
    count every row twice."""
    first_of: dict[tuple[str, str], ReturnResult] = {}
    kept: list[ReturnResult] = []
    left_out: list[Unreadable] = []
    for result in results:
        if result.provider is None or result.period is None:  # nothing to pool it with
            kept.append(result)
            continue
        first = first_of.setdefault((result.provider, result.period), result)
        if first is result:
            kept.append(result)
            continue
        left_out.append(
            Unreadable(
                result.path,
                f"a second return for {result.provider} {result.period} (the first is "
                f"{first.path}); it was left out of the audit. Keep one return per provider "
                "and period.",
                kind="duplicate",
            )
        )
    return kept, left_out


def definition_for(spec: Definition | str | Path | None, results: list[ReturnResult]) -> Definition:
    if isinstance(spec, Definition):
        return spec
    # the definition the returns were checked against, as loaded (a file of one's own has no
    # bundled name to load it again by)
    models = {
        r.definition: r.definition_model for r in results if r.definition and r.definition_model
    }
    if models:
        return models[max(models)]
    refs = sorted({r.definition for r in results if r.definition})
    if refs:
        return load_definition(refs[-1])
    return load_definition(spec if spec is not None else "hbyw-quarterly-return")


def acknowledge(result: ReturnResult, settings: AuditConfig, today: date) -> None:
    """Mark findings that an active acknowledgement explains (they still count when expired)."""
    import pandas as pd

    findings = result.findings
    reasons = pd.Series([None] * len(findings), index=findings.index, dtype="object")
    for ack in settings.acknowledgements:
        if ack.provider is not None and ack.provider != result.provider:
            continue
        match = pd.Series(True, index=findings.index)
        for column, wanted in (("field", ack.field), ("rule", ack.rule), ("code", ack.code)):
            if wanted is not None:
                match &= findings[column] == wanted
        label = ack.reason if ack.active(today) else f"expired {ack.until}: {ack.reason}"
        reasons = reasons.where(~(match & reasons.isna()), label)
    result.findings = findings.assign(acknowledged=reasons)


def build_result(
    definition: Definition,
    results: list[ReturnResult],
    unreadable: list[Unreadable],
    settings: AuditConfig,
    today: date | None = None,
) -> AuditResult:
    """Assemble profiles, comparisons and highlights from validated returns."""
    profile = profile_table(definition, results, settings)
    scores = scores_table(profile)
    coverage = coverage_table(results, settings)
    funnels = funnel_table(profile, results, definition, settings)
    categories = category_table(definition, results)
    metrics = metric_table(definition, results)
    continuity = continuity_table(definition, results)
    comparisons = comparison_table(definition, results, profile, settings)
    methods = {
        "control_limits": "funnel limits at 95% and 99.8%: exact binomial quantiles around the network rate",
        "comparisons": "each provider against the rest of the network (without it): Fisher's exact test for rates and codes, Mann-Whitney for means and medians, the difference of log odds ratios for trends",
        "false_discovery_rate": settings.thresholds.fdr,
        "tests": len(comparisons),
        "material": {"share": settings.thresholds.material, "ratio": settings.thresholds.ratio},
        "overdispersion": "adjusted (multiplicative phi)"
        if settings.overdispersion
        else "not adjusted: with few providers the estimate is unstable",
        "highlight_limit": settings.thresholds.limit,
        "score": "field score = valid / applicable rows (unknown, invalid and missing values count against it); return score = weighted mean x 100",
        "weights": "required and conditional fields 1, optional fields 0, unless the config sets weights",
        "suppression": asdict(settings.suppression),
    }
    result = AuditResult(
        definition=definition.ref,
        returns=results,
        unreadable=unreadable,
        profile=profile,
        scores=scores,
        coverage=coverage,
        funnels=funnels,
        categories=categories,
        metrics=metrics,
        continuity=continuity,
        highlights=[],
        comparisons=comparisons,
        config=settings,
        methods=methods,
        definition_model=definition,
        today=today,
    )
    from lp_audit.auditing.highlights import highlights

    result.highlights = highlights(result, definition)
    return result


def _check_expected(settings: AuditConfig, definition: Definition) -> None:
    """Refuse expected returns for periods of another kind than the definition's (a calendar
    quarter, 2025 Q2, where returns are for financial quarters, 2025-26 Q2).

    Raises:
        ConfigError: naming each.
    """
    from lp_audit.auditing.config import ConfigError
    from lp_audit.errors import DefinitionProblem
    from lp_audit.periods import example

    kind = (definition.period_every, definition.period_starts)
    wrong = [
        p
        for p in settings.expected
        if (p.every, p.starts if p.every != "month" else kind[1]) != kind
    ]
    if wrong:
        like = example(definition.period_every, definition.period_starts)
        raise ConfigError(
            [
                DefinitionProblem(
                    settings.source or "the audit settings",
                    None,
                    f"expected.{p}",
                    f"{p} is not a period of {definition.ref}, whose returns are for periods "
                    f"like {like}",
                )
                for p in wrong
            ]
        )
