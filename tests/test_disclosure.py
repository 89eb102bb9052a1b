"""The disclosure plan on hand-made tables: what it hides, and that nothing hidden can be solved."""

from __future__ import annotations

import pytest

from lp_audit.auditing import ALL
from lp_audit.auditing.config import Suppression
from lp_audit.reports.disclosure import PRIMARY, SECONDARY, Plan, Relation

POLICY = Suppression(min_count=5, min_denominator=10)


def _grid(cells: dict[tuple[str, str], int]) -> tuple[dict, list[Relation]]:  # type: ignore[type-arg]
    """Providers x codes with each provider's total and the network's, as a reader sees them."""
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    values: dict[tuple[str, ...], float] = {("code", r, "q", c): n for (r, c), n in cells.items()}
    relations = []
    for r in [*rows, ALL]:
        if r == ALL:
            for c in cols:
                values[("code", ALL, "q", c)] = sum(cells[x, c] for x in rows)
                relations.append(
                    Relation(("code", ALL, "q", c), tuple(("code", x, "q", c) for x in rows))
                )
        values[("codes", r, "q")] = sum(values[("code", r, "q", c)] for c in cols)
        relations.append(Relation(("codes", r, "q"), tuple(("code", r, "q", c) for c in cols)))
    relations.append(Relation(("codes", ALL, "q"), tuple(("codes", r, "q") for r in rows)))
    return values, relations


def test_one_small_cell_is_hidden_with_partners_in_its_row_and_column() -> None:
    values, relations = _grid(
        {
            ("A", "x"): 3,
            ("A", "y"): 40,
            ("B", "x"): 20,
            ("B", "y"): 50,
            ("C", "x"): 30,
            ("C", "y"): 60,
        }
    )
    plan = Plan(values, relations, POLICY)
    assert plan.why(("code", "A", "q", "x")) == PRIMARY
    # a partner in its provider's row and one in its code's column, then whatever the solver
    # shows is still needed; never the network's totals, which every comparison needs
    assert plan.why(("code", "A", "q", "y")) == SECONDARY
    assert plan.why(("code", "B", "q", "x")) == SECONDARY
    assert plan.shown(*(k for k in values if k[1] == ALL))
    assert len(plan.hidden) <= 6
    assert plan.recoverable() == {}


def test_a_small_count_alone_in_its_column_is_protected_through_the_totals() -> None:
    values, relations = _grid(
        {
            ("A", "x"): 2,
            ("A", "y"): 40,
            ("B", "x"): 0,
            ("B", "y"): 50,
            ("C", "x"): 0,
            ("C", "y"): 60,
        }
    )
    plan = Plan(values, relations, POLICY)
    assert plan.why(("code", "A", "q", "x")) == PRIMARY
    # the column total equals the hidden cell, so it must go too
    assert not plan.shown(("code", ALL, "q", "x"))
    assert plan.recoverable() == {}


def test_recoverable_finds_what_one_sum_at_a_time_misses() -> None:
    values = {
        ("a", "p", "q"): 2.0,
        ("b", "p", "q"): 7.0,
        ("t", "p", "q"): 9.0,
        ("u", "p", "q"): 7.0,
    }
    relations = [
        Relation(("t", "p", "q"), (("a", "p", "q"), ("b", "p", "q"))),
        Relation(("u", "p", "q"), (("b", "p", "q"),)),
    ]
    plan = Plan(values, relations, POLICY, enabled=False)
    plan.hidden = {("a", "p", "q"): PRIMARY, ("b", "p", "q"): SECONDARY}
    # two hidden in t's sum, but u gives b away, and then t gives a away
    assert set(plan.recoverable()) == {("a", "p", "q")}


@pytest.mark.parametrize(("applicable", "hidden"), [(14, True), (400, False)])
def test_a_rounded_score_is_hidden_only_when_it_pins_a_hidden_count(
    applicable: int, hidden: bool
) -> None:
    valid = ("class", "P", "q", "f", "valid")
    other = ("class", "P", "q", "g", "valid")
    values = {valid: 3.0, other: float(applicable), ("score", "P", "q"): 0.5}
    weights = (0.5 / applicable, 0.5 / applicable)
    relations = [Relation(("score", "P", "q"), (valid, other), weights, step=0.01)]
    plan = Plan(values, relations, POLICY, counts=[valid, other])
    assert plan.why(valid) == PRIMARY
    assert (plan.why(("score", "P", "q")) is not None) is hidden


def test_a_disabled_plan_hides_nothing() -> None:
    values, relations = _grid({("A", "x"): 1, ("A", "y"): 2, ("B", "x"): 3, ("B", "y"): 4})
    assert Plan(values, relations, POLICY, enabled=False).hidden == {}
