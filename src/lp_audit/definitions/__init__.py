"""Data definitions: YAML files loaded into frozen models, checked with every problem reported.

A definition says, for one kind of return, what each field means, its type, its codes, when it
is required and which rules it must meet. See the README for the format. Loading checks the
definition itself and raises one :class:`DefinitionError` listing every problem found, each as
``file:line: path: message``.

- :mod:`~lp_audit.definitions.model`, :mod:`~lp_audit.definitions.links`: the frozen
  dataclasses (links: tables, lookups, the previous return, continuity);
- :mod:`~lp_audit.definitions.forms`: how dates and times of day are written;
- :mod:`~lp_audit.definitions.conditions`, :mod:`~lp_audit.definitions.walk`: the condition
  language, and what a condition reads;
- :mod:`~lp_audit.definitions.located`: YAML with the line of every value;
- :mod:`~lp_audit.definitions.reader`, :mod:`~lp_audit.definitions.rules`,
  :mod:`~lp_audit.definitions.references`, :mod:`~lp_audit.definitions.parser`: YAML into the
  model (code lists and lookup tables from CSV files beside it), every problem collected;
- :mod:`~lp_audit.definitions.changes`: a version written as changes to another;
- :mod:`~lp_audit.definitions.selfcheck`: cross-references within one definition;
- :mod:`~lp_audit.definitions.registry`: files, the bundled definitions, choosing a version;
- :mod:`~lp_audit.definitions.checking`: many definition files checked at once.
"""

from __future__ import annotations

from lp_audit.definitions.checking import DefinitionCheck, check_definitions
from lp_audit.definitions.conditions import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldTest,
    Not,
    Operand,
)
from lp_audit.definitions.forms import DATE_FORMATS
from lp_audit.definitions.links import (
    Continuity,
    Lookup,
    PreviousReturn,
    Table,
)
from lp_audit.definitions.model import (
    FIELD_TYPES,
    Code,
    Constraint,
    Definition,
    Field,
    Group,
    Limit,
    Metric,
    ReturnRule,
    Rule,
    Tolerance,
    header_key,
)
from lp_audit.definitions.registry import (
    DefinitionInfo,
    bundled_definitions_dir,
    is_path_spec,
    list_definitions,
    load_definition,
    load_definition_file,
)

__all__ = [
    "DATE_FORMATS",
    "FIELD_TYPES",
    "AllOf",
    "AnyOf",
    "Code",
    "Compare",
    "Condition",
    "Constraint",
    "Continuity",
    "Definition",
    "DefinitionCheck",
    "DefinitionInfo",
    "Field",
    "FieldTest",
    "Group",
    "Limit",
    "Lookup",
    "Metric",
    "Not",
    "Operand",
    "PreviousReturn",
    "ReturnRule",
    "Rule",
    "Table",
    "Tolerance",
    "bundled_definitions_dir",
    "check_definitions",
    "header_key",
    "is_path_spec",
    "list_definitions",
    "load_definition",
    "load_definition_file",
]
