"""A definition at a glance: what ``lp-audit definitions show`` prints, as data."""

from __future__ import annotations

from dataclasses import dataclass

from lp_audit.definitions import Definition
from lp_audit.findings import shorten


@dataclass(frozen=True)
class FieldSummary:
    """One field in a line: type, status, codes (``*`` marks a 'not known' code), rules."""

    number: int
    name: str
    label: str
    type: str
    status: str
    codes: str
    rules: str
    sensitive: bool


@dataclass(frozen=True)
class DefinitionSummary:
    """A definition's identity, its fields, and how many rules it has."""

    title: str
    ref: str
    in_force: str
    description: str
    fields: tuple[FieldSummary, ...]
    rules: int
    return_rules: int


def describe_definition(definition: Definition) -> DefinitionSummary:
    """The definition summarised field by field."""
    fields = tuple(
        FieldSummary(
            number,
            f.name,
            f.label,
            f.type + {None: "", "allowed": " (time allowed)", "required": " and time"}[f.time],
            f.status,
            shorten([c.value + ("*" if c.unknown else "") for c in f.codes], 6) if f.codes else "",
            "; ".join(c.describe() for c in f.constraints),
            f.sensitive,
        )
        for number, f in enumerate(definition.fields, start=1)
    )
    return DefinitionSummary(
        definition.title,
        definition.ref,
        definition.describe_in_force(),
        definition.description,
        fields,
        len(definition.rules),
        len(definition.return_rules),
    )
