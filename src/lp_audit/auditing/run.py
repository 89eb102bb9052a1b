"""Auditing many returns: validate each, profile capture, compare providers and periods.

``audit(path)`` finds every return under ``path``, validates each with the same engine as
``validate_return``, and builds an :class:`AuditResult`: the findings, capture profiles and
scores per provider and period, coverage, funnel limits, category mix, drift metrics, trends,
continuity between periods, and plain-English highlights ordered by importance. Reports and
notebooks read the result; nothing here formats output.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.config import AuditConfig, find_config, load_config
from lp_audit.definitions import Definition, load_definition
from lp_audit.errors import ReturnReadError
from lp_audit.periods import Period

if TYPE_CHECKING:
    from lp_audit.validation import ReturnResult

from lp_audit.auditing.comparisons import comparison_table
from lp_audit.auditing.funnels import funnel_table
from lp_audit.auditing.network import category_table, continuity_table, metric_table
from lp_audit.auditing.parallel import Job, auto_workers, run_jobs
from lp_audit.auditing.profiles import coverage_table, profile_table, scores_table
from lp_audit.auditing.result import RETURN_SUFFIXES, AuditResult
from lp_audit.validation import Unreadable


def find_returns(path: Path) -> list[Path]:
    """Every CSV and XLSX file under ``path`` (any depth, hidden folders skipped), sorted."""
    if path.is_file():
        return [path]
    found = [
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in RETURN_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    return sorted(found)


def audit(
    path: str | Path,
    definition: Definition | str | Path | None = None,
    *,
    config: AuditConfig | str | Path | None = None,
    today: date | None = None,
    progress: Callable[[Path], None] | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
    pool: Callable[[int], Executor] | None = None,
) -> AuditResult:
    """Audit every return under ``path``.

    Args:
        path: a folder of returns (searched at any depth) or one file.
        definition: the definition to use; default: the config's, else the version in force
            for each return's period.
        config: an :class:`AuditConfig` or a path to ``lp-audit.yaml``; default: the
            ``lp-audit.yaml`` in ``path``, if any.
        today: the date for "not in the future" rules and acknowledgement expiry.
        progress: called with each file once it is validated.
        workers: validate the returns in this many worker processes (1: here, one after
            another; None: the machine's cores, for returns of 4 MB or more in all). The
            result is the same, byte for byte, however many.
        scheduler: the address of a Dask distributed scheduler (``tcp://host:8786``) whose
            workers validate the returns instead (``pip install 'lp-audit[dask]'``).
        pool: makes the pool of ``workers`` processes (tests give their own).

    Raises:
        ReturnReadError: if ``path`` does not exist.
        DefinitionError, DefinitionNotFoundError, ConfigError: if those cannot be loaded.
        OptionError: if the scheduler cannot be reached.
    """
    import re

    root = Path(path)
    if not root.exists():
        raise ReturnReadError(str(root), "no such file or folder")
    found: Path | None = None
    if config is None:
        found = find_config(root)
        settings = load_config(found) if found else AuditConfig()
    elif isinstance(config, AuditConfig):
        settings = config
    else:
        settings = load_config(config)
    spec = definition if definition is not None else settings.definition
    pattern = re.compile(settings.filename_pattern) if settings.filename_pattern else None
    today = today or date.today()
    files = find_returns(root)
    if not files:
        raise ReturnReadError(
            str(root), "has no returns: no .csv or .xlsx file is in it or its folders"
        )
    jobs = [Job(file, **_hints(pattern, file)) for file in files]
    outcomes = run_jobs(
        jobs,
        spec,
        today,
        workers=auto_workers(files) if workers is None else workers,
        scheduler=scheduler,
        done=progress,
        pool=pool,
    )
    results = [o for o in outcomes if not isinstance(o, Unreadable)]
    unreadable = [o for o in outcomes if isinstance(o, Unreadable)]
    results, duplicates = _one_per_provider_and_period(results)
    unreadable += duplicates
    chosen = _definition_for(spec, results)
    for result in results:
        _acknowledge(result, settings, today)
    audited = build_result(chosen, results, unreadable, settings, today)
    config_file = found if config is None else None if isinstance(config, AuditConfig) else config
    audited.inputs = _fingerprints(root, [*files, *([Path(config_file)] if config_file else [])])
    return audited


def _fingerprints(root: Path, paths: list[Path]) -> list[tuple[str, str]]:
    """Each file as (its path relative to the audited folder, the SHA-256 of its bytes)."""
    import hashlib

    base = root if root.is_dir() else root.parent
    out = []
    for path in paths:
        digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        except OSError:
            continue
        try:
            name = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            name = path.name
        out.append((name, digest.hexdigest()))
    return out


def _one_per_provider_and_period(
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


def _hints(pattern: Any, file: Path) -> dict[str, Any]:
    if pattern is None:
        return {}
    match = pattern.search(file.name)
    if not match:
        return {}
    hints = {k: v for k, v in match.groupdict().items() if v}
    if "provider" in hints:
        hints["provider"] = hints["provider"].upper()
    if "period" in hints:
        text = hints["period"].replace("_", " ").replace("-q", " Q").replace("-Q", " Q")
        try:
            hints["period"] = str(Period.parse(text))
        except ValueError:
            del hints["period"]
    return hints


def _definition_for(
    spec: Definition | str | Path | None, results: list[ReturnResult]
) -> Definition:
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


def _acknowledge(result: ReturnResult, settings: AuditConfig, today: date) -> None:
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
