"""Plain-English highlights of an audit, most important first. Computed here; reports only show them."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.cells import CountsShown, Key, class_keys, metric_keys
from lp_audit.auditing.config import Suppression
from lp_audit.auditing.evidence import strength
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
    from lp_audit.auditing.result import Highlight

    config = result.config
    policy = config.suppression if suppress else None
    if not suppress:
        plan = None

    def share(num: float, rate: float, *keys: Key) -> str:
        return _share(num, rate, policy, plan, keys)

    def counts_shown(*keys: Key) -> bool:
        return plan is None or plan.shown(*keys)

    name = config.provider_name
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

    comparisons = result.comparisons
    if comparisons is not None and not comparisons.empty:
        chosen = comparisons[comparisons["significant"] & comparisons["material"]]
        out.extend(_from_tests(chosen, definition, name, share, counts_shown, policy))

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
            # a fact, not an estimate: ranked by the share of open cases it concerns
            affected = (rec["vanished"] + rec["changed"]) / max(rec["open"], 1)
            out.append(
                Highlight(
                    strength(0.0, min(affected, 1.0)),
                    "continuity",
                    text,
                    rec["provider"],
                    rec["to_period"],
                )
            )

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


def _q(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def _from_tests(
    chosen: Any,
    definition: Definition,
    name: Any,
    share: Any,
    counts_shown: Any,
    policy: Suppression | None,
) -> list[Highlight]:
    """A highlight for each significant and material difference of the audit's tests."""
    from lp_audit.auditing.result import ALL, Highlight

    labels = definition.labels()
    metric_labels = {m.id: m.label for m in definition.metrics}
    out: list[Highlight] = []

    def of(x: float, n: float, keys: tuple[Key, ...], rate: float, unit: str = "rows") -> str:
        """``12% of rows (15 of 120)``, or less where small numbers are protected."""
        x, n = int(x), int(n)
        shown = str(share(x, rate, *keys))
        if shown == HIDDEN or shown.startswith("fewer"):
            return shown
        if counts_shown(*keys):
            return f"{_pct(rate)} of {unit} ({x:,} of {n:,})"
        return f"{_pct(rate)} of {unit}"

    # capture rates: one highlight per provider, quarter and rate, naming every field
    rates = chosen[(chosen["kind"] == "rate") & (chosen["difference"] > 0)]
    for (provider, period, measure), group in rates.groupby(
        ["provider", "period", "measure"], sort=False
    ):
        recs = group.sort_values(["q", "subject"]).to_dict("records")
        who, q = name(provider), max(r["q"] for r in recs)
        parts = []
        for r in recs:
            subject = r["subject"]

            mine_keys = class_keys(provider, period, subject, measure)
            all_keys = class_keys(ALL, period, subject, measure)
            mine = of(r["x"], r["n"], mine_keys, r["value"])
            rest = of(r["rest_x"], r["rest_n"], (*mine_keys, *all_keys), r["rest_value"])
            parts.append((labels.get(subject, subject), mine, rest))
        if len(parts) == 1:
            label, mine, rest = parts[0]
            doing = _MEASURE_WORDS[measure].format(label=label)
            text = (
                f"{who} {doing} far more often than the rest of the network ({_q(q)}; "
                f"{_HIDDEN_NOTE})."
                if HIDDEN in (mine, rest)
                else f"{who} {doing} for {mine}; the rest of the network, for {rest} ({_q(q)})."
            )
            field: str | None = recs[0]["subject"]
        else:
            doing = _MEASURE_WORDS[measure].format(label=f"{len(parts)} fields")
            detail = "; ".join(f"{label}, {mine} against {rest}" for label, mine, rest in parts)
            text = (
                f"{who} {doing} more often than the rest of the network "
                f"({_q(q)}{'' if q < 0.001 else ' or less'} for each): {detail}."
            )
            field = None
        importance = max(r["importance"] for r in recs)
        out.append(Highlight(importance, f"funnel-{measure}", text, provider, period, field, q))

    # trends: one highlight per provider, rate and direction over the same quarters
    trends = chosen[chosen["kind"] == "trend"]
    trends = trends.assign(
        rising=[
            v > b[0] / max(b[1], 1) for v, b in zip(trends["value"], trends["before"], strict=True)
        ]
    )
    for (provider, measure, start, period, rising), group in trends.groupby(
        ["provider", "measure", "since", "period", "rising"], sort=False
    ):
        recs = group.sort_values(["q", "subject"]).to_dict("records")
        who, q = name(provider), max(r["q"] for r in recs)
        what = {
            "non_standard": "non-standard",
            "unknown": "not known",
            "invalid": "invalid",
            "missing": "blank",
        }[measure]
        pieces = []
        for r in recs:
            subject = r["subject"]
            x1, n1, rx1, rn1 = r["before"]
            keys_then = class_keys(provider, start, subject, measure)
            keys_now = class_keys(provider, period, subject, measure)
            rest_then = (*keys_then, *class_keys(ALL, start, subject, measure))
            rest_now = (*keys_now, *class_keys(ALL, period, subject, measure))
            pieces.append(
                f"{labels.get(subject, subject)}, {of(x1, n1, keys_then, x1 / max(n1, 1))} → "
                f"{of(r['x'], r['n'], keys_now, r['value'])} against "
                f"{of(rx1, rn1, rest_then, rx1 / max(rn1, 1))} → "
                f"{of(r['rest_x'], r['rest_n'], rest_now, r['rest_value'])}"
            )
        fields = "1 field" if len(pieces) == 1 else f"{len(pieces)} fields"
        text = (
            f"{who}: the share of {what} values {'rose' if rising else 'fell'} from {start} to "
            f"{period} in {fields}, unlike the rest of the network "
            f"({_q(q)}{'' if q < 0.001 or len(pieces) == 1 else ' or less'}"
            f"{'' if len(pieces) == 1 else ' for each'}): {'; '.join(pieces)}."
        )
        field = recs[0]["subject"] if len(recs) == 1 else None
        importance = max(r["importance"] for r in recs)
        out.append(Highlight(importance, "trend", text, provider, None, field, q))

    for rec in chosen[~chosen["kind"].isin(["rate", "trend"])].to_dict("records"):
        kind, provider, period = rec["kind"], rec["provider"], rec["period"]
        subject, measure, q = rec["subject"], rec["measure"], rec["q"]
        who = name(provider)
        evidence = _q(q)
        if kind == "share":
            mine_keys = metric_keys(provider, period, subject)
            all_keys = metric_keys(ALL, period, subject)
            label = metric_labels.get(subject, subject)
            mine = of(rec["x"], rec["n"], mine_keys, rec["value"], "the rows it counts")
            rest = of(
                rec["rest_x"],
                rec["rest_n"],
                (*mine_keys, *all_keys),
                rec["rest_value"],
                "the rows it counts",
            )
            more = "higher" if rec["difference"] > 0 else "lower"
            text = f"{who}: {label.lower()} is {more}: {mine}; the rest of the network, {rest} ({evidence})."
            out.append(
                Highlight(rec["importance"], "funnel-metric", text, provider, period, None, q)
            )
        elif kind == "code":
            code = measure.removeprefix("code:")
            f = definition.field(subject)
            code_label = f.code_label(code) or code
            what = f"{f.label} {code}" + (f" ({code_label})" if code_label != code else "")

            mine_keys = (
                ("code", provider, period, subject, code),
                ("class", provider, period, subject, "present"),
            )
            all_keys = (
                ("code", ALL, period, subject, code),
                ("class", ALL, period, subject, "present"),
            )
            unit = "rows with a value"
            rest = of(
                rec["rest_x"], rec["rest_n"], (*mine_keys, *all_keys), rec["rest_value"], unit
            )
            if rec["x"] == 0:
                text = f"{who} never uses {what}; the rest of the network uses it for {rest} ({evidence})."
                out.append(
                    Highlight(rec["importance"], "never-used", text, provider, period, subject, q)
                )
            elif rec["difference"] > 0:
                mine = of(rec["x"], rec["n"], mine_keys, rec["value"], unit)
                text = f"{who} uses {what} for {mine}; the rest of the network, for {rest} ({evidence})."
                out.append(
                    Highlight(rec["importance"], "category-mix", text, provider, period, subject, q)
                )
        elif kind == "signal" and rec["difference"] > 0:
            from lp_audit.profiling import SIGNALS

            label = labels.get(subject, subject)
            # out of the valid and not-known values: shown only where those counts are
            counted: tuple[Key, ...] = tuple(
                ("class", provider, period, subject, c) for c in ("valid", "unknown")
            )
            network: tuple[Key, ...] = tuple(
                ("class", ALL, period, subject, c) for c in ("valid", "unknown")
            )
            mine = of(rec["x"], rec["n"], counted, rec["value"], f"its valid {label} values")
            rest = of(
                rec["rest_x"], rec["rest_n"], (*counted, *network), rec["rest_value"], "theirs"
            )
            text = (
                f"{who}: {SIGNALS[measure]} are {mine}; the rest of the network, {rest} "
                f"({evidence}). They pass every check, but may stand in for values not known."
            )
            out.append(Highlight(rec["importance"], measure, text, provider, period, subject, q))
        elif kind == "drift":
            label = metric_labels.get(subject, subject)
            centre = "median" if measure == "median_days" else "mean"
            text = (
                f"{who}: {label.lower()} is {rec['value']:.1f} ({centre} of {rec['n']:,}); for the "
                f"rest of the network it is {rec['rest_value']:.1f} ({centre} of {rec['rest_n']:,} "
                f"rows) ({evidence}). This may mean the definition is read differently."
            )
            out.append(Highlight(rec["importance"], "drift", text, provider, period, None, q))
    return out
