"""Plain-English highlights of an audit, most important first. Computed here; reports only show them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.cells import CountsShown, Key, class_keys, code_keys, metric_keys
from lp_audit.auditing.config import Suppression
from lp_audit.definitions import Definition

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult, Highlight

_MEASURE_WORDS = {
    "missing": "leaves {label} blank",
    "unknown": "records {label} as not known",
    "invalid": "has invalid {label} values",
    "non_standard": "writes {label} in a non-standard form",
}


#: what a highlight says in place of a share the disclosure plan hides
HIDDEN = "a share not shown (small numbers)"
_HIDDEN_NOTE = "the shares are not shown, to protect small numbers"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.1f}%"


def _share(
    num: float,
    rate: float,
    suppression: Suppression | None,
    plan: CountsShown | None = None,
    keys: tuple[Key, ...] = (),
) -> str:
    """``23% of rows``, or ``fewer than 5 rows`` when the count is small enough to suppress.

    With a disclosure ``plan``, a share whose counts (``keys``) the plan hides is not given.
    """
    if suppression is not None and 1 <= num < suppression.min_count:
        return f"fewer than {suppression.min_count} rows"
    if plan is not None and not plan.shown(*keys):
        return HIDDEN
    return f"{_pct(rate)} of rows"


def _short(share: str) -> str:
    """A share for a list: ``23%``, ``fewer than 5 rows`` or ``not shown``."""
    return "not shown" if share == HIDDEN else share.removesuffix(" of rows")


def _count(n: int, suppression: Suppression | None) -> str:
    if suppression is not None and 1 <= n < suppression.min_count:
        return f"fewer than {suppression.min_count}"
    return str(n)


def highlights(
    result: AuditResult,
    definition: Definition,
    *,
    suppress: bool = True,
    plan: CountsShown | None = None,
) -> list[Highlight]:
    """Every difference worth raising, ordered by importance.

    With ``suppress`` (the default), counts below the config's small-number threshold are not
    stated. With a disclosure ``plan`` (as the report passes), neither is any share or score the
    plan hides so that a small count elsewhere cannot be worked out.
    """
    from lp_audit.auditing.result import ALL, Highlight

    config = result.config
    policy = config.suppression if suppress else None
    if not suppress:
        plan = None

    def share(num: float, rate: float, *keys: Key) -> str:
        return _share(num, rate, policy, plan, keys)

    def field_keys(r: Mapping[Any, Any], provider: str) -> tuple[Key, Key]:
        return class_keys(provider, str(r["period"]), str(r["subject"]), str(r["measure"]))

    def code_keys_of(r: Mapping[Any, Any], provider: str) -> tuple[Key, Key]:
        return code_keys(provider, str(r["period"]), str(r["field"]), str(r["code"]))

    def metric_keys_of(r: Mapping[Any, Any], provider: str) -> tuple[Key, Key]:
        return metric_keys(provider, str(r["period"]), str(r["subject"]))

    name = config.provider_name
    labels = definition.labels()
    metric_labels = {m.id: m.label for m in definition.metrics}
    min_rows = config.thresholds.min_rows
    strict = config.thresholds.limit == 99.8
    out: list[Highlight] = []

    for u in result.unreadable:
        if u.kind == "duplicate":
            out.append(Highlight(95, "duplicate-return", f"{u.path} is {u.message}"))
        else:
            out.append(Highlight(100, "unreadable", f"{u.path} could not be read: {u.message}."))
    for rec in result.coverage.to_dict("records"):
        if rec["expected"] and not rec["received"]:
            out.append(
                Highlight(
                    90,
                    "missing-return",
                    f"No return from {name(rec['provider'])} for {rec['period']}.",
                    rec["provider"],
                    rec["period"],
                )
            )
        elif not rec["expected"]:
            out.append(
                Highlight(
                    85,
                    "unexpected-return",
                    f"A return from {name(rec['provider'])} for {rec['period']} was not expected.",
                    rec["provider"],
                    rec["period"],
                )
            )

    funnels = result.funnels
    if not funnels.empty:
        flagged = funnels[funnels["flag"].str.startswith("above")]
        if strict:
            flagged = flagged[flagged["flag"].str.contains("99.8")]
        flagged = flagged[(flagged["denominator"] >= min_rows) & (flagged["provider"] != ALL)]
        # one highlight per provider, period and measure, naming every field it affects
        for (provider, period, kind, measure), group in flagged.groupby(
            ["provider", "period", "kind", "measure"], sort=False
        ):
            recs = group.sort_values("z", ascending=False).to_dict("records")
            limit = "99.8%" if all("99.8" in r["flag"] for r in recs) else "95%"
            importance = (
                50
                + min(max(abs(r["z"]) for r in recs), 40)
                + (10 if limit == "99.8%" else 0)
                + len(recs)
            )
            if kind == "metric":
                for r in recs:
                    what = metric_labels.get(r["subject"], r["subject"])
                    mine = share(r["numerator"], r["rate"], *metric_keys_of(r, r["provider"]))
                    theirs = share(r["pooled_numerator"], r["pooled"], *metric_keys_of(r, ALL))
                    text = (
                        f"{name(r['provider'])}: {what.lower()} is far higher than across the network (above the {limit} limit; {_HIDDEN_NOTE})."
                        if HIDDEN in (mine, theirs)
                        else f"{name(r['provider'])}: {what.lower()} is {mine}; across the network it is {theirs} (above the {limit} limit)."
                    )
                    out.append(
                        Highlight(
                            round(importance, 2), "funnel-metric", text, str(provider), str(period)
                        )
                    )
                continue
            verb = _MEASURE_WORDS[str(measure)]
            if len(recs) == 1:
                r = recs[0]
                mine = share(r["numerator"], r["rate"], *field_keys(r, r["provider"]))
                theirs = share(r["pooled_numerator"], r["pooled"], *field_keys(r, ALL))
                doing = verb.format(label=labels.get(r["subject"], r["subject"]))
                text = (
                    f"{name(str(provider))} {doing} far more often than the network (above the {limit} limit; {_HIDDEN_NOTE})."
                    if HIDDEN in (mine, theirs)
                    else f"{name(str(provider))} {doing} for {mine}; across the network it is {theirs} (above the {limit} limit)."
                )
                field: str | None = r["subject"]
            else:
                detail = ", ".join(
                    f"{labels.get(r['subject'], r['subject'])} {_short(share(r['numerator'], r['rate'], *field_keys(r, r['provider'])))} against {_short(share(r['pooled_numerator'], r['pooled'], *field_keys(r, ALL)))}"
                    for r in recs
                )
                text = f"{name(str(provider))} {verb.format(label=f'{len(recs)} fields')} far more often than the network (above the {limit} limit): {detail}."
                field = None
            out.append(
                Highlight(
                    round(importance, 2),
                    f"funnel-{measure}",
                    text,
                    str(provider),
                    str(period),
                    field,
                )
            )

    categories = result.categories
    if not categories.empty:
        threshold = 3.09 if strict else 1.96
        for rec in categories.to_dict("records"):
            if rec["total"] < min_rows or abs(rec["z"]) < threshold:
                continue
            # beyond chance is not enough for the agenda: the difference must also be large
            if abs(rec["share"] - rec["pooled"]) < 0.1 and rec["count"] > 0:
                continue
            f = definition.field(rec["field"])
            if rec["code"] in f.unknown_codes or (rec["z"] < 0 and rec["count"] > 0):
                continue  # unknown codes have their own funnel; using a code less is rarely news
            code_label = f.code_label(rec["code"]) or rec["code"]
            who = name(rec["provider"])
            if rec["count"] == 0:
                text = f"{who} never uses {f.label} {rec['code']} ({code_label}); across the network it is {share(rec['pooled_count'], rec['pooled'], *code_keys_of(rec, ALL))}."
                kind = "never-used"
            else:
                more = "more" if rec["z"] > 0 else "less"
                text = f"{who} uses {f.label} {rec['code']} ({code_label}) for {share(rec['count'], rec['share'], *code_keys_of(rec, rec['provider']))}, {more} than the {share(rec['pooled_count'], rec['pooled'], *code_keys_of(rec, ALL))} across the network."
                kind = "category-mix"
            out.append(
                Highlight(
                    round(45 + min(abs(rec["z"]), 40), 2),
                    kind,
                    text,
                    rec["provider"],
                    rec["period"],
                    rec["field"],
                )
            )

    ratio = config.thresholds.ratio
    metrics = result.metrics
    providers_per = (
        metrics.groupby(["period", "metric"])["provider"].transform("nunique")
        if not metrics.empty
        else None
    )
    for i, rec in enumerate(metrics.to_dict("records")):
        if rec["kind"] == "share" or rec["n"] < min_rows:
            continue
        if providers_per is not None and providers_per.iloc[i] < 3:
            continue  # with two providers there is no typical value to compare with
        value, network = rec["value"], rec["network"]
        if (
            not (isinstance(value, float) and isinstance(network, float))
            or math.isnan(value)
            or math.isnan(network)
            or network <= 0
        ):
            continue
        if value >= network * ratio or value <= network / ratio:
            label = metric_labels.get(rec["metric"], rec["metric"])
            text = f"{name(rec['provider'])}: {label.lower()} is {value:.1f}; across the network it is {network:.1f} (providers range from {rec['low']:.1f} to {rec['high']:.1f}). This may mean the definition is read differently."
            importance = 40 + min(10 * abs(math.log(value / network)), 40) if value > 0 else 80
            out.append(
                Highlight(round(importance, 2), "drift", text, rec["provider"], rec["period"])
            )

    scores = result.scores
    if not scores.empty:
        for rec in scores[scores["change"].notna()].to_dict("records"):
            if rec["provider"] == ALL or abs(rec["change"]) < 5:
                continue
            direction = "rose" if rec["change"] > 0 else "fell"
            text = f"{name(rec['provider'])}'s data quality score {direction} from {rec['previous']:.0f} to {rec['score']:.0f} in {rec['period']}."
            previous = _previous_period(scores, rec["provider"], rec["period"])
            if plan is not None and not plan.shown(
                ("score", rec["provider"], rec["period"]), ("score", rec["provider"], previous)
            ):
                text = f"{name(rec['provider'])}'s data quality score {direction} by 5 points or more in {rec['period']} (scores not shown: small numbers)."
            out.append(
                Highlight(
                    round(30 + min(abs(rec["change"]), 40), 2),
                    "trend",
                    text,
                    rec["provider"],
                    rec["period"],
                )
            )

    for rec in result.continuity.to_dict("records"):
        if rec["vanished"] or rec["changed"]:
            parts = []
            if rec["vanished"]:
                parts.append(
                    f"{_count(rec['vanished'], policy)} of {_count(rec['open'], policy)} cases open at the end of {rec['from_period']} are missing from the {rec['to_period']} return"
                )
            if rec["changed"]:
                parts.append(
                    f"{_count(rec['changed'], policy)} carried-over cases changed their referral details"
                )
            text = f"{name(rec['provider'])}: " + "; ".join(parts) + f" (e.g. {rec['examples']})."
            out.append(
                Highlight(
                    35 + min(rec["vanished"] + rec["changed"], 30),
                    "continuity",
                    text,
                    rec["provider"],
                    rec["to_period"],
                )
            )

    out.extend(_field_trends(result, definition, policy, plan))
    out = [
        h
        if h.period is None or h.kind in ("missing-return", "unexpected-return", "continuity")
        else replace(h, text=f"{h.period}: {h.text}")
        for h in out
    ]
    out = [_acknowledged(h, result) for h in out]
    out.sort(key=lambda h: (-h.importance, h.kind, h.provider or "", h.text))
    return out


#: the capture rate a finding code counts towards, for matching acknowledgements to highlights
_MEASURE_OF_CODE = {
    "date-format": "non_standard",
    "non-standard-code": "non_standard",
    "missing-required": "missing",
}


def _acknowledged(h: Highlight, result: AuditResult) -> Highlight:
    """A highlight that an active acknowledgement in the config explains goes to the end of
    the list, saying so: a known issue with a plan is not the first thing to discuss."""
    from lp_audit.profiling import INVALID_CODES

    if not h.kind.startswith("funnel-") or h.kind == "funnel-metric" or result.today is None:
        return h
    measure = h.kind.removeprefix("funnel-")
    for ack in result.config.acknowledgements:
        code_measure = (
            "invalid" if ack.code in INVALID_CODES else _MEASURE_OF_CODE.get(ack.code or "")
        )
        if (
            ack.active(result.today)
            and ack.provider in (None, h.provider)
            and ack.field in (None, h.field)
            and ack.rule is None
            and (ack.code is None or code_measure == measure)
        ):
            return replace(
                h,
                importance=round(h.importance / 100, 4),
                text=f"{h.text.removesuffix('.')} (acknowledged: {ack.reason.removesuffix('.')}).",
            )
    return h


def _previous_period(scores: Any, provider: str, period: str) -> str:
    from lp_audit.periods import sort_key

    earlier = sorted(
        (str(p) for p in scores.loc[scores["provider"] == provider, "period"]),
        key=sort_key,
    )
    index = earlier.index(period)
    return earlier[index - 1] if index else ""


def _field_trends(
    result: AuditResult,
    definition: Definition,
    policy: Suppression | None,
    plan: CountsShown | None,
) -> list[Highlight]:
    """A provider's share of unknown, invalid, missing or non-standard values moving a lot."""
    from lp_audit.auditing.result import ALL, Highlight
    from lp_audit.periods import sort_key

    profile = result.profile
    if profile.empty:
        return []
    labels = definition.labels()
    name = result.config.provider_name
    out = []
    rows = profile[profile["provider"] != ALL]
    # sorted once, then each provider's field read as plain lists: 87 groups of pandas
    # operations took most of the report's highlight time
    rows = rows.assign(_order=rows["period"].map(sort_key)).sort_values(
        ["provider", "field", "_order"], kind="stable"
    )
    columns = ["period", "rows", "applicable", "missing", "non_standard", "unknown", "invalid"]
    for (provider, field_name), frame in rows.groupby(["provider", "field"], sort=True):
        group = frame[columns].to_dict("list")
        periods = group["period"]
        if len(periods) < 2 or min(group["rows"]) < result.config.thresholds.min_rows:
            continue
        present = [
            max(a - m, 1) for a, m in zip(group["applicable"], group["missing"], strict=True)
        ]
        for measure in ("non_standard", "unknown", "invalid", "missing"):
            den = [max(a, 1) for a in group["applicable"]] if measure == "missing" else present
            counts = group[measure]
            share = [n / d for n, d in zip(counts, den, strict=True)]
            first, last = share[0], share[-1]
            if abs(last - first) < 0.2:
                continue
            direction = "fell" if last < first else "rose"
            steps = " → ".join(
                _short(
                    _share(
                        n,
                        x,
                        policy,
                        plan,
                        class_keys(str(provider), str(period), str(field_name), measure),
                    )
                )
                for n, x, period in zip(counts, share, periods, strict=True)
            )
            span = f"{periods[0]} to {periods[-1]}"
            what = {
                "non_standard": "non-standard",
                "unknown": "not known",
                "invalid": "invalid",
                "missing": "blank",
            }[measure]
            label = labels.get(str(field_name), str(field_name))
            text = f"{name(str(provider))}: the share of {label} values that are {what} {direction} from {span} ({steps})."
            importance = 30 + min(100 * abs(last - first) / 4, 25)
            out.append(
                Highlight(round(importance, 2), "trend", text, str(provider), None, str(field_name))
            )
    return out
