"""Running the checks of a return: pandera up to 100,000 rows, the same check objects directly above."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import pandas as pd

    from lp_audit.checks.parsing import Distinct
    from lp_audit.checks.specs import CheckFn, ReturnSchema, RuleSchema


#: Up to this many rows, pandera validates the return, with all rules in one schema (measured:
#: 22 separate runs cost about 0.3 s for a 5,000-row return). Above it, the same pandera checks
#: are evaluated directly, each on its own columns: pandera's lazy validation builds a frame of
#: failure cases per check, which cost 2.2 s of the 10 s a million-row return took, against
#: about 1 s for the check functions themselves. The findings are the same (a test compares).
#: The chunks of a large return are checked directly too, and neither imports pandera.
PANDERA_UP_TO = 100_000
#: Up to this many failing cells, pandera validates a small return; past it, the direct
#: evaluation of the same checks (a test shows both find the same rows) gives the result.
PANDERA_FAILURES_UP_TO = 10_000
#: From this many rows, the checks of a whole return run side by side in threads (see
#: :data:`lp_audit.checks.parsing.THREADS_FROM_ROWS`).
CHECK_THREADS_FROM_ROWS = 100_000


def return_rule_cases(rule: RuleSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """The failing rows of a return rule over every chunk's kept values."""
    if len(frame) <= PANDERA_UP_TO:
        return failure_cases(rule.schema, frame)
    return evaluate_checks(frame, {}, rule.checks, {})


def evaluate_checks(
    frame: pd.DataFrame,
    column_checks: Mapping[str, Sequence[CheckFn]],
    frame_checks: Sequence[CheckFn],
    distinct: Mapping[str, Distinct],
    more: Sequence[tuple[pd.DataFrame, Sequence[CheckFn]]] = (),
) -> pd.DataFrame:
    """Run checks as pandera would, in its order, without its bookkeeping.

    Every lp_audit check is vectorised and has ``ignore_na=False``: its function takes the
    column (or the frame, for rules) and returns a boolean Series; a row fails where it is
    not True. Failures come out as pandera lists them: by column in schema order, then by
    check in column order, then by row; frame-level checks after.

    A column check looks at one value at a time, so for a column of few distinct values
    (``distinct``) it runs on those values and its result is spread to the rows. ``more``
    holds further checks of whole frames, each on its own frame of the same rows (a rule on
    its columns), listed after the others in one table.
    """
    import numpy as np
    import pandas as pd

    from lp_audit.errors import LpAuditError

    names: list[np.ndarray] = []  # for each failing row, its check as a number in checked
    checked: list[str] = []
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
        if passed.all():  # the usual case: nothing to spread to the rows or look for
            failing = np.empty(0, dtype=np.int64)
        else:
            if spread is not None:
                passed = passed[spread]
            failing = np.flatnonzero(~passed)  # positions; the index's labels only if needed
        rows.append(failing.astype("int64") if positional else labels[failing].astype("int64"))
        names.append(np.full(len(failing), len(checked), dtype=np.int32))
        checked.append(check.name)

    for name, checks in column_checks.items():
        if name in frame.columns:
            for check in checks:
                if name in distinct and not check.by_row:
                    run(check, distinct[name].values, distinct[name].rows)
                else:
                    run(check, frame[name])
    for check in frame_checks:
        run(check, frame)
    for own, checks in more:
        for check in checks:
            run(check, own)
    # the check of each failing row as a category: every cell of a hostile file can fail, and
    # 18 million names as objects took gigabytes where their numbers take 72 MB
    return _cases(names, checked, rows)


def failure_cases(schema: Any, frame: pd.DataFrame) -> pd.DataFrame:
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


