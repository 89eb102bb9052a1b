"""Auditing many returns: validate each, profile capture, compare providers and quarters.

``audit(path)`` finds every return under ``path``, validates each with the same engine as
``validate_return``, and builds an :class:`AuditResult`: the findings, capture profiles and
scores per provider and period, coverage, funnel limits, category mix, drift metrics, trends,
continuity between quarters, and plain-English highlights ordered by importance. Reports and
notebooks read the result; nothing here formats output.

Scores: a field's score is valid / applicable rows (see :mod:`lp_audit.profiling`);
a return's score is the weighted mean of its field scores, times 100. By default required and
conditional fields weigh 1 and optional fields 0; ``weights`` in the config overrides this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.config import AuditConfig, find_config, load_config
from lp_audit.definitions import Definition, load_definition
from lp_audit.errors import ReturnReadError
from lp_audit.periods import Period

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.validation import ReturnResult

ALL = "All providers"
RETURN_SUFFIXES = (".csv", ".xlsx")
RATES = ("missing", "unknown", "invalid", "non_standard")


@dataclass(frozen=True)
class Unreadable:
    """A return that could not be read at all."""

    path: str
    message: str


@dataclass(frozen=True)
class Highlight:
    """A difference worth discussing, in words, with what it is about."""

    importance: float
    kind: str
    text: str
    provider: str | None = None
    period: str | None = None
    field: str | None = None


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
    config: AuditConfig = field(default_factory=AuditConfig)
    methods: dict[str, Any] = field(default_factory=dict)

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
        return {
            "lp_audit": 1,
            "kind": "audit",
            "definition": self.definition,
            "methods": self.methods,
            "returns": [
                {
                    **{k: v for k, v in r.to_dict().items() if k != "findings"},
                    "findings": [
                        {**f, "acknowledged": ack}
                        for f, ack in zip(
                            r.to_dict()["findings"], _acknowledged_column(r), strict=True
                        )
                    ],
                }
                for r in self.returns
            ],
            "unreadable": [asdict(u) for u in self.unreadable],
            "coverage": _records(self.coverage),
            "scores": _records(self.scores),
            "profile": _records(self.profile),
            "funnels": _records(self.funnels),
            "categories": _records(self.categories),
            "metrics": _records(self.metrics),
            "continuity": _records(self.continuity),
            "highlights": [asdict(h) for h in self.highlights],
        }


def _acknowledged_column(result: ReturnResult) -> list[str | None]:
    column = result.findings.get("acknowledged")
    if column is None:
        return [None] * len(result.findings)
    return [None if v is None or v != v else str(v) for v in column.tolist()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    import math

    out = []
    for record in frame.to_dict("records"):
        clean = {}
        for key, value in record.items():
            if hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float) and math.isnan(value):
                value = None
            clean[str(key)] = value
        out.append(clean)
    return out


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
) -> AuditResult:
    """Audit every return under ``path``.

    Args:
        path: a folder of returns (searched at any depth) or one file.
        definition: the definition to use; default: the config's, else the version in force
            for each return's period.
        config: an :class:`AuditConfig` or a path to ``lp-audit.yaml``; default: the
            ``lp-audit.yaml`` in ``path``, if any.
        today: the date for "not in the future" rules and acknowledgement expiry.
        progress: called with each file before it is validated.

    Raises:
        ReturnReadError: if ``path`` does not exist.
        DefinitionError, DefinitionNotFoundError, ConfigError: if those cannot be loaded.
    """
    import re

    from lp_audit.validation import validate_return

    root = Path(path)
    if not root.exists():
        raise ReturnReadError(str(root), "no such file or folder")
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
    results: list[ReturnResult] = []
    unreadable: list[Unreadable] = []
    for file in find_returns(root):
        if progress is not None:
            progress(file)
        hints = _hints(pattern, file)
        try:
            result = validate_return(
                file,
                spec,
                provider=hints.get("provider"),
                period=hints.get("period"),
                today=today,
                capture=True,
            )
        except ReturnReadError as exc:
            unreadable.append(Unreadable(str(file), exc.message))
            continue
        results.append(result)
    chosen = _definition_for(spec, results)
    for result in results:
        _acknowledge(result, settings, today)
    return build_result(chosen, results, unreadable, settings)


def _hints(pattern: Any, file: Path) -> dict[str, str]:
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
) -> AuditResult:
    """Assemble profiles, comparisons and highlights from validated returns."""
    profile = _profile(definition, results, settings)
    scores = _scores(profile)
    coverage = _coverage(results, settings)
    funnels = _funnels(profile, results, definition, settings)
    categories = _categories(definition, results)
    metrics = _metrics(definition, results)
    continuity = _continuity(definition, results)
    methods = {
        "control_limits": "Spiegelhalter (2005) funnel limits at 95% and 99.8%, normal approximation",
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
        config=settings,
        methods=methods,
    )
    from lp_audit.highlights import highlights

    result.highlights = highlights(result, definition)
    return result


def _key(result: ReturnResult) -> tuple[str, str]:
    return (result.provider or "?", result.period or "?")


def _stacked(results: list[ReturnResult], table: str) -> list[pd.DataFrame]:
    """One capture table (``fields``, ``categories`` or ``metrics``) of every non-empty return,
    labelled with its provider and period."""
    frames = []
    for r in results:
        if r.capture is None or r.rows == 0:
            continue
        provider, period = _key(r)
        frames.append(getattr(r.capture, table).assign(provider=provider, period=period))
    return frames


def _profile(
    definition: Definition, results: list[ReturnResult], settings: AuditConfig
) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    frames = _stacked(results, "fields")
    columns = [
        "provider",
        "period",
        "field",
        "rows",
        "valid",
        "unknown",
        "invalid",
        "missing",
        "not_applicable",
        "non_standard",
    ]
    if not frames:
        return pd.DataFrame(
            columns=[*columns, "applicable", "completeness", "validity", "score", "weight"]
        )
    table = pd.concat(frames, ignore_index=True)[columns]
    table = table.groupby(["provider", "period", "field"], as_index=False, sort=False).sum(
        numeric_only=True
    )
    pooled = (
        table.groupby(["period", "field"], as_index=False, sort=False)
        .sum(numeric_only=True)
        .assign(provider=ALL)
    )
    table = pd.concat([table, pooled[columns]], ignore_index=True)
    applicable = table["rows"] - table["not_applicable"]
    present = applicable - table["missing"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["applicable"] = applicable
        table["completeness"] = np.where(applicable > 0, present / applicable, np.nan)
        table["validity"] = np.where(
            present > 0, (table["valid"] + table["unknown"]) / present, np.nan
        )
        table["score"] = np.where(applicable > 0, table["valid"] / applicable, np.nan)
    default = {f.name: (1.0 if f.status != "optional" else 0.0) for f in definition.fields}
    default.update(settings.weights)
    table["weight"] = table["field"].map(default).fillna(0.0)
    return table


def _scores(profile: pd.DataFrame) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if profile.empty:
        return pd.DataFrame(columns=["provider", "period", "rows", "score", "previous", "change"])
    usable = profile[(profile["weight"] > 0) & profile["score"].notna()]
    weighted = usable.assign(w_score=usable["score"] * usable["weight"])
    grouped = weighted.groupby(["provider", "period"], as_index=False).agg(
        w_score=("w_score", "sum"), weight=("weight", "sum"), rows=("rows", "max")
    )
    grouped["score"] = np.where(
        grouped["weight"] > 0, 100 * grouped["w_score"] / grouped["weight"], np.nan
    )
    grouped = grouped[["provider", "period", "rows", "score"]]
    grouped["_order"] = grouped["period"].map(_period_order)
    grouped = grouped.sort_values(["provider", "_order"]).drop(columns="_order")
    grouped["previous"] = grouped.groupby("provider")["score"].shift(1)
    previous_period = grouped.groupby("provider")["period"].shift(1)
    consecutive = [
        _consecutive(a, b) if isinstance(a, str) else False
        for a, b in zip(previous_period, grouped["period"], strict=True)
    ]
    grouped["previous"] = grouped["previous"].where(pd.Series(consecutive, index=grouped.index))
    grouped["change"] = grouped["score"] - grouped["previous"]
    return grouped.reset_index(drop=True)


def _period_order(text: str) -> tuple[int, int]:
    try:
        p = Period.parse(text)
    except ValueError:
        return (9999, 9)
    return (p.year, p.quarter)


def _consecutive(a: str, b: str) -> bool:
    try:
        return Period.parse(a).next() == Period.parse(b)
    except ValueError:
        return False


def _coverage(results: list[ReturnResult], settings: AuditConfig) -> pd.DataFrame:
    import pandas as pd

    received: dict[tuple[str, str], int] = {}
    for r in results:
        received[_key(r)] = received.get(_key(r), 0) + 1
    periods = sorted(
        {p for _, p in received} | {str(p) for p in settings.expected}, key=_period_order
    )
    providers = sorted({p for p, _ in received})
    rows = []
    for period in periods:
        expected = None
        for p, codes in settings.expected.items():
            if str(p) == period:
                expected = set(codes)
        names = expected if expected is not None else set(providers)
        for provider in sorted(names | {p for p, q in received if q == period}):
            rows.append(
                {
                    "provider": provider,
                    "period": period,
                    "expected": provider in names,
                    "received": received.get((provider, period), 0),
                }
            )
    return pd.DataFrame(rows, columns=["provider", "period", "expected", "received"])


def _funnels(
    profile: pd.DataFrame,
    results: list[ReturnResult],
    definition: Definition,
    settings: AuditConfig,
) -> pd.DataFrame:
    import pandas as pd

    from lp_audit.variance import funnel_groups

    providers = profile[profile["provider"] != ALL]
    present = providers["applicable"] - providers["missing"]
    frames = [
        pd.DataFrame(
            {
                "period": providers["period"],
                "subject": providers["field"],
                "kind": "field",
                "measure": rate,
                "provider": providers["provider"],
                "numerator": providers[rate],
                "denominator": providers["applicable"] if rate == "missing" else present,
            }
        )
        for rate in RATES
    ]
    metric_rows = _metric_rows(results)
    shares = {m.id for m in definition.metrics if m.kind == "share"}
    if not metric_rows.empty:
        chosen = metric_rows[metric_rows["metric"].isin(shares)]
        frames.append(
            pd.DataFrame(
                {
                    "period": chosen["period"],
                    "subject": chosen["metric"],
                    "kind": "metric",
                    "measure": "share",
                    "provider": chosen["provider"],
                    "numerator": chosen["numerator"],
                    "denominator": chosen["denominator"],
                }
            )
        )
    frames = [
        funnel_groups(
            pd.concat(frames, ignore_index=True),
            ["period", "subject", "kind", "measure"],
            adjust=settings.overdispersion,
        )
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            columns=[
                "period",
                "subject",
                "kind",
                "measure",
                "provider",
                "numerator",
                "denominator",
                "rate",
                "pooled",
                "z",
                "lo95",
                "hi95",
                "lo998",
                "hi998",
                "phi",
                "pooled_numerator",
                "flag",
            ]
        )
    table = pd.concat(frames, ignore_index=True)
    groups = table.groupby(["period", "subject", "kind", "measure"], sort=False)
    table["pooled_numerator"] = groups["numerator"].transform("sum")
    table["flag"] = _flag(table)
    return table


def _flag(table: pd.DataFrame) -> pd.Series:
    import numpy as np
    import pandas as pd

    rate = table["rate"]
    flag = np.select(
        [rate > table["hi998"], rate < table["lo998"], rate > table["hi95"], rate < table["lo95"]],
        ["above 99.8%", "below 99.8%", "above 95%", "below 95%"],
        default="",
    )
    return pd.Series(flag, index=table.index)


def _metric_rows(results: list[ReturnResult]) -> pd.DataFrame:
    import pandas as pd

    frames = _stacked(results, "metrics")
    if not frames:
        return pd.DataFrame(
            columns=["metric", "numerator", "denominator", "value", "provider", "period"]
        )
    return pd.concat(frames, ignore_index=True)


def _metrics(definition: Definition, results: list[ReturnResult]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    rows = _metric_rows(results)
    out = []
    kinds = {m.id: m.kind for m in definition.metrics}
    for (period, metric_id), group in rows.groupby(["period", "metric"], sort=False):
        kind = kinds.get(str(metric_id), "share")
        if kind != "share":
            # means and medians: the typical provider, so one very different provider does not
            # drag the network value with it
            network = (
                float(np.nanmedian(group["value"])) if group["value"].notna().any() else np.nan
            )
        else:
            den = group["denominator"].sum()
            network = float(group["numerator"].sum() / den) if den else np.nan
        for rec in group.to_dict("records"):
            out.append(
                {
                    "period": period,
                    "metric": metric_id,
                    "kind": kind,
                    "provider": rec["provider"],
                    "value": rec["value"],
                    "n": int(rec["denominator"]),
                    "network": network,
                    "low": float(group["value"].min()),
                    "high": float(group["value"].max()),
                }
            )
    return pd.DataFrame(
        out,
        columns=["period", "metric", "kind", "provider", "value", "n", "network", "low", "high"],
    )


def _categories(definition: Definition, results: list[ReturnResult]) -> pd.DataFrame:
    import pandas as pd

    from lp_audit.variance import category_mix

    frames = _stacked(results, "categories")
    columns = [
        "period",
        "field",
        "provider",
        "code",
        "count",
        "total",
        "share",
        "pooled",
        "pooled_count",
        "expected",
        "z",
        "method",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    counts = pd.concat(frames, ignore_index=True)
    # identity fields and fields marked compare: false differ between providers by design
    skip = {f.name for f in definition.fields if f.sensitive or not f.compare}
    skip |= {n for n in (definition.period_field, definition.provider_field) if n}
    out = []
    for key, group in counts.groupby(["period", "field"], sort=False):
        period, name = (str(k) for k in key)
        if name in skip or group["provider"].nunique() < 2:
            continue
        mix = category_mix(group[["provider", "code", "count"]])
        out.append(mix.assign(period=str(period), field=str(name)))
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


def _continuity(definition: Definition, results: list[ReturnResult]) -> pd.DataFrame:
    import pandas as pd

    c = definition.continuity
    columns = [
        "provider",
        "from_period",
        "to_period",
        "open",
        "carried",
        "vanished",
        "changed",
        "examples",
    ]
    if c is None:
        return pd.DataFrame(columns=columns)
    by_key = {
        _key(r): r.capture.cases
        for r in results
        if r.capture is not None and r.capture.cases is not None
    }
    rows = []
    for (provider, period), cases in sorted(by_key.items()):
        try:
            following = str(Period.parse(period).next())
        except ValueError:
            continue
        later = by_key.get((provider, following))
        if later is None:
            continue
        open_cases = cases[cases["open"]]
        merged = open_cases.merge(
            later, on=c.id_field, how="left", suffixes=("", "_next"), indicator=True
        )
        vanished = merged[merged["_merge"] == "left_only"]
        found = merged[merged["_merge"] == "both"]
        changed_mask = pd.Series(False, index=found.index)
        for name in c.same:
            before, after = found[name], found[f"{name}_next"]
            changed_mask |= (before != after).fillna(False) & before.notna() & after.notna()
        changed = found[changed_mask]
        examples = [str(x) for x in list(vanished[c.id_field])[:3] + list(changed[c.id_field])[:3]]
        rows.append(
            {
                "provider": provider,
                "from_period": period,
                "to_period": following,
                "open": len(open_cases),
                "carried": len(found),
                "vanished": len(vanished),
                "changed": int(changed_mask.sum()),
                "examples": ", ".join(examples),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def failing(result: AuditResult, fail_on: str) -> bool:
    """Whether findings not explained by an active acknowledgement reach ``fail_on``."""
    if fail_on == "never":
        return False
    levels = {"error"} if fail_on == "error" else {"error", "warning"}
    for r in result.returns:
        findings = r.findings
        active = findings.get("acknowledged")
        open_findings = (
            findings
            if active is None
            else findings[active.isna() | active.astype(str).str.startswith("expired")]
        )
        if open_findings["severity"].isin(levels).any():
            return True
    return False
