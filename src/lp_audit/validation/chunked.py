"""Validating a large CSV file chunk by chunk, with the same findings as a whole-file run."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Definition
from lp_audit.findings import Finding
from lp_audit.periods import Period

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.reading import RawReturn

from lp_audit.checks.failures import (
    check_findings,
    empty_findings,
    findings_frame,
    omitted_counts,
    order_findings,
    relist,
)
from lp_audit.checks.listing import Listing, Origin
from lp_audit.checks.runner import (
    return_rule_cases,
)
from lp_audit.definitions.registry import version_for
from lp_audit.validation.identity import (
    identity_findings,
    mode_of,
    nil_return,
    parsed_period,
    period_in,
)
from lp_audit.validation.result import ReturnResult
from lp_audit.validation.single import validate_raw
from lp_audit.validation.tolerances import tolerated as tolerances_reached


def _finding_key(f: Finding) -> tuple[Any, ...]:
    return (f.code, f.severity, f.message, f.line, f.column, f.field, f.value, f.rule)


def validate_in_chunks(
    path: Path,
    spec: Definition | str | Path | None,
    initial: Definition,
    pinned: bool,
    chunk_rows: int,
    provider: str | None,
    period: Period | None,
    today: date | None,
    *,
    chosen: Definition | None = None,
    assumed: tuple[str | None, str | None] | None = None,
    reruns: int = 0,
) -> ReturnResult:
    """Validate a CSV file chunk by chunk: the same findings as a whole-file run.

    Per chunk: the column checks and row rules. Across chunks: the header's findings once, one
    blank-rows finding, a nil return, and the return rules (unique IDs, double counts), which run
    at the end on the few columns they need, kept from every chunk in compact form. The
    definition version, period and provider every row is checked against are taken from the
    first chunk; if the whole file's turn out different, it is checked again with those.

    Raises:
        NotChunkable: if the file must be read whole after all.
    """
    import numpy as np
    import pandas as pd

    from lp_audit.checks import Context, build_schema
    from lp_audit.reading import (
        RawReturn,
        blank_rows_finding,
        iter_chunks,
        map_columns,
        return_memory_eagerly,
    )

    return_memory_eagerly()
    blank_lines: list[int] = []
    seen: set[tuple[Any, ...]] = set()
    parts: list[pd.DataFrame] = []
    kept: list[dict[str, Any]] = []
    first: RawReturn | None = None
    first_result: ReturnResult | None = None
    rows = 0
    header_line = 1
    for table in iter_chunks(path, chunk_rows, blank_lines, initial):
        if first is None:
            if chosen is None:  # a first guess, checked against the whole file at the end
                in_force = period or period_in(table, initial)
                chosen = version_for(in_force, initial, spec, pinned)
            raw = map_columns(table, chosen)
        else:
            # the header's findings name its line in the file, as the first chunk's did
            assert chosen is not None
            raw = map_columns(replace(table, header_line=header_line), chosen)
        fresh = [f for f in raw.findings if _finding_key(f) not in seen]
        seen.update(_finding_key(f) for f in fresh)
        raw.findings = fresh
        if assumed is not None:
            chunk_period, chunk_provider = parsed_period(assumed[0]), assumed[1]
        elif first_result is not None:
            chunk_period = parsed_period(first_result.period)
            chunk_provider = first_result.provider
        else:
            chunk_period, chunk_provider = None, None
        result = validate_raw(
            raw,
            chosen,
            provider=provider or chunk_provider,
            period=period or chunk_period,
            today=today,
            whole=False,
            kept=kept,
        )
        if first is None:
            # keep what the end needs of the first chunk, not its rows
            first = replace(raw, _data=raw.data.iloc[:0], lines=raw.lines[:0])
            first_result, header_line = result, table.header_line
        rows += result.rows
        parts.append(result.findings)
        del table, raw, result  # free this chunk before the next is read
    assert first is not None and first_result is not None and chosen is not None

    # the version, period and provider a whole-file run would take, from every chunk's counts
    def whole_mode(name: str) -> str | None:
        counts = [k["tallies"][name] for k in kept if name in k["tallies"]]
        if not counts:
            return None
        return mode_of(pd.concat(counts).groupby(level=0, sort=False).sum())

    in_force = period or parsed_period(whole_mode("text_period"), chosen)
    expected = version_for(in_force, initial, spec, pinned)
    modes = (whole_mode("period"), whole_mode("provider"))
    if reruns < 2 and (
        expected.ref != chosen.ref
        or (period is None and modes[0] not in (None, first_result.period))
        or (provider is None and modes[1] not in (None, first_result.provider))
    ):
        return validate_in_chunks(
            path,
            spec,
            initial,
            pinned,
            chunk_rows,
            provider,
            period,
            today,
            chosen=expected,
            assumed=modes if expected.ref == chosen.ref else None,
            reruns=reruns + 1,
        )

    extra: list[Finding] = identity_findings(
        chosen, (period, provider), (whole_mode("period"), whole_mode("provider"))
    )
    if blank_lines:
        extra.append(blank_rows_finding(blank_lines))
    if first.headers and rows == 0:
        extra.append(nil_return(chosen.period_every))
    parts.append(findings_frame(extra))
    effective = parsed_period(first_result.period, chosen)
    context = Context(effective, first_result.provider, today)
    schema = build_schema(chosen, context)
    return_rules = [r for r in schema.rules if r.kind == "return"]
    if return_rules and rows:
        # each chunk's part is let go as the whole is made, so that the return rules run
        # with one copy of what was kept, not two
        keys = _kept_frame(kept, "typed")
        texts = _kept_frame(kept, "text")
        lines = np.concatenate([k.pop("lines") for k in kept])
        whole = RawReturn(
            first.path,
            texts,
            lines,
            first.columns,
            first.headers,
            first.encoding,
            first.delimiter,
            [],
        )
        runnable = [r for r in return_rules if all(c in keys.columns for c in r.columns)]
        failures = [
            return_rule_cases(r, keys if r.shares_frame else keys[list(r.columns)])
            for r in runnable
        ]
        cases = pd.concat(failures, ignore_index=True).drop_duplicates(["check", "index"])
        if len(cases):
            listing = Listing(Origin.of([whole]))
            check_findings(cases, schema.specs, listing, pd.DataFrame())
            parts.append(listing.frame().drop(columns="_return"))
    nonempty = [p for p in parts if len(p)]
    findings = pd.concat(nonempty, ignore_index=True) if nonempty else empty_findings()
    # each chunk listed the first rows of a problem; the whole file lists them as one run
    findings = relist(findings)
    return ReturnResult(
        path=first.path,
        definition=chosen.ref,
        provider=first_result.provider,
        period=first_result.period,
        rows=rows,
        findings=order_findings(findings, first.data.columns),
        encoding=first.encoding or None,
        omitted=omitted_counts(findings),
        definition_model=chosen,
        tolerated=tolerances_reached(findings, chosen, rows),
    )


def _kept_frame(kept: list[dict[str, Any]], part: str) -> pd.DataFrame:
    """One frame of every chunk's ``part``, taken out of ``kept``."""
    import pandas as pd

    frame: pd.DataFrame = pd.concat([k.pop(part) for k in kept], ignore_index=True)
    return frame
