"""Validating a return's text values once read: parse, check, profile, and report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from lp_audit.definitions import Definition
from lp_audit.periods import Period

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.checks import CheckSpec
    from lp_audit.checks.parsing import Parsed
    from lp_audit.profiling import Capture
    from lp_audit.reading import RawReturn

from lp_audit.checks.failures import (
    check_findings,
    failure_marks,
    omitted_counts,
    order_findings,
)
from lp_audit.checks.listing import Listing, Origin
from lp_audit.checks.runner import (
    run_checks,
)
from lp_audit.findings import FINDING_COLUMNS, Finding
from lp_audit.validation.identity import (
    identity_findings,
    mode,
    nil_return,
    parsed_period,
)
from lp_audit.validation.result import ReturnResult
from lp_audit.validation.tolerances import tolerated as tolerances_reached


def validate_raw(
    raw: RawReturn,
    definition: Definition,
    *,
    provider: str | None,
    period: Period | None,
    today: date | None,
    capture: bool = False,
    whole: bool = True,
    kept: list[dict[str, Any]] | None = None,
    engine: Literal["auto", "pandera", "direct"] = "auto",
    previous: tuple[str, pd.DataFrame] | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
) -> ReturnResult:
    """Validate a return's text values; with ``whole=False``, a chunk of one.

    A chunk's result leaves out what only the whole return can tell (a nil return, the return
    rules); instead, what those need is appended to ``kept``. ``previous`` is the previous
    return's file and rows (:func:`~lp_audit.validation.previous.previous_rows`), for the rules
    that compare with it.
    """
    from lp_audit.checks import Context, build_schema
    from lp_audit.checks.parsing import parse_return

    # a chunk's columns are parsed and checked one after another: in threads, the chunks of a
    # million rows took 0.9 CPU s more, and longer on the clock too (2 cores), than in turn
    threads = None if whole else False
    parsed = parse_return(raw.data, definition, threads=threads)
    typed = parsed.typed
    said = identify(raw, typed, definition, provider, period, whole=whole, previous=previous)
    context = Context(
        said.period,
        said.provider,
        today,
        previous[1] if previous is not None else None,
        tables,
    )
    schema = build_schema(definition, context)
    runnable = [r for r in schema.rules if all(c in typed.columns for c in r.columns)]
    if not whole:
        assert kept is not None
        kept.append(
            keep_for_whole(raw, typed, definition, [r for r in runnable if r.kind == "return"])
        )
        runnable = [r for r in runnable if r.kind != "return"]
    cases = run_checks(
        schema,
        typed,
        runnable,
        parsed.distinct,
        # a chunk is part of a large return, and is checked as one
        engine=engine if whole else "direct",
        threads=threads,
    )
    profile = None
    if capture:
        from lp_audit.profiling import capture as profile_capture

        marks = failure_marks(cases, schema.specs, parsed.problems, parsed.blank)
        profile = profile_capture(definition, parsed, marks, context)
    return finish(raw, definition, parsed, cases, schema.specs, said, profile, whole)


@dataclass(frozen=True)
class Said:
    """What a return says of itself, and what is wrong with that: its findings before any
    check (reading, a nil return, rows not carried over, the wrong period or provider), and
    the period and provider it is checked for."""

    findings: tuple[Finding, ...]
    #: the period asked for, else the one most rows give (None if they name none)
    period: Period | None
    #: the period as most rows write it, when it names no period
    period_text: str | None
    #: the provider asked for, else the one most rows give
    provider: str | None


def identify(
    raw: RawReturn,
    typed: pd.DataFrame,
    definition: Definition,
    provider: str | None,
    period: Period | None,
    *,
    whole: bool = True,
    previous: tuple[str, pd.DataFrame] | None = None,
) -> Said:
    """A return's findings before its checks, and the period and provider it is for."""
    findings = list(raw.findings)
    has_header = bool(raw.headers)
    if whole and has_header and raw.rows == 0:
        findings.append(nil_return(definition.period_every))
    period_text = str(period) if period else None
    if period is None and definition.period_field in typed.columns:
        period_text = mode(typed[definition.period_field])
    effective_period = period or parsed_period(period_text, definition)
    provider_text = provider
    if provider_text is None and definition.provider_field in typed.columns:
        provider_text = mode(typed[definition.provider_field])
    if previous is not None and whole:
        from lp_audit.validation.previous import not_carried

        findings += not_carried(typed, previous[1], definition, previous[0])
    if whole and (period is not None or provider is not None):
        rows_say = (
            mode(typed[definition.period_field])
            if definition.period_field in typed.columns
            else None,
            mode(typed[definition.provider_field])
            if definition.provider_field in typed.columns
            else None,
        )
        findings += identity_findings(definition, (period, provider), rows_say)
    return Said(tuple(findings), effective_period, period_text, provider_text)


