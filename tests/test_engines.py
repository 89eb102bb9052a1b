"""The two engines that run a return's checks, pandera and direct evaluation, agree.

``lp_audit.checks.runner.run_checks`` takes pandera up to 100,000 rows and evaluates the same
check objects directly above (and for chunks). Both are asked for here by name, on generated
returns of many sizes, shapes and defects, so no constant is patched to reach either.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_audit import load_definition
from lp_audit.checks import Context, build_schema
from lp_audit.checks.parsing import parse_return
from lp_audit.checks.runner import run_checks
from lp_audit.periods import Period
from lp_audit.synthetic import make_return

DEFINITION = load_definition("hbyw-quarterly-return@1.0")


@st.composite
def returns(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(0, 400))
    frame, _ = make_return(
        rows,
        provider=draw(st.sampled_from(["RTH", "SGT", "OAS"])),
        seed=draw(st.integers(0, 2**16)),
        defects=draw(st.integers(0, max(0, rows - 1))),
        unknown_share=draw(st.floats(0, 0.5)),
    )
    if rows:
        # repeated IDs, and values the generator does not make: blanks, spaces, other cases
        repeats = draw(st.lists(st.integers(0, rows - 1), max_size=5))
        for i in repeats:
            frame.loc[i, "referral_id"] = frame.loc[0, "referral_id"]
        odd = draw(st.lists(st.sampled_from(["", " ", "x", "0A", "N/A", "99"]), max_size=5))
        for i, value in enumerate(odd):
            column = draw(st.sampled_from(list(frame.columns)))
            frame.loc[i % rows, column] = value
        dropped = draw(st.lists(st.sampled_from(list(frame.columns)), max_size=3))
        frame = frame.drop(columns=list(set(dropped)))
    return frame


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(returns(), st.booleans())
def test_pandera_and_direct_evaluation_find_the_same_rows(
    frame: pd.DataFrame, context: bool
) -> None:
    parsed = parse_return(frame.astype("str"), DEFINITION)
    when = Context(Period.parse("2025-26 Q2"), "RTH") if context else Context()
    schema = build_schema(DEFINITION, when)
    rules = [r for r in schema.rules if all(c in parsed.typed.columns for c in r.columns)]
    by_pandera = run_checks(schema, parsed.typed, rules, parsed.distinct, engine="pandera")
    direct = run_checks(schema, parsed.typed, rules, parsed.distinct, engine="direct")
    # the same checks failing on the same rows, in the same order (names as plain text)
    assert list(zip(by_pandera["check"].astype(str), by_pandera["index"], strict=True)) == list(
        zip(direct["check"].astype(str), direct["index"], strict=True)
    )
