"""The primitives every part of the definition parser uses: typed values with located problems."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from lp_audit.definitions.links import Severity
from lp_audit.definitions.located import LocatedYaml, Path_
from lp_audit.definitions.model import SEVERITIES
from lp_audit.errors import DefinitionProblem
from lp_audit.periods import Every, Period


class ParserBase:
    """Reads located YAML into models, collecting every problem instead of stopping early."""

    def __init__(self, located: LocatedYaml, source: str) -> None:
        self.located = located
        self.source = source
        self.problems: list[DefinitionProblem] = []
        #: reference files read (a code list), relative to the definition: their SHA-256
        self.references: dict[str, str] = {}

    # -- helpers -----------------------------------------------------------------------------

    def problem(self, path: Path_, message: str, line: int | None = None) -> None:
        self.problems.append(
            DefinitionProblem(
                self.source,
                line if line is not None else self.located.line(path),
                render_path(path, self.located.data),
                message,
            )
        )

    def mapping(self, value: Any, path: Path_, allowed: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(
                path, f"expected a mapping (key: value lines), found {describe_kind(value)}"
            )
            return None
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                self.problem(
                    (*path, key),
                    f"unknown key {key!r}{suggestion} (allowed: {', '.join(sorted(allowed))})",
                )
        return value

    def entries(
        self, value: Any, path: Path_, allowed: Iterable[str], noun: str
    ) -> Iterator[tuple[Path_, dict[str, Any]]]:
        """Each entry of a list of mappings (``lookups:``, ``tables:``) with its path; a
        value that is not a list, or an entry that is not a mapping, is a problem."""
        if value is None:
            return
        if not isinstance(value, list):
            self.problem(path, f"expected a list of {noun}, found {describe_kind(value)}")
            return
        for i, item in enumerate(value):
            data = self.mapping(item, (*path, i), allowed)
            if data is not None:
                yield (*path, i), data

    def text(
        self, data: Mapping[str, Any], key: str, path: Path_, *, required: bool = False
    ) -> str | None:
        if key not in data or data[key] is None:
            if required:
                self.problem(path, f"missing required key {key!r}")
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem((*path, key), f"expected text, found {describe_kind(value)}")
            return None
        return str(value)

    def boolean(
        self, data: Mapping[str, Any], key: str, path: Path_, *, default: bool = False
    ) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem((*path, key), f"expected true or false, found {describe_kind(value)}")
            return default
        return value

    def text_list(self, data: Mapping[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str | int) and not isinstance(value, bool):
            return (str(value),)
        if not isinstance(value, list) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        ):
            self.problem(
                (*path, key), f"expected a list of text values, found {describe_kind(value)}"
            )
            return ()
        return tuple(str(v) for v in value)

    def severity(self, data: Mapping[str, Any], path: Path_) -> Severity:
        value = data.get("severity", "error")
        if value not in SEVERITIES:
            self.problem((*path, "severity"), f"severity must be error or warning, not {value!r}")
            return "error"
        sev: Severity = value
        return sev

    def period(
        self,
        data: Mapping[str, Any],
        key: str,
        path: Path_,
        every: Every | None = None,
        starts: int | None = None,
    ) -> Period | None:
        text = self.text(data, key, path)
        if text is None:
            return None
        try:
            return Period.parse(text, every, starts)
        except ValueError as exc:
            self.problem((*path, key), str(exc))
            return None


def describe_kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the text {str(value)[:40]!r}"


def render_path(path: Path_, data: Any) -> str:
    """``fields[3].codes`` rendered with field names where known: ``fields.gender.codes``."""
    parts: list[str] = []
    node = data
    for step in path:
        if isinstance(step, int):
            name = (
                node[step].get("name")
                if isinstance(node, list) and step < len(node) and isinstance(node[step], dict)
                else None
            )
            id_ = (
                node[step].get("id")
                if isinstance(node, list) and step < len(node) and isinstance(node[step], dict)
                else None
            )
            label = name or id_
            if label is not None and isinstance(label, str | int):
                parts.append(f".{label}")
            else:
                parts.append(f"[{step}]")
        else:
            parts.append(f".{step}" if parts else str(step))
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts).lstrip(".")


# --------------------------------------------------------------------------------------------
# Versions expressed as changes
