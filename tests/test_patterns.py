"""Simple patterns tested on bytes agree with RE2 (pyarrow's regex search) value for value."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import FUZZ_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from lp_audit.checks.patterns import compile_simple, matches

CLASSES = [r"\d", "[0-8]", "[A-Za-z0-9-]", "[A-Z]", "[a-c_]", "[-x]", "-", "A", r"\.", r"\$", "[9]"]
QUANTIFIERS = ["", "{2}", "{1,3}", "{2,}", "+", "*", "?", "{0}"]


def _re2(pattern: str, text: pa.Array) -> np.ndarray:
    found = pc.match_substring_regex(text, pattern).fill_null(True)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.tuples(st.sampled_from(CLASSES), st.sampled_from(QUANTIFIERS))))
    body = "".join(c + q for c, q in pieces)
    return "^" + body + draw(st.sampled_from(["", "$"]))


def _values(pattern: str) -> st.SearchStrategy[list[str | None]]:
    alphabet = st.sampled_from(list("0189AZaxb_-.$é €\n"))
    near = st.from_regex(pattern).map(lambda v: v[:8])  # matches, or nearly, once cut
    return st.lists(st.none() | st.text(alphabet, max_size=6) | near, max_size=30)


@settings(max_examples=FUZZ_EXAMPLES * 5, deadline=None)
@given(pattern=patterns(), large=st.booleans(), start=st.integers(0, 3), data=st.data())
def test_simple_patterns_match_as_re2_does(
    pattern: str, large: bool, start: int, data: st.DataObject
) -> None:
    simple = compile_simple(pattern)
    if simple is None:  # left to RE2: only variable runs before other pieces
        return
    values = data.draw(_values(pattern))
    text = pa.array(values, type=pa.large_string() if large else pa.string())
    text = text.slice(min(start, len(text)))  # arrays that start inside their buffers
    assert np.array_equal(matches(simple, text), _re2(pattern, text)), (pattern, values)


@pytest.mark.parametrize(
    ("pattern", "values"),
    [
        (r"^\d{10}$", ["9434765919", "943476591", "94347659190", "943476591x", "", None, "９"]),
        (r"^[A-Za-z0-9-]{4,20}$", ["RTH-0001", "abc", "a" * 20, "a" * 21, "RTH 0001", "ÉTH1"]),
        ("^[0-8]", ["0", "9123", "8x", "", "é", None]),
        (r"^A[0-8]+$", ["A12", "A", "A19", "B1", "A1é"]),  # fixed piece, then a run
        (r"^\d[A-Z]{1,3}$", ["0A", "0ABC", "0ABCD", "0", "AA"]),
        (r"^[A-Z]{3}-\d{6}$", ["RTH-000123", "RTH-00012", "RT-0001234", "rth-000123"]),
    ],
)
def test_patterns_of_definitions_match_as_re2_does(pattern: str, values: list[str | None]) -> None:
    simple = compile_simple(pattern)
    assert simple is not None
    for kind in (pa.string(), pa.large_string()):
        text = pa.array(values, type=kind)
        assert matches(simple, text).tolist() == _re2(pattern, text).tolist()


@pytest.mark.parametrize(
    "pattern",
    [r"^\d{10}$", r"^[A-Za-z0-9-]{4,20}$", "^[0-8]", r"^[A-Z]{3}-\d{6}$", r"^\d+$", "^$", r"^a\$"],
)
def test_definitions_patterns_are_understood(pattern: str) -> None:
    assert compile_simple(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    [
        r"\d{10}",  # not anchored: a search anywhere
        "^(a|b)$",
        "^[^a]$",
        r"^\w+$",
        "^.$",
        "^a+?",
        "^[A-Z]{1,2}[0-9]$",  # a variable run before other pieces
        "(?i)^a$",
        "^[z-a]$",
        "^é$",
    ],
)
def test_other_patterns_are_left_to_re2(pattern: str) -> None:
    assert compile_simple(pattern) is None


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(values=st.lists(st.none() | st.text(st.sampled_from(list("09 \t\n\r\x0b\x0cé\xa0")))))
def test_values_holding_whitespace_are_those_re2_finds(values: list[str | None]) -> None:
    from lp_audit.checks.patterns import holding

    text = pa.array(values, type=pa.large_string())
    expected = pc.match_substring_regex(text, r"\s").fill_null(False)
    assert holding(text, " \t\n\f\r").tolist() == expected.to_pylist()
