"""The sums a reader of a report can see, tying an audit's counts together.

The disclosure plan (:mod:`~lp_audit.reports.disclosure`) protects small counts against every
way of working them out from these: the classes of a field add up to its rows, the providers
add up to the network, the codes add up to the coded rows, the findings add up to the invalid
values, and the score is a weighted mean of valid shares.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lp_audit.auditing.cells import Key

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult
    from lp_audit.definitions import Definition

#: Finding codes whose count is the count of a capture class of the same field.
_CLASS_OF_FINDING = {
    "missing-required": "missing",
    "non-standard-code": "non_standard",
    "date-format": "non_standard",
}
#: reports show scores as whole numbers out of 100: a step of 0.01 of the weighted share
SCORE_STEP = 0.01
_ROW_CLASSES = ("valid", "unknown", "invalid", "missing", "not_applicable")
_SUMMED = (*_ROW_CLASSES, "non_standard", "present", "applicable")


@dataclass(frozen=True)
class Relation:
    """``sum(weight * member) == total``, a sum a reader of the report can see or work out."""

    total: Key
    members: tuple[Key, ...]
    weights: tuple[float, ...] | None = None
    #: for a total shown rounded (the score), the rounding step in the total's units. Such a sum
    #: pins its counts only to within ``step / weight``: it is left out of the exact system and
    #: its total is hidden when that is narrower than the suppressed band instead
    step: float | None = None


def audit_sums(
    result: AuditResult, definition: Definition
) -> tuple[dict[Key, float], list[Relation], set[Key]]:
    """Every count an audit's outputs show (``values``), the sums tying them, and which of them
    are counts of rows (a score is not: it is protected through its rounding)."""
    values: dict[Key, float] = {}
    relations: list[Relation] = []
    _profile_sums(result, values, relations)
    _code_sums(result, definition, values, relations)
    _metric_sums(result, definition, values, relations)
    _finding_sums(result, values, relations)
    counts = set(values)
    _score_sums(result, values, relations)
    return values, relations, counts


def _profile_sums(result: AuditResult, values: dict[Key, float], relations: list[Relation]) -> None:
    """Capture classes: they add up to a field's rows, and providers add up to the network."""
    from lp_audit.auditing.result import ALL

    providers_in: dict[str, set[str]] = defaultdict(set)
    fields_in: dict[str, set[str]] = defaultdict(set)
    for rec in result.profile.to_dict("records"):
        provider, period, fname = str(rec["provider"]), str(rec["period"]), str(rec["field"])
        providers_in[period].add(provider)
        fields_in[period].add(fname)
        counts = {c: int(rec[c]) for c in (*_ROW_CLASSES, "non_standard", "applicable")}
        counts["present"] = counts["applicable"] - counts["missing"]
        for cls, n in counts.items():
            values[("class", provider, period, fname, cls)] = n
        values[("rows", provider, period)] = int(rec["rows"])

        def k(cls: str, p: str = provider, per: str = period, f: str = fname) -> Key:
            return ("class", p, per, f, cls)

        relations += [
            Relation(k("present"), (k("valid"), k("unknown"), k("invalid"))),
            Relation(k("applicable"), (k("present"), k("missing"))),
            Relation(("rows", provider, period), (k("applicable"), k("not_applicable"))),
        ]
    for period, providers in providers_in.items():
        members = sorted(providers - {ALL})
        if ALL not in providers or not members:
            continue
        relations.append(
            Relation(("rows", ALL, period), tuple(("rows", p, period) for p in members))
        )
        for fname in sorted(fields_in[period]):
            for cls in _SUMMED:
                relations.append(
                    Relation(
                        ("class", ALL, period, fname, cls),
                        tuple(("class", p, period, fname, cls) for p in members),
                    )
                )


