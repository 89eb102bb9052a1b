"""Return rules (unique keys, possible double counts) agree with pandas' plain reading of them.

The rules number each key column once, on the rows still in question, rather than asking
pandas for ``duplicated`` over every column. The reference here is the direct pandas
expression of each rule, on random frames with repeats, blanks, text, codes and dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
from conftest import FUZZ_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from lp_audit.checks import build_schema
from lp_audit.definitions import ReturnRule, load_definition

COLUMNS = ["person", "day", "site", "ref"]


def _unique(frame: pd.DataFrame, same: list[str]) -> np.ndarray:
    present = frame[same].notna().all(axis=1)
    return (~(present & frame.duplicated(subset=same, keep="first"))).to_numpy()


def _double_count(frame: pd.DataFrame, same: list[str], differ: list[str]) -> np.ndarray:
    present = frame[same + differ].notna().all(axis=1)
    sub = frame[present]
    variety = sub.groupby(same)[differ].transform("nunique").max(axis=1)
    later = sub.duplicated(subset=same, keep="first")
    flagged = ((variety > 1) & later).reindex(frame.index, fill_value=False)
    return (~flagged).to_numpy(dtype=bool)


def _frames() -> st.SearchStrategy[pd.DataFrame]:
    def frame(rows: list[tuple]) -> pd.DataFrame:
        people, days, sites, refs = zip(*rows, strict=True) if rows else ([], [], [], [])
        return pd.DataFrame(
            {
                "person": pd.Series(people, dtype="str"),
                "day": pd.to_datetime(pd.Series(days, dtype="object")).astype("<M8[s]"),
                "site": pd.Categorical(sites, categories=["A", "B", "C"]),
                "ref": pd.array(refs, dtype="Int64"),
            },
            index=pd.RangeIndex(10, 10 + len(rows)),  # not positions: results keep the index
        )

    row = st.tuples(
        st.sampled_from(["P1", "P2", "P3", "P4", None]),
        st.sampled_from([dt.date(2025, 7, 1), dt.date(2025, 7, 2), None]),
        st.sampled_from(["A", "B", "C", None]),
        st.sampled_from([1, 2, 3, None]),
    )
    return st.lists(row, max_size=25).map(frame)


def _keys() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3, unique=True)


def _passes(rule: ReturnRule, frame: pd.DataFrame) -> np.ndarray:
    definition = load_definition("hbyw-quarterly-return@1.0")
    definition = dataclasses.replace(definition, return_rules=(rule,))
    [built] = [r for r in build_schema(definition).rules if r.kind == "return"]
    result = built.checks[0].fn(frame)
    assert result.index.equals(frame.index)
    return result.to_numpy(dtype=bool)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(frame=_frames(), same=_keys())
def test_unique_keys_match_pandas_duplicated(frame: pd.DataFrame, same: list[str]) -> None:
    rule = ReturnRule("unique-key", "unique", tuple(same), "error", "Keys repeat.")
    assert np.array_equal(_passes(rule, frame), _unique(frame, same))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(frame=_frames(), same=_keys(), data=st.data())
def test_double_counts_match_pandas_groupby(
    frame: pd.DataFrame, same: list[str], data: st.DataObject
) -> None:
    others = [c for c in COLUMNS if c not in same]
    if not others:
        return
    differ = data.draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
    rule = ReturnRule("double", "duplicate", tuple(same), "warning", "Twice?", tuple(differ))
    assert np.array_equal(_passes(rule, frame), _double_count(frame, same, differ))
