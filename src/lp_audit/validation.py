"""Validating one return: read, parse, run the pandera schema lazily, and turn failures into findings.

Bad data never raises here: every problem becomes a row of the findings table. Only a file that
cannot be read at all, or a definition that cannot be loaded, raises an :class:`LpAuditError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Definition, is_path_spec, list_definitions, load_definition
from lp_audit.errors import DefinitionNotFoundError
from lp_audit.findings import FINDING_COLUMNS, Finding, column_letter
from lp_audit.periods import Period

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import pandas as pd

    from lp_audit.parsing import Distinct
    from lp_audit.profile import Capture
    from lp_audit.reading import RawReturn
    from lp_audit.schema import CheckFn, RuleSchema

#: Up to this many rows, pandera validates the return, with all rules in one schema (measured:
#: 22 separate runs cost about 0.3 s for a 5,000-row return). Above it, the same pandera checks
#: are evaluated directly, each on its own columns: pandera's lazy validation builds a frame of
#: failure cases per check, which cost 2.2 s of the 10 s a million-row return took, against
#: about 1 s for the check functions themselves. The findings are the same (a test compares).
#: The chunks of a large return are checked directly too, and neither imports pandera.
_PANDERA_UP_TO = 100_000
#: From this many rows (a default chunk), the checks of a return run side by side in threads
#: (see :data:`lp_audit.parsing._THREADS_FROM_ROWS`).
_CHECK_THREADS_FROM_ROWS = 100_000
_CONSTRAINT_CODES = (
    "out-of-range",
    "pattern-mismatch",
    "too-long",
    "too-short",
    "invalid-check-digit",
)


@dataclass
class ReturnResult:
    """The outcome of validating one return."""

    path: str
    definition: str | None
    provider: str | None
    period: str | None
    rows: int
    findings: pd.DataFrame  # columns: FINDING_COLUMNS
    encoding: str | None = None
    capture: Capture | None = None  # with validate_return(..., capture=True)

    @property
    def counts(self) -> dict[str, int]:
        """Findings by severity."""
        severity = self.findings["severity"]
        return {
            "error": int((severity == "error").sum()),
            "warning": int((severity == "warning").sum()),
        }

    def finding_objects(self) -> list[Finding]:
        """The findings as :class:`Finding` objects."""
        return [Finding(**record) for record in self.finding_records()]

    def finding_columns(self) -> dict[str, list[Any]]:
        """The findings column by column, as plain lists (missing values None, lines int)."""
        columns = {}
        for name in FINDING_COLUMNS:
            values = self.findings[name]
            cleaned = values.astype(object).where(values.notna().to_numpy(), None).tolist()
            if name == "line":
                cleaned = [None if v is None else int(v) for v in cleaned]
            columns[name] = cleaned
        return columns

    def finding_records(self) -> list[dict[str, Any]]:
        """The findings as plain dicts (missing values None), column by column rather than
        row by row: a million-row return can have tens of thousands."""
        columns = self.finding_columns().values()
        return [dict(zip(FINDING_COLUMNS, row, strict=True)) for row in zip(*columns, strict=True)]

    def summary(self) -> dict[str, Any]:
        """:meth:`to_dict` without the findings."""
        return {
            "path": self.path,
            "provider": self.provider,
            "period": self.period,
            "definition": self.definition,
            "encoding": self.encoding,
            "rows": self.rows,
            "counts": self.counts,
        }

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape of one return."""
        return {**self.summary(), "findings": self.finding_records()}


def empty_findings() -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame({c: pd.Series([], dtype="object") for c in FINDING_COLUMNS})
    frame["line"] = frame["line"].astype("Int64")
    return frame