def _code_sums(
    result: AuditResult,
    definition: Definition,
    values: dict[Key, float],
    relations: list[Relation],
) -> None:
    """The category mix: codes add up to the coded rows, and to the valid and unknown classes."""
    from lp_audit.auditing.result import ALL

    single = {f.name for f in definition.fields if f.is_coded and f.type == "code"}
    unknown_codes = {f.name: set(f.unknown_codes) for f in definition.fields}
    categories = result.categories
    if categories.empty:
        return
    # plain lists: iterating Arrow-backed columns value by value made this a third of planning
    columns = ("period", "field", "provider", "code", "count", "total")
    groups: dict[tuple[str, str], dict[str, list[tuple[str, int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for period_value, field_value, provider_value, code, count, total_value in zip(
        *(categories[c].tolist() for c in columns), strict=True
    ):
        groups[(str(period_value), str(field_value))][str(provider_value)].append(
            (str(code), int(count), int(total_value))
        )
    for (period, fname), by_provider in groups.items():
        network: dict[str, list[Key]] = defaultdict(list)
        totals: list[Key] = []
        for provider in sorted(by_provider):
            code_keys: list[Key] = []
            for code, count, _ in by_provider[provider]:
                key = ("code", provider, period, fname, code)
                values[key] = count
                code_keys.append(key)
                network[code].append(key)
            total: Key = ("codes", provider, period, fname)
            values[total] = by_provider[provider][0][2]
            totals.append(total)
            relations.append(Relation(total, tuple(code_keys)))
            if fname in single:  # one code per row: the codes split the valid and unknown rows
                unknown = tuple(k for k in code_keys if k[-1] in unknown_codes[fname])
                valid = tuple(k for k in code_keys if k[-1] not in unknown_codes[fname])
                relations.append(Relation(("class", provider, period, fname, "unknown"), unknown))
                relations.append(Relation(("class", provider, period, fname, "valid"), valid))
        for code, keys in network.items():
            network_key: Key = ("code", ALL, period, fname, code)
            values[network_key] = sum(values[k] for k in keys)
            relations.append(Relation(network_key, tuple(keys)))
        grand: Key = ("codes", ALL, period, fname)
        values[grand] = sum(values[k] for k in totals)
        relations.append(Relation(grand, tuple(totals)))
        relations.append(Relation(grand, tuple(("code", ALL, period, fname, c) for c in network)))


def _metric_sums(
    result: AuditResult,
    definition: Definition,
    values: dict[Key, float],
    relations: list[Relation],
) -> None:
    """Share metrics: numerators and denominators add up to the network's, and each
    denominator is its numerator plus the rest (a share of 67% of 12 shows the 4 not in it)."""
    from lp_audit.auditing.result import ALL

    share_ids = {m.id for m in definition.metrics if m.kind == "share"}
    metrics = result.metrics
    if metrics.empty:
        return
    for (period_value, metric_value), group in metrics.groupby(["period", "metric"], sort=False):
        period, metric = str(period_value), str(metric_value)
        if metric not in share_ids:
            continue
        nums: list[Key] = []
        dens: list[Key] = []
        for provider, share, n in zip(group["provider"], group["value"], group["n"], strict=True):
            base = ("metric", str(provider), period, metric)
            values[(*base, "num")] = round((share if share == share else 0.0) * int(n))
            values[(*base, "den")] = int(n)
            values[(*base, "rest")] = int(n) - values[(*base, "num")]
            relations.append(Relation((*base, "den"), ((*base, "num"), (*base, "rest"))))
            nums.append((*base, "num"))
            dens.append((*base, "den"))
        network = ("metric", ALL, period, metric)
        values[(*network, "num")] = sum(values[k] for k in nums)
        values[(*network, "den")] = sum(values[k] for k in dens)
        values[(*network, "rest")] = values[(*network, "den")] - values[(*network, "num")]
        relations.append(Relation((*network, "num"), tuple(nums)))
        relations.append(Relation((*network, "den"), tuple(dens)))
        relations.append(Relation((*network, "rest"), tuple((*k[:4], "rest") for k in nums)))
        relations.append(Relation((*network, "den"), ((*network, "num"), (*network, "rest"))))


def _finding_sums(result: AuditResult, values: dict[Key, float], relations: list[Relation]) -> None:
    """Findings counted in each provider's section, tied to the capture class they explain."""
    from lp_audit.profiling import INVALID_CODES

    for r in result.returns:
        if not len(r.findings) or r.provider is None or r.period is None:
            continue
        provider, period = str(r.provider), str(r.period)
        counts = r.findings.groupby(["severity", "code", "field"], dropna=False).size()
        invalid_parts: dict[str, list[Key]] = defaultdict(list)
        for index, n in zip(counts.index, counts.to_numpy(), strict=True):
            severity, code, field_value = (x if isinstance(x, str) else "" for x in index)
            key = ("finding", provider, period, field_value, severity, code)
            values[key] = values.get(key, 0) + int(n)
            if not field_value:
                continue
            if code in INVALID_CODES and severity == "error":
                invalid_parts[field_value].append(key)
            elif code in _CLASS_OF_FINDING:
                class_key = ("class", provider, period, field_value, _CLASS_OF_FINDING[code])
                if values.get(class_key) == values[key]:
                    relations.append(Relation(class_key, (key,)))
        for field_value, parts in invalid_parts.items():
            class_key = ("class", provider, period, field_value, "invalid")
            if values.get(class_key) == sum(values[k] for k in parts):
                relations.append(Relation(class_key, tuple(parts)))


def _score_sums(result: AuditResult, values: dict[Key, float], relations: list[Relation]) -> None:
    """The score: a weighted mean of valid / applicable, shown in reports as a whole 0-100."""
    profile = result.profile
    if profile.empty or result.scores.empty:
        return
    weighted = profile[(profile["weight"] > 0) & (profile["applicable"] > 0)]
    for (provider, period), group in weighted.groupby(["provider", "period"], sort=False):
        total_weight = float(group["weight"].sum())
        members = tuple(
            ("class", str(provider), str(period), str(f), "valid") for f in group["field"]
        )
        weights = tuple(
            float(w) / float(a) / total_weight
            for w, a in zip(group["weight"], group["applicable"], strict=True)
        )
        key = ("score", str(provider), str(period))
        values[key] = sum(values[m] * w for m, w in zip(members, weights, strict=True))
        relations.append(Relation(key, members, weights, step=SCORE_STEP))
