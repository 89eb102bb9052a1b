"""Returns validated together as one frame (what an audit does) give each return the result it
gets validated alone: the same findings, in the same order, and the same capture profile.

Checked on the bundled examples, and on generated returns of a definition built to catch
rows that leak between returns: IDs shared by returns (unique within a return only), a rule
over an ID's rows, the period and provider each row must give, a rule reading the return's
period, "not known" codes, metrics and continuity.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_audit.auditing.parallel import Job, batches
from lp_audit.validation import ReturnResult, Unreadable, validate_return
from lp_audit.validation.together import Source, validate_together

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 12, 1)

DEFINITION = """\
format: lp-audit/definition-1
name: visits
version: "1.0"
title: Visits
return:
  period_field: PERIOD
  provider_field: PROVIDER
fields:
  - {name: PERIOD, label: Period, type: text, required: true}
  - {name: PROVIDER, label: Provider, type: code, codes: [AAA, BBB], required: true}
  - {name: ID, label: Visit ID, type: text, required: true, sensitive: true}
  - {name: SEEN, label: Seen on, type: date, required: true}
  - name: KIND
    label: Kind
    type: code
    codes: {X: Home, Y: Clinic}
    unknown_codes: {Z: Not known}
  - {name: MINUTES, label: Minutes, type: integer, constraints: [{range: {min: 0, max: 300}}]}
rules:
  - id: seen-in-period
    check: {compare: SEEN >= period.start}
    message: The visit is before the period.
  - id: no-two-homes
    group: {by: ID, order: SEEN}
    when: {field: previous.KIND, equals: X}
    check: {field: KIND, not_equals: X}
    message: Two home visits in a row.
  - id: not-in-future
    check: {compare: SEEN <= today}
    message: The visit is in the future.
return_rules:
  - {id: id-once, unique: [ID], message: Each visit ID once in a return.}
metrics:
  - {id: mean-minutes, label: Minutes, kind: mean, field: MINUTES}
  - {id: share-home, label: Home visits, kind: share, where: {field: KIND, equals: X}}
  - id: days-seen
    label: Days from the start of the period
    kind: median_days
    from: SEEN
    to: SEEN
continuity:
  id_field: ID
  open_when: {field: KIND, equals: Y}
  same: [SEEN]
