"""Checking definition files in bulk, as ``lp-audit definitions check`` and CI do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lp_audit.definitions.model import Definition
from lp_audit.definitions.registry import load_definition_file
from lp_audit.errors import DefinitionError, DefinitionProblem, LpAuditError


@dataclass(frozen=True)
class DefinitionCheck:
    """One definition file checked: the definition when it loads, else every problem."""

    path: Path
    definition: Definition | None
    problems: tuple[DefinitionProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.definition is not None


def check_definitions(paths: Iterable[str | Path]) -> list[DefinitionCheck]:
    """Load every definition file under ``paths`` (files, or folders searched for ``*.yaml``)
    and say, for each, what loaded or every problem as ``file:line: path: message``."""
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    checks = []
    for file in files:
        try:
            checks.append(DefinitionCheck(file, load_definition_file(file)))
        except DefinitionError as exc:
            checks.append(DefinitionCheck(file, None, exc.problems))
        except LpAuditError as exc:
            checks.append(
                DefinitionCheck(
                    file,
                    None,
                    (DefinitionProblem(str(file), None, "", str(exc).removeprefix(f"{file}: ")),),
                )
            )
    return checks