def findings_frame(items: list[Finding]) -> pd.DataFrame:
    """A findings table from Finding objects."""
    import pandas as pd

    if not items:
        return empty_findings()
    frame = pd.DataFrame([i.to_dict() for i in items], columns=list(FINDING_COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    return frame


def _resolve_definition(spec: Definition | str | Path | None, period: Period | None) -> Definition:
    if isinstance(spec, Definition):
        return spec
    if spec is None:
        names = sorted({i.name for i in list_definitions()})
        if len(names) != 1:
            raise DefinitionNotFoundError(
                "name a definition with --definition (bundled: " + ", ".join(names) + ")"
            )
        spec = names[0]
    return load_definition(spec, period=period)


def _mode(series: pd.Series) -> str | None:
    """The most common value, missing values aside; of values equally common, the first in the
    return, as a chunked run (which counts chunk by chunk) also takes it.

    In a good return every row has the same value, so that is checked first.
    """
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        return _most_common(series.cat.codes.to_numpy(), series.cat.categories)
    values = series.dropna()
    if values.empty:
        return None
    first = values.iloc[0]
    if bool((values == first).all()):
        return str(first)
    codes, uniques = pd.factorize(values)
    return _most_common(codes, uniques)


def _most_common(codes: np.ndarray, uniques: Any) -> str | None:
    """The most common of ``uniques`` by row ``codes`` (-1 for missing), the first on a tie."""
    import numpy as np

    present = codes[codes >= 0]
    if not len(present):
        return None
    counts = np.bincount(present, minlength=len(uniques))
    best = np.flatnonzero(counts == counts.max())
    if len(best) > 1:
        best = best[[int(np.argmin([np.argmax(codes == b) for b in best]))]]
    return str(uniques[int(best[0])])


def validate_return(
    source: str | Path | pd.DataFrame,
    definition: Definition | str | Path | None = None,
    *,
    provider: str | None = None,
    period: str | Period | None = None,
    today: date | None = None,
    sheet: str | None = None,
    capture: bool = False,
    chunk_rows: int | None = None,
) -> ReturnResult:
    """Validate one return against a definition.

    Args:
        source: a CSV or XLSX path, or a DataFrame of text columns named by field.
        definition: a :class:`Definition`, ``NAME[@VERSION]`` or a path; by default the bundled
            definition in force for the return's period.
        provider: the provider submitting the return; rows naming another are reported.
        period: the period the return is for, e.g. ``"2025-26 Q2"``; by default, the period most
            rows give.
        today: the date to treat as today (for "not in the future" rules).
        sheet: for workbooks, the sheet to read (default: the first).
        capture: also profile how each field was captured (see :mod:`lp_audit.profile`).
        chunk_rows: read and check a CSV file this many rows at a time, in memory that does not
            grow with the file; the findings are the same as a whole-file run. By default, files
            over :data:`AUTO_CHUNK_BYTES` are read in chunks of :data:`DEFAULT_CHUNK_ROWS`;
            ``0`` always reads the whole file. Files that must be read whole (workbooks,
            encodings other than UTF-8, rows of the wrong length) are, whatever this says.

    Returns:
        The result, with every problem as a row of ``result.findings``.

    Raises:
        ReturnReadError: if the file cannot be read as a table at all.
        DefinitionError, DefinitionNotFoundError: if the definition cannot be loaded.
    """
    from lp_audit.reading import RawReturn, map_columns, read_table

    wanted = Period.parse(period) if isinstance(period, str) else period
    chosen = _resolve_definition(definition, wanted)
    if not isinstance(source, str | Path):  # a DataFrame (pandas is not imported yet for files)
        import numpy as np

        data = source.astype("str").fillna("")
        raw = RawReturn(
            "<dataframe>",
            data.reset_index(drop=True),
            np.arange(2, len(data) + 2),
            {c: i for i, c in enumerate(data.columns)},
            list(data.columns),
            "",
            None,
            [],
        )
    else:
        pinned = isinstance(definition, Definition) or (
            definition is not None and (is_path_spec(definition) or "@" in str(definition))
        )
        rows = chunk_rows if chunk_rows is not None else _auto_chunk_rows(source)
        if rows and not capture:
            from lp_audit.reading import NotChunkable

            try:
                return _validate_in_chunks(
                    Path(source), definition, chosen, pinned, rows, provider, wanted, today
                )
            except NotChunkable:
                pass  # read the whole file, which reports what made chunks impossible
        if _size(source) > REUSE_MEMORY_BYTES:
            from lp_audit.reading import import_pandas_meanwhile, reuse_memory

            reuse_memory()
            import_pandas_meanwhile()
        table = read_table(source, sheet=sheet)
        raw = map_columns(table, chosen)
        version = _version_for(wanted or _period_in(raw, chosen), chosen, definition, pinned)
        if version is not chosen:
            # the header was matched with the latest version; the period asks for another
            chosen, raw = version, map_columns(table, version)
    return _validate_raw(
        raw, chosen, provider=provider, period=wanted, today=today, capture=capture
    )


#: Files larger than this are validated in chunks unless ``chunk_rows`` says otherwise.
AUTO_CHUNK_BYTES = 256 * 1024 * 1024
#: Rows per chunk when chunking was not asked for but the file is large.
DEFAULT_CHUNK_ROWS = 100_000
#: Files read whole above this size have the allocator keep freed blocks for reuse (see
#: :func:`lp_audit.reading.reuse_memory`).
REUSE_MEMORY_BYTES = 32 * 1024 * 1024


def _size(source: str | Path) -> int:
    try:
        return Path(source).stat().st_size
    except OSError:
        return 0  # the reader explains


def _version_for(
    in_force: Period | None,
    chosen: Definition,
    spec: Definition | str | Path | None,
    pinned: bool,
) -> Definition:
    """The definition version for a return of period ``in_force``: ``chosen`` unless the user
    left the version open and another is in force then."""
    if pinned or in_force is None or chosen.in_force_for(in_force):
        return chosen
    return _resolve_definition(spec, in_force)


def _auto_chunk_rows(source: str | Path) -> int:
    return DEFAULT_CHUNK_ROWS if _size(source) > AUTO_CHUNK_BYTES else 0


def _finding_key(f: Finding) -> tuple[Any, ...]:
    return (f.code, f.severity, f.message, f.line, f.column, f.field, f.value, f.rule)


def _validate_in_chunks(
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

    from lp_audit.reading import (
        RawReturn,
        blank_rows_finding,
        iter_chunks,
        map_columns,
        return_memory_eagerly,
    )
    from lp_audit.schema import Context, build_schema

    return_memory_eagerly()
    blank_lines: list[int] = []
    seen: set[tuple[Any, ...]] = set()
    parts: list[pd.DataFrame] = []
    kept: list[dict[str, Any]] = []
    first: RawReturn | None = None
    first_result: ReturnResult | None = None
    rows = 0
    header_line = 1
    for table in iter_chunks(path, chunk_rows, blank_lines):
        if first is None:
            if chosen is None:  # a first guess, checked against the whole file at the end
                in_force = period or _period_in(map_columns(table, initial), initial)
                chosen = _version_for(in_force, initial, spec, pinned)
            raw = map_columns(table, chosen)
        else:
            # the header's findings name its line in the file, as the first chunk's did
            assert chosen is not None
            raw = map_columns(replace(table, header_line=header_line), chosen)
        fresh = [f for f in raw.findings if _finding_key(f) not in seen]
        seen.update(_finding_key(f) for f in fresh)
        raw.findings = fresh
        if assumed is not None:
            chunk_period, chunk_provider = _parsed_period(assumed[0]), assumed[1]
        elif first_result is not None:
            chunk_period = _parsed_period(first_result.period)
            chunk_provider = first_result.provider
        else:
            chunk_period, chunk_provider = None, None
        result = _validate_raw(
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
            first = replace(raw, data=raw.data.iloc[:0], lines=raw.lines[:0])
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
        return _mode_of(pd.concat(counts).groupby(level=0, sort=False).sum())

    in_force = period or _parsed_period(whole_mode("text_period"))
    expected = _version_for(in_force, initial, spec, pinned)
    modes = (whole_mode("period"), whole_mode("provider"))
    if reruns < 2 and (
        expected.ref != chosen.ref
        or (period is None and modes[0] not in (None, first_result.period))
        or (provider is None and modes[1] not in (None, first_result.provider))
    ):
        return _validate_in_chunks(
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

    extra: list[Finding] = []
    if blank_lines:
        extra.append(blank_rows_finding(blank_lines))
    if first.headers and rows == 0:
        extra.append(_nil_return())
    parts.append(findings_frame(extra))
    effective = _parsed_period(first_result.period)
    context = Context(effective, first_result.provider, today)
    schema = build_schema(chosen, context)
    return_rules = [r for r in schema.rules if r.kind == "return"]
    if return_rules and rows:
        keys = _kept_frame(kept, "typed")
        texts = _kept_frame(kept, "text")
        lines = np.concatenate([k["lines"] for k in kept])
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
        failures = [_return_rule_cases(r, keys[list(r.columns)]) for r in runnable]
        cases = pd.concat(failures, ignore_index=True).drop_duplicates(["check", "index"])
        if len(cases):
            parts.append(_check_findings(cases, schema.specs, whole, pd.DataFrame()))
    nonempty = [p for p in parts if len(p)]
    findings = pd.concat(nonempty, ignore_index=True) if nonempty else empty_findings()
    return ReturnResult(
        path=first.path,
        definition=chosen.ref,
        provider=first_result.provider,
        period=first_result.period,
        rows=rows,
        findings=_order(findings, first),
        encoding=first.encoding or None,
    )


def _parsed_period(text: str | None) -> Period | None:
    try:
        return Period.parse(text) if text else None
    except ValueError:
        return None


def _mode_of(counts: pd.Series | None) -> str | None:
    """The most common value from counts in order of first appearance, as :func:`_mode` takes it."""
    if counts is None or counts.empty:
        return None
    return str(counts.index[int(counts.to_numpy().argmax())])


def _nil_return() -> Finding:
    return Finding(
        "nil-return",
        "warning",
        "The return has a header but no data rows (a nil return). If you had no referrals this quarter, this is expected.",
    )


def _kept_frame(kept: list[dict[str, Any]], part: str) -> pd.DataFrame:
    import pandas as pd

    frame: pd.DataFrame = pd.concat([k[part] for k in kept], ignore_index=True)
    return frame


def _period_in(raw: RawReturn, definition: Definition) -> Period | None:
    import pandas as pd

    name = definition.period_field
    if name is None or name not in raw.data.columns:
        return None
    column = raw.data[name]
    if isinstance(column.dtype, pd.CategoricalDtype):
        # strip each category's text once, not each row's
        import numpy as np

        stripped = pd.Series(column.cat.categories).str.strip().replace("", None)
        by_category, uniques = pd.factorize(stripped)
        rows = column.cat.codes.to_numpy()
        text = _most_common(np.where(rows >= 0, by_category[rows], -1), uniques)
    else:
        text = _mode(column.str.strip().replace("", None))
    return _parsed_period(text)


def _validate_raw(
    raw: RawReturn,
    definition: Definition,
    *,
    provider: str | None,
    period: Period | None,
    today: date | None,
    capture: bool = False,
    whole: bool = True,
    kept: list[dict[str, Any]] | None = None,
) -> ReturnResult:
    """Validate a return's text values; with ``whole=False``, a chunk of one.

    A chunk's result leaves out what only the whole return can tell (a nil return, the return
    rules); instead, what those need is appended to ``kept``.
    """
    import pandas as pd

    from lp_audit.parsing import parse_return
    from lp_audit.schema import Context, build_schema

    findings = findings_frame(raw.findings)
    has_header = bool(raw.headers)
    if whole and has_header and raw.rows == 0:
        findings = pd.concat([findings, findings_frame([_nil_return()])], ignore_index=True)
    parsed = parse_return(raw.data, definition)
    typed = parsed.typed
    period_text = str(period) if period else None
    if period is None and definition.period_field in typed.columns:
        period_text = _mode(typed[definition.period_field])
    effective_period = period or _parsed_period(period_text)
    provider_text = provider
    if provider_text is None and definition.provider_field in typed.columns:
        provider_text = _mode(typed[definition.provider_field])
    context = Context(effective_period, provider_text, today)
    schema = build_schema(definition, context)

    # a chunk is part of a large return, and is checked as one
    by_pandera = whole and len(typed) <= _PANDERA_UP_TO
    runnable = [r for r in schema.rules if all(c in typed.columns for c in r.columns)]
    if not whole:
        assert kept is not None
        kept.append(_keep(raw, typed, definition, [r for r in runnable if r.kind == "return"]))
        runnable = [r for r in runnable if r.kind != "return"]
    if by_pandera:
        import pandera.pandas as pa

        failures = [_failure_cases(schema.columns, typed)]
        # one pandera run for all rules: its fixed cost per run dominates small returns, and
        # the failing rows it reports once per column are few
        columns = list(dict.fromkeys(c for r in runnable for c in r.columns))
        checks = [check.to_pandera() for r in runnable for check in r.checks]
        failures.append(_failure_cases(pa.DataFrameSchema(checks=checks), typed[columns]))
    else:
        # each column's checks on the column, each rule on just its own columns (so a failing
        # row is not reported per column): separate pieces of work, in pandera's order
        jobs: list[tuple[pd.DataFrame, Mapping[str, Sequence[CheckFn]], Sequence[CheckFn]]] = [
            (typed[[name]], {name: checks}, ())
            for name, checks in schema.column_checks.items()
            if name in typed.columns
        ]
        jobs += [(typed[list(r.columns)], {}, r.checks) for r in runnable]

        def run(
            job: tuple[pd.DataFrame, Mapping[str, Sequence[CheckFn]], Sequence[CheckFn]],
        ) -> pd.DataFrame:
            return _evaluate_checks(*job, parsed.distinct)

        if len(typed) >= _CHECK_THREADS_FROM_ROWS:
            # the checks' pyarrow, numpy and hashing let go of the GIL for most of their time
            from concurrent.futures import ThreadPoolExecutor

            # the return rules, which hash whole columns, are the longest jobs: started first,
            # the short ones fill in around them, rather than one thread waiting at the end
            hashing = [False] * (len(jobs) - len(runnable)) + [r.kind == "return" for r in runnable]
            order = sorted(range(len(jobs)), key=lambda i: not hashing[i])
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                futures = {i: pool.submit(run, jobs[i]) for i in order}
                failures = [futures[i].result() for i in range(len(jobs))]  # pandera's order
        else:
            failures = [run(job) for job in jobs]
    cases = pd.concat(failures, ignore_index=True).drop_duplicates(["check", "index"])

    parts = [findings]
    if len(cases):
        parts.append(_check_findings(cases, schema.specs, raw, parsed.blank))
    for problem in parsed.problems:
        rows = problem.mask[problem.mask].index
        spec_field = definition.field(problem.field)
        parts.append(
            _rows_to_findings(
                rows,
                problem.code,
                problem.severity,
                problem.message,
                problem.field,
                None,
                not spec_field.sensitive,
                raw,
            )
        )
    all_findings = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else empty_findings()
    )
    all_findings = _order(all_findings, raw)
    profile = None
    if capture:
        from lp_audit.profile import capture as profile_capture

        profile = profile_capture(definition, parsed, all_findings, raw.lines, context)
    return ReturnResult(
        path=raw.path,
        definition=definition.ref,
        provider=provider_text,
        period=str(effective_period) if effective_period else period_text,
        rows=raw.rows,
        findings=all_findings,
        encoding=raw.encoding or None,
        capture=profile,
    )


def _keep(
    raw: RawReturn, typed: pd.DataFrame, definition: Definition, rules: list[Any]
) -> dict[str, Any]:
    """What the whole return's checks need from a chunk, in about 40 bytes a row.

    The return rules only compare values, so each value is kept as a 64-bit hash (blank stays
    blank); the text is kept only for the fields whose values findings show. Two different
    values share a hash with probability about n² / 2⁶⁵: for a million rows, 3 in 100 million.
    """
    import pandas as pd

    columns = list(dict.fromkeys(c for r in rules for c in r.columns))
    hashed = {}
    for c in columns:
        values = typed[c].reset_index(drop=True)
        codes = pd.util.hash_pandas_object(values, index=False).to_numpy()
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
    if definition.period_field in raw.data.columns:  # as _period_in reads it
        text = raw.data[definition.period_field].str.strip().replace("", None)
        tallies["text_period"] = text.value_counts(sort=False, dropna=True)
    return {
        "typed": pd.DataFrame(hashed, index=pd.RangeIndex(len(typed))),
        "text": raw.data[shown].astype("string[pyarrow]").reset_index(drop=True),
        "lines": raw.lines,
        "tallies": tallies,
    }


def _return_rule_cases(rule: RuleSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """The failing rows of a return rule over every chunk's kept values."""
    if len(frame) <= _PANDERA_UP_TO:
        return _failure_cases(rule.schema, frame)
    return _evaluate_checks(frame, {}, rule.checks, {})


def _evaluate_checks(
    frame: pd.DataFrame,
    column_checks: Mapping[str, Sequence[CheckFn]],
    frame_checks: Sequence[CheckFn],
    distinct: Mapping[str, Distinct],
) -> pd.DataFrame:
    """Run checks as pandera would, in its order, without its bookkeeping.

    Every lp_audit check is vectorised and has ``ignore_na=False``: its function takes the
    column (or the frame, for rules) and returns a boolean Series; a row fails where it is
    not True. Failures come out as pandera lists them: by column in schema order, then by
    check in column order, then by row; frame-level checks after.

    A column check looks at one value at a time, so for a column of few distinct values
    (``distinct``) it runs on those values and its result is spread to the rows.
    """
    import numpy as np
    import pandas as pd

    from lp_audit.errors import LpAuditError

    names: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    index = frame.index
    positional = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    labels: np.ndarray = np.empty(0, dtype=np.int64) if positional else index.to_numpy()

    def run(
        check: CheckFn, data: pd.Series | pd.DataFrame, spread: np.ndarray | None = None
    ) -> None:
        try:
            result = check.fn(data)
        except Exception as exc:  # a bug in a check, reported as pandera would
            raise LpAuditError(f"internal error in check {check.name}: {exc}") from None
        if (
            isinstance(result, pd.Series)
            and result.dtype == bool
            and result.index.equals(data.index)
        ):
            passed = result.to_numpy()  # the usual case: nothing to align, nothing missing
        else:
            passed = pd.Series(result, index=data.index).fillna(False).to_numpy(dtype=bool)
        if spread is not None:
            passed = passed[spread]
        failing = np.flatnonzero(~passed)  # positions; the index's labels only where needed
        rows.append(failing.astype("int64") if positional else labels[failing].astype("int64"))
        names.append(np.full(len(failing), check.name, dtype=object))

    for name, checks in column_checks.items():
        if name in frame.columns:
            for check in checks:
                if name in distinct:
                    run(check, distinct[name].values, distinct[name].rows)
                else:
                    run(check, frame[name])
    for check in frame_checks:
        run(check, frame)
    if not rows:
        return pd.DataFrame(
            {"check": pd.Series([], dtype="str"), "index": pd.Series([], dtype="int64")}
        )
    return pd.DataFrame({"check": np.concatenate(names), "index": np.concatenate(rows)})


def _failure_cases(schema: Any, frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd
    import pandera.pandas as pa

    from lp_audit.errors import LpAuditError

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        broken = cases[cases["index"].isna()]
        if len(broken):
            raise LpAuditError(
                f"internal error in check {broken['check'].iloc[0]}: {broken['failure_case'].iloc[0]}"
            ) from None
        result: pd.DataFrame = cases[["check", "index"]].astype({"index": "int64"})
        return result
    return pd.DataFrame(
        {"check": pd.Series([], dtype="str"), "index": pd.Series([], dtype="int64")}
    )


def _rows_to_findings(
    rows: Any,
    code: str,
    severity: str,
    message: str,
    field: str | None,
    rule: str | None,
    show_value: bool,
    raw: RawReturn,
) -> pd.DataFrame:
    import pandas as pd

    rows = pd.Index(rows, dtype="int64")
    return pd.DataFrame(
        {
            "code": code,
            "severity": severity,
            "message": message,
            "line": pd.array(raw.lines[rows.to_numpy()], dtype="Int64"),
            "column": raw.column_of(field) if field else None,
            "field": field,
            # take the few failing rows first: converting a whole text column costs ~40 ms
            "value": raw.data[field].take(rows.to_numpy()).to_numpy(dtype=object)
            if field and show_value and field in raw.data.columns
            else None,
            "rule": rule,
            "_row": rows.to_numpy(),
        }
    )


def _check_findings(
    cases: pd.DataFrame, specs: dict[str, Any], raw: RawReturn, blank: pd.DataFrame
) -> pd.DataFrame:
    import pandas as pd

    parts = []
    for name, group in cases.groupby("check", sort=False):
        spec = specs[str(name)]
        rows = group["index"].to_numpy()
        if spec.code == "missing-required" and spec.field in blank.columns:
            # a value that failed to parse is already reported; blank means blank text only
            rows = rows[blank[spec.field].to_numpy()[rows]]
        parts.append(
            _rows_to_findings(
                rows,
                spec.code,
                spec.severity,
                spec.message,
                spec.field,
                spec.rule,
                spec.show_value,
                raw,
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    constraint = frame["code"].isin(_CONSTRAINT_CODES)
    if constraint.any():
        # one constraint finding per cell: the most severe, then the first listed
        ranked = frame[constraint].assign(_sev=frame["severity"].ne("error"))
        ranked = (
            ranked.sort_values(["_sev"], kind="stable")
            .drop_duplicates(["_row", "field"])
            .drop(columns="_sev")
        )
        frame = pd.concat([frame[~constraint], ranked], ignore_index=True)
    return frame


def _order(findings: pd.DataFrame, raw: RawReturn) -> pd.DataFrame:
    order = {name: i for i, name in enumerate(raw.data.columns)}
    ranked = findings.assign(
        _line=findings["line"].fillna(0),
        _col=findings["field"].map(order).fillna(-1),
    )
    ranked = ranked.sort_values(["_line", "_col", "code"], kind="stable")
    ranked = ranked.drop(columns=[c for c in ("_line", "_col", "_row") if c in ranked.columns])
    return ranked.reset_index(drop=True)[list(FINDING_COLUMNS)]


def validate_returns(
    paths: list[str | Path], definition: Definition | str | Path | None = None, **options: Any
) -> list[ReturnResult]:
    """Validate several returns with the same options."""
    return [validate_return(p, definition, **options) for p in paths]


__all__ = ["ReturnResult", "column_letter", "validate_return", "validate_returns"]
