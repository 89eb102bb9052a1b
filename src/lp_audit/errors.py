"""The exceptions lp_audit raises when it cannot run at all (bad data is a finding, not an error)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LpAuditError(Exception):
    """Base class: something stopped lp_audit from doing what was asked."""


@dataclass(frozen=True)
class DefinitionProblem:
    """One mistake in a definition file, located as precisely as the file allows."""

    source: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class DefinitionError(LpAuditError):
    """A definition could not be loaded; ``problems`` lists every mistake found."""

    def __init__(self, problems: Sequence[DefinitionProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the definition"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class DefinitionNotFoundError(LpAuditError):
    """No definition matches the name, version or path asked for."""


class ReturnReadError(LpAuditError):
    """A return file could not be read at all (missing, a folder, unreadable, not a table)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class OutputError(LpAuditError):
    """An output file could not be written."""


class OptionError(LpAuditError):
    """An option names something the definition does not know (a provider, say)."""
