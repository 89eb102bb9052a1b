"""Safe YAML loading that remembers the line of every value, for precise definition errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
import yaml.composer

#: A definition is a few hundred lines; anything far larger is not a definition.
MAX_DEFINITION_BYTES = 2_000_000
#: How deep values may nest: a definition needs about ten levels (a condition of all, any
#: and not inside a field inside the list of fields); thousands exhaust Python's stack.
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class YamlProblem(Exception):
    """The text is not YAML that a definition may use (syntax, aliases, tags)."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class LocatedYaml:
    """Plain Python data from a YAML document plus the 1-based line of each node by path."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class _NoAliasComposer(yaml.composer.Composer):
    """A composer that refuses anchors and aliases (they can build huge documents); a mixin
    over a parser, which gives the events."""

    if TYPE_CHECKING:

        def check_event(self, *choices: Any) -> bool: ...

        def peek_event(self) -> Any: ...

    _path: list[str | int]

    def compose_node(self, parent: Any, index: Any) -> Any:
        path = self.__dict__.setdefault("_path", [])
        if isinstance(index, yaml.ScalarNode):
            path.append(str(index.value))
        elif isinstance(index, int) and not isinstance(index, bool):
            path.append(index)
        else:
            path.append("")  # the document, or a mapping key
        try:
            if len(path) > MAX_DEPTH:
                event = self.peek_event()
                shown = ".".join(str(p) for p in path[1:7] if p != "")
                raise YamlProblem(
                    event.start_mark.line + 1,
                    f"{shown}…: values nest more than {MAX_DEPTH} levels deep here; a "
                    "definition needs about ten (write the condition with fewer levels)",
                )
            return self._compose_checked(parent, index)
        finally:
            path.pop()

    def _compose_checked(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlProblem(
                event.start_mark.line + 1,
                "aliases (*name) are not allowed in definitions: write the value out in full",
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise YamlProblem(
                event.start_mark.line + 1,
                f"anchors (&{anchor}) are not allowed in definitions: write the value out in full",
            )
        return super().compose_node(parent, index)


class _NoAliasLoader(_NoAliasComposer, yaml.SafeLoader):
    """PyYAML's safe loader in Python, with the composer above."""


if yaml.__with_libyaml__:

    class _FastNoAliasLoader(_NoAliasComposer, yaml.CSafeLoader):
        """The same with libyaml reading the text, ten times faster (a definition in 4 ms
        rather than 44 ms, which every command that validates pays). libyaml would compose
        too; the composer above comes first, so aliases are still refused."""

        def __init__(self, stream: str) -> None:
            yaml.CSafeLoader.__init__(self, stream)
            _NoAliasComposer.__init__(self)  # what libyaml's loader leaves out

    _Loader: type = _FastNoAliasLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _Loader = _NoAliasLoader


def load_located(text: str) -> LocatedYaml:
    """Parse ``text`` as one YAML document of plain data, recording the line of every node.

    Raises:
        YamlProblem: on a syntax error, an alias or anchor, a non-plain tag such as
            ``!!python/object``, or duplicate mapping keys.
    """
    if len(text) > MAX_DEFINITION_BYTES:
        raise YamlProblem(None, f"file is larger than {MAX_DEFINITION_BYTES:,} characters")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlProblem(line, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    located = LocatedYaml(data=None)
    if node is None:
        return located
    located.data = _convert(node, (), located.lines, loader)
    return located


def _convert(node: yaml.Node, path: Path_, lines: dict[Path_, int], loader: Any) -> Any:
    lines[path] = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        raise YamlProblem(
            node.start_mark.line + 1,
            f"the tag {node.tag!r} is not allowed: definitions hold plain text, numbers, "
            "lists and mappings only",
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(key_node.start_mark.line + 1, "mapping keys must be plain text")
            key = str(key_node.value)
            if key == "<<":
                raise YamlProblem(key_node.start_mark.line + 1, "merge keys (<<) are not allowed")
            if key in result:
                raise YamlProblem(
                    key_node.start_mark.line + 1, f"the key {key!r} appears twice in one mapping"
                )
            child = (*path, key)
            result[key] = _convert(value_node, child, lines, loader)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, loader) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:timestamp":
        return str(node.value)
    return loader.construct_object(node, deep=True)