def run_checks(
    schema: ReturnSchema,
    typed: pd.DataFrame,
    rules: Sequence[RuleSchema],
    distinct: Mapping[str, Distinct],
    *,
    engine: Literal["auto", "pandera", "direct"] = "auto",
    threads: bool | None = None,
) -> pd.DataFrame:
    """The failing rows of every check of a return: one frame of ``check`` and ``index``.

    With the ``pandera`` engine, pandera validates the typed columns (one schema for the
    columns, one for all ``rules``); with ``direct``, the same check objects are evaluated
    directly, each on its own columns, in threads for large returns. Both give the same rows in
    pandera's order (a test compares them on generated returns). ``auto`` takes pandera up to
    :data:`PANDERA_UP_TO` rows unless the checks fail more than :data:`PANDERA_FAILURES_UP_TO`
    times. The direct engine runs checks in threads when ``threads`` is True, or (None) from
    :data:`CHECK_THREADS_FROM_ROWS` rows.
    """
    import pandas as pd

    if engine == "auto" and len(typed) <= PANDERA_UP_TO:
        # pandera's lazy validation gathers failure cases at a cost per failure many times the
        # check's own; a return that fails on every row (100,000 one-letter lines: 1.7 million
        # failures) took 5 s and 745 MB that way. The same checks run directly first (a few
        # ms for a small return); past PANDERA_FAILURES_UP_TO failures their result is used
        direct = run_checks(schema, typed, rules, distinct, engine="direct", threads=threads)
        if len(direct) > PANDERA_FAILURES_UP_TO:
            return direct
    by_pandera = engine == "pandera" or (engine == "auto" and len(typed) <= PANDERA_UP_TO)

    runnable = rules
    if by_pandera:
        import pandera.pandas as pa

        failures = [failure_cases(schema.columns, typed)]
        # one pandera run for all rules: its fixed cost per run dominates small returns, and
        # the failing rows it reports once per column are few
        columns = list(dict.fromkeys(c for r in runnable for c in r.columns))
        checks = [check.to_pandera() for r in runnable for check in r.checks]
        failures.append(failure_cases(pa.DataFrameSchema(checks=checks), typed[columns]))
    else:
        # each column's checks on the column, each rule on just its own columns (so a failing
        # row is not reported per column): separate pieces of work, in pandera's order
        by_column = {name: checks for name, checks in schema.column_checks.items() if name in typed}
        rule_jobs = [
            (typed if r.shares_frame else typed[list(r.columns)], r.checks) for r in runnable
        ]

        def run(
            job: tuple[pd.DataFrame, Mapping[str, Sequence[CheckFn]], Sequence[CheckFn]],
        ) -> pd.DataFrame:
            return evaluate_checks(*job, distinct)

        if threads or (threads is None and len(typed) >= CHECK_THREADS_FROM_ROWS):
            # the checks' pyarrow, numpy and hashing let go of the GIL for most of their time
            from concurrent.futures import ThreadPoolExecutor

            jobs: list[tuple[pd.DataFrame, Mapping[str, Sequence[CheckFn]], Sequence[CheckFn]]] = [
                (typed[[name]], {name: checks}, ()) for name, checks in by_column.items()
            ]
            jobs += [(frame, {}, checks) for frame, checks in rule_jobs]

            # the return rules, which hash whole columns, are the longest jobs: started first,
            # the short ones fill in around them, rather than one thread waiting at the end
            hashing = [False] * (len(jobs) - len(runnable)) + [r.kind == "return" for r in runnable]
            order = sorted(range(len(jobs)), key=lambda i: not hashing[i])
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                futures = {i: pool.submit(run, jobs[i]) for i in order}
                failures = [futures[i].result() for i in range(len(jobs))]  # pandera's order
        else:
            # one pass over the columns' checks (one job a column costs a frame and a table of
            # failures each: a tenth of a small return's checking), then each rule on its own
            # columns, into one table
            failures = [evaluate_checks(typed, by_column, (), distinct, rule_jobs)]
    if by_pandera:
        # pandera reports a row failing a check of the whole frame once per column
        return pd.concat(failures, ignore_index=True).drop_duplicates(["check", "index"])
    return _concat_cases(failures)


def _concat_cases(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The failing rows of each check, one after another, checks in order (as pandera lists
    them); each check once, so nothing to drop."""
    import numpy as np
    import pandas as pd

    names: list[str] = []
    codes, rows = [], []
    for part in parts:
        if not len(part):
            continue
        named = part["check"]
        if isinstance(named.dtype, pd.CategoricalDtype):
            offset = len(names)
            names.extend(str(c) for c in named.cat.categories)
            codes.append(named.cat.codes.to_numpy().astype(np.int32) + offset)
        else:
            uniques, found = np.unique(named.to_numpy(dtype=object), return_inverse=True)
            codes.append(found.astype(np.int32) + len(names))
            names.extend(str(u) for u in uniques)
        rows.append(part["index"].to_numpy(dtype=np.int64))
    return _cases(codes, names, rows)


def _cases(codes: list[np.ndarray], names: list[str], rows: list[np.ndarray]) -> pd.DataFrame:
    """Failing rows as a frame of ``check`` (a category of ``names``, numbered by ``codes``)
    and ``index``; with no failures, an empty frame of the same columns."""
    import numpy as np
    import pandas as pd

    if not codes:
        return pd.DataFrame(
            {"check": pd.Series([], dtype="str"), "index": pd.Series([], dtype="int64")}
        )
    numbered = pd.Categorical.from_codes(
        np.concatenate(codes), categories=pd.Index(names, dtype=object)
    )
    return pd.DataFrame({"check": numbered, "index": np.concatenate(rows)})
