"""What a condition reads: its field tests and compares, the fields of its own row, and
those it reads from elsewhere (another row of its group, the previous return, another
table)."""

from __future__ import annotations

from lp_audit.definitions.conditions import (
    AGGREGATES,
    BEFORE,
    RELATIVES,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldTest,
    Not,
    Operand,
    split_name,
)


def field_tests(condition: Condition) -> list[FieldTest]:
    """Every field test in ``condition``, in order."""
    if isinstance(condition, FieldTest):
        return [condition]
    if isinstance(condition, AllOf | AnyOf):
        return [t for c in condition.conditions for t in field_tests(c)]
    if isinstance(condition, Not):
        return field_tests(condition.condition)
    return []


def compares(condition: Condition) -> list[Compare]:
    """Every compare in ``condition``, in order."""
    if isinstance(condition, Compare):
        return [condition]
    if isinstance(condition, AllOf | AnyOf):
        return [t for c in condition.conditions for t in compares(c)]
    if isinstance(condition, Not):
        return compares(condition.condition)
    return []


def written(condition: Condition) -> list[str]:
    """Every field name ``condition`` reads, as written (``previous.F``, ``header.F``, ``F``),
    each once, in order."""
    names: list[str] = []
    if isinstance(condition, FieldTest):
        names.append(condition.field)
    elif isinstance(condition, Compare):
        names += [*condition.left.names(), *condition.right.names()]
    elif isinstance(condition, AllOf | AnyOf):
        names += [n for c in condition.conditions for n in written(c)]
    elif isinstance(condition, Not):
        names += written(condition.condition)
    return list(dict.fromkeys(names))


def own_fields(condition: Condition) -> list[str]:
    """The fields ``condition`` reads from the row itself (not ``previous.F``), in order."""
    return [n for n in written(condition) if split_name(n)[0] is None]


def grouped_parts(condition: Condition) -> tuple[list[str], list[Operand]]:
    """What ``condition`` reads from other rows of a group: the relatives (``previous.F``,
    as written) and the aggregates (``sum(F)``), each once, in order."""
    relatives = [n for n in written(condition) if split_name(n)[0] in RELATIVES]
    aggregates = [
        operand
        for comp in compares(condition)
        for operand in (comp.left, comp.right)
        if operand.kind in AGGREGATES
    ]
    return relatives, list(dict.fromkeys(aggregates))


def table_names(condition: Condition) -> list[str]:
    """The fields ``condition`` reads from another table (``header.DOB``, as written)."""
    return [n for n in written(condition) if split_name(n)[0] not in (None, *RELATIVES, BEFORE)]


def before_names(condition: Condition) -> list[str]:
    """The fields ``condition`` reads from the previous return (``before.F``, as written)."""
    return [n for n in written(condition) if split_name(n)[0] == BEFORE]


def table_counts(condition: Condition) -> list[Operand]:
    """The counts of another table's rows ``condition`` compares (``count(episodes)``: the
    episodes of the header row's child), each once."""
    found = [
        operand
        for comp in compares(condition)
        for operand in (comp.left, comp.right)
        if operand.kind == "rows_in"
    ]
    return list(dict.fromkeys(found))