def finish(
    raw: RawReturn,
    definition: Definition,
    parsed: Parsed,
    cases: pd.DataFrame,
    specs: dict[str, CheckSpec],
    said: Said,
    profile: Capture | None = None,
    whole: bool = True,
) -> ReturnResult:
    """A return's result from its failing checks (``cases``) and parse problems: its
    findings in the order of the file, with its capture ``profile`` if it was made."""
    (result,) = finish_each(
        [raw], definition, parsed, cases, specs, [said], [profile], Origin.of([raw]), whole
    )
    return result


def finish_each(
    raws: list[RawReturn],
    definition: Definition,
    parsed: Parsed,
    cases: pd.DataFrame,
    specs: dict[str, CheckSpec],
    said: list[Said],
    profiles: list[Capture | None],
    origin: Origin,
    whole: bool = True,
) -> list[ReturnResult]:
    """The results of returns parsed and checked as one frame (``raws`` one after another,
    from ``origin``): one table of findings for them all, ordered by return and then as
    each file is, and split."""
    import numpy as np

    listing = Listing(origin)
    for i, one in enumerate(said):
        listing.add_findings(one.findings, i)
    if len(cases):
        check_findings(cases, specs, listing, parsed.blank)
    for problem in parsed.problems:
        listing.add_rows(
            np.flatnonzero(problem.mask.to_numpy(dtype=bool)),
            problem.code,
            problem.severity,
            problem.message,
            problem.field,
            None,
            not definition.field(problem.field).sensitive,
            key=f"parse:{problem.field}:{problem.code}",
        )
    # a chunk keeps what relisting the findings of every chunk as one run needs
    findings = order_findings(listing.frame(), raws[0].fields, keep_counts=True)
    ends = np.searchsorted(findings["_return"].to_numpy(), np.arange(len(raws) + 1))
    results = []
    for i, raw in enumerate(raws):
        own = findings.iloc[ends[i] : ends[i + 1]]
        omitted = omitted_counts(own) if own["_omitted"].any() else {}
        tolerated = tolerances_reached(own, definition, raw.rows)
        kept = FINDING_COLUMNS if whole else [c for c in own.columns if c != "_return"]
        own = own[list(kept)].reset_index(drop=True)
        period = said[i].period
        results.append(
            ReturnResult(
                path=raw.path,
                definition=definition.ref,
                provider=said[i].provider,
                period=str(period) if period else said[i].period_text,
                rows=raw.rows,
                findings=own,
                encoding=raw.encoding or None,
                capture=profiles[i],
                omitted=omitted,
                definition_model=definition,
                tolerated=tolerated,
            )
        )
    return results


def keep_for_whole(
    raw: RawReturn, typed: pd.DataFrame, definition: Definition, rules: list[Any]
) -> dict[str, Any]:
    """What the whole return's checks need from a chunk, in about 40 bytes a row.

    The unique and duplicate rules only compare values, so each value is kept as a 64-bit
    hash (blank stays blank); a rule over a group's rows keeps the values it orders by and
    compares as they are (its key as a hash); the text is kept only for the fields whose
    values findings show. Two different
    values share a hash with probability about n² / 2⁶⁵: for a million rows, 3 in 100 million.
    """
    import pandas as pd

    columns = list(dict.fromkeys(c for r in rules for c in r.columns))
    as_values = {c for r in rules for c in r.values}
    hashed = {}
    for c in columns:
        values = typed[c].reset_index(drop=True)
        if c in as_values:  # a group's order, and what its rules compare, kept as they are
            hashed[c] = values.astype("string[pyarrow]") if values.dtype == "category" else values
            continue
        # each text hashed as it is: factorizing first (the default) costs more than it saves
        # on keys, whose values are mostly distinct (100,000 IDs: 14 ms against 33); the
        # hashes are the same but for blanks, which are blank below either way
        codes = pd.util.hash_pandas_object(values, index=False, categorize=False).to_numpy()
        hashed[c] = pd.array(codes, dtype="UInt64")
        hashed[c][values.isna().to_numpy()] = pd.NA
    shown = [
        c
        for c in dict.fromkeys(r.columns[0] for r in rules)
        if c in raw.data.columns and not definition.field(c).sensitive
    ]
    tallies = {}
    for name, field_name in (
        ("period", definition.period_field),
        ("provider", definition.provider_field),
    ):
        if field_name in typed.columns:
            tallies[name] = typed[field_name].value_counts(sort=False, dropna=True)
    if definition.period_field in raw.data.columns:  # as period_in reads it
        text = raw.data[definition.period_field].str.strip().replace("", None)
        tallies["text_period"] = text.value_counts(sort=False, dropna=True)
    return {
        "typed": pd.DataFrame(hashed, index=pd.RangeIndex(len(typed))),
        "text": raw.data[shown].astype("string[pyarrow]").reset_index(drop=True),
        "lines": raw.lines,
        "tallies": tallies,
    }