"""

#: the header of a return of DEFINITION
HEADER = "PERIOD,PROVIDER,ID,SEEN,KIND,MINUTES\n"


def _definition(folder: Path) -> Path:
    """DEFINITION written to ``folder``, as a file that returns can be checked against."""
    path = folder / "visits.yaml"
    path.write_text(DEFINITION)
    return path


PERIODS = ("2025-26 Q1", "2025-26 Q2")
STARTS = {"2025-26 Q1": dt.date(2025, 4, 1), "2025-26 Q2": dt.date(2025, 7, 1)}


def assert_same(together: ReturnResult | Unreadable, alone: ReturnResult | Unreadable) -> None:
    """The two results agree in everything a report, store or JSON reads."""
    if isinstance(alone, Unreadable):
        assert together == alone
        return
    assert isinstance(together, ReturnResult)
    pd.testing.assert_frame_equal(together.findings, alone.findings)
    assert (together.provider, together.period, together.rows, together.definition) == (
        alone.provider,
        alone.period,
        alone.rows,
        alone.definition,
    )
    assert (together.omitted, together.tolerated) == (alone.omitted, alone.tolerated)
    mine, theirs = together.capture, alone.capture
    assert mine is not None and theirs is not None
    for part in ("fields", "categories", "metrics", "signals"):
        pd.testing.assert_frame_equal(getattr(mine, part), getattr(theirs, part), obj=part)
    if theirs.cases is None:
        assert mine.cases is None
    else:
        assert mine.cases is not None
        pd.testing.assert_frame_equal(mine.cases, theirs.cases, obj="cases")
    assert mine.metric_values.keys() == theirs.metric_values.keys()
    for name, values in theirs.metric_values.items():
        assert mine.metric_values[name] == values, name


def _alone(source: Source, definition: object) -> ReturnResult | Unreadable:
    try:
        return validate_return(
            source.path,
            definition,  # type: ignore[arg-type]
            provider=source.provider,
            period=source.period,
            today=TODAY,
            capture=True,
            engine="direct",
        )
    except Exception as exc:  # what the audit makes of a file it cannot read
        message = getattr(exc, "message", None)
        assert message is not None, exc
        return Unreadable(str(source.path), message)


def test_the_examples_validated_together_are_as_each_alone() -> None:
    sources = [Source(p) for p in sorted((ROOT / "examples" / "hbyw").glob("*.csv"))]
    together = validate_together(sources, today=TODAY, capture=True)
    assert len(together) == len(sources) == 8
    for source, result in zip(sources, together, strict=True):
        assert_same(result, _alone(source, None))


def test_a_return_that_cannot_be_read_or_has_other_columns_keeps_its_own_result(
    tmp_path: Path,
) -> None:
    definition = _definition(tmp_path)
    (tmp_path / "a.csv").write_text(HEADER + "2025-26 Q1,AAA,v1,2025-04-02,X,30\n")
    (tmp_path / "b.csv").write_text("PERIOD,PROVIDER,ID,SEEN\n2025-26 Q1,BBB,v1,2025-05-01\n")
    (tmp_path / "c.csv").write_bytes(b"\x00\x01\x02 not a table")
    (tmp_path / "d.csv").write_text(HEADER)  # a nil return
    (tmp_path / "e.csv").write_text(HEADER + "2025-26 Q1,AAA,v1,2025-03-02,X,30\n")
    sources = [Source(tmp_path / f"{name}.csv") for name in "abcde"]
    together = validate_together(sources, definition, today=TODAY, capture=True)
    assert isinstance(together[2], Unreadable)
    assert any(together[3].findings["code"] == "nil-return")  # type: ignore[union-attr]
    assert list(together[4].findings["rule"]) == ["seen-in-period"]  # type: ignore[union-attr]
    for source, result in zip(sources, together, strict=True):
        assert_same(result, _alone(source, definition))


_ROW = st.tuples(
    st.sampled_from(["v1", "v2", "v3", ""]),  # few IDs: repeats within and across returns
    st.integers(-20, 200),  # days after 1 April 2025 (some before the period, some after)
    st.sampled_from(["X", "Y", "Z", "x", "W", ""]),
    st.sampled_from(["10", "45", "400", "", "ten"]),
    st.sampled_from(["", "wrong"]),  # the row's own period, or another
    st.sampled_from(["", "BBB"]),  # the row's own provider, or another
)
_RETURN = st.tuples(
    st.sampled_from(PERIODS),
    st.sampled_from(["AAA", "BBB"]),
    st.booleans(),  # the period and provider said by the audit, or read from the rows
    st.lists(_ROW, min_size=1, max_size=8),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(returns=st.lists(_RETURN, min_size=2, max_size=4))
def test_generated_returns_validated_together_are_as_each_alone(
    tmp_path_factory: object, returns: list[tuple[str, str, bool, list[tuple[object, ...]]]]
) -> None:
    folder = tmp_path_factory.mktemp("visits")  # type: ignore[attr-defined]
    definition = _definition(folder)
    sources = []
    for n, (period, provider, said, rows) in enumerate(returns):
        lines = [HEADER.rstrip("\n")]
        for ident, day, kind, minutes, other_period, other_provider in rows:
            seen = dt.date(2025, 4, 1) + dt.timedelta(days=int(day))  # type: ignore[call-overload]
            row_period = "2025-26 Q2" if other_period and period == PERIODS[0] else period
            row_provider = other_provider or provider
            lines.append(f"{row_period},{row_provider},{ident},{seen},{kind},{minutes}")
        path = folder / f"r{n}.csv"
        path.write_text("\n".join(lines) + "\n")
        sources.append(Source(path, provider if said else None, period if said else None))
    together = validate_together(sources, definition, today=TODAY, capture=True)
    for source, result in zip(sources, together, strict=True):
        assert_same(result, _alone(source, definition))


def test_batches_hold_consecutive_returns_and_a_return_with_a_previous_one_alone(
    tmp_path: Path,
) -> None:
    files = []
    for n in range(6):
        path = tmp_path / f"r{n}.csv"
        path.write_bytes(b"x" * 1000)
        files.append(path)
    jobs = [Job(f, previous=files[0] if n == 3 else None) for n, f in enumerate(files)]
    assert batches(jobs, 1) == [[0, 1, 2], [3], [4, 5]]
    # two workers: batches of at most a quarter of the bytes each worker has
    assert batches(jobs, 2) == [[0], [1], [2], [3], [4], [5]]


def test_a_problem_on_more_rows_than_are_listed_is_counted_return_by_return(
    tmp_path: Path,
) -> None:
    # each return lists the first 1,000 rows of a problem and counts the rest in one finding:
    # returns checked as one frame must not share their 1,000
    definition = _definition(tmp_path)
    sizes = {"a": 1_500, "b": 1_000, "c": 1_100}
    for name, n in sizes.items():
        rows = [
            f"2025-26 Q1,AAA,{name}{i},2025-04-02,{'W' if i % 10 else 'X'},{'ten' if i else 40}"
            for i in range(n)
        ]
        (tmp_path / f"{name}.csv").write_text(HEADER + "\n".join(rows) + "\n")
    sources = [Source(tmp_path / f"{name}.csv") for name in sizes]
    together = validate_together(sources, definition, today=TODAY, capture=True)
    for source, result in zip(sources, together, strict=True):
        assert_same(result, _alone(source, definition))
    omitted = [sum(r.omitted.values()) for r in together]  # type: ignore[union-attr]
    # not minutes: n - 1 rows; a code not in the list: 9 rows in 10
    assert omitted == [499 + 350, 0 + 0, 99 + 0]
    first = together[0]
    assert isinstance(first, ReturnResult)
    counted = first.findings[first.findings["message"].str.contains("more row")]
    assert list(counted["line"]) == [1_003, 1_114]  # the first row not listed (i = 1,001, 1,112)
