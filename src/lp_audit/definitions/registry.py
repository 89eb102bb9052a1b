"""Loading definition files, and finding the bundled definitions and their versions."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lp_audit.definitions.changes import apply_changes
from lp_audit.definitions.located import YamlProblem, load_located
from lp_audit.definitions.model import (
    Definition,
)
from lp_audit.definitions.parser import Parser
from lp_audit.definitions.selfcheck import check_definition
from lp_audit.errors import DefinitionError, DefinitionNotFoundError, DefinitionProblem
from lp_audit.files import not_a_regular_file
from lp_audit.periods import Period

# --------------------------------------------------------------------------------------------
# Loading and finding definitions


def is_path_spec(spec: str | Path) -> bool:
    """Whether a definition spec names a file rather than a bundled ``NAME[@VERSION]``."""
    text = str(spec)
    return isinstance(spec, Path) or text.endswith((".yaml", ".yml")) or "/" in text or "\\" in text


def load_definition_file(path: str | Path, _chain: tuple[str, ...] = ()) -> Definition:
    """Load and check one definition file, resolving ``extends`` from the same folder.

    Loaded definitions are cached by path, size and modification time: they are immutable.

    Raises:
        DefinitionError: listing every problem in the file (and in its base).
        DefinitionNotFoundError: if the file does not exist.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return _load_definition_file(path, _chain)
    key = (path, stat.st_size, stat.st_mtime_ns)
    cached = _CACHE.get(key)
    if cached is not None and not _references_unchanged(path, cached):
        cached = None  # a code list it reads was edited: read it all again
    if cached is None:
        # a base loaded for the version that extends it is kept too: loaded again on its own,
        # as a return of its period asks, it would cost another parse of its YAML
        cached = _load_definition_file(path, _chain)
        if len(_CACHE) >= 64:
            _CACHE.clear()
        _CACHE[key] = cached
    return cached


def _references_unchanged(path: Path, definition: Definition) -> bool:
    """Whether the code lists a cached definition read are still those bytes."""
    import hashlib

    for relative, digest in definition.references:
        try:
            data = (path.parent / relative).read_bytes()
        except OSError:
            return False
        if hashlib.sha256(data).hexdigest() != digest:
            return False
    return True


#: Loaded definitions by path, size and modification time. A definition that failed to load
#: is not kept; one that loaded, with or without a chain of versions extending it, is the
#: same definition (a loop of versions fails wherever it is entered).
_CACHE: dict[tuple[Path, int, int], Definition] = {}


def _load_definition_file(path: Path, _chain: tuple[str, ...]) -> Definition:
    source = str(path)
    problem = not_a_regular_file(path)
    if problem is not None:
        raise DefinitionNotFoundError(f"{path}: {problem}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DefinitionNotFoundError(f"{path}: no such definition file") from None
    except IsADirectoryError:
        raise DefinitionNotFoundError(f"{path}: is a folder, not a definition file") from None
    except OSError as exc:
        raise DefinitionNotFoundError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            [DefinitionProblem(source, line, "", "the file is not UTF-8 text: save it as UTF-8")]
        ) from None
    if "\x00" in text:
        raise DefinitionError([DefinitionProblem(source, None, "", "the file is binary, not YAML")])
    try:
        located = load_located(text)
    except YamlProblem as exc:
        raise DefinitionError([DefinitionProblem(source, exc.line, "", exc.message)]) from None
    parser = Parser(located, source)
    top, definition = parser.definition()
    if definition is not None and definition.extends is not None:
        definition = _resolve_base(parser, top, definition, path, _chain)
    elif "changes" in top:
        parser.problem(("changes",), "'changes' needs 'extends' to name the version it changes")
    if definition is not None:
        check_definition(parser, definition)
    if parser.problems or definition is None:
        raise DefinitionError(parser.problems)
    return _with_codes(definition)


def _with_codes(definition: Definition) -> Definition:
    """Every ``in_codes_of`` test of the definition given the codes of the field it names (a
    field of the whole definition, its base's included), and every lookup its table."""
    from dataclasses import replace

    from lp_audit.definitions.conditions import with_codes

    codes = {f.name: tuple(c.value for c in f.codes) for f in definition.fields}
    tables = {lookup.name: lookup.table for lookup in definition.lookups}

    def fill(condition: Any) -> Any:
        return with_codes(condition, codes, tables) if condition is not None else None

    return replace(
        definition,
        fields=tuple(
            replace(f, required_when=fill(f.required_when)) if f.required_when else f
            for f in definition.fields
        ),
        rules=tuple(replace(r, check=fill(r.check), when=fill(r.when)) for r in definition.rules),
        metrics=tuple(replace(m, where=fill(m.where), of=fill(m.of)) for m in definition.metrics),
        continuity=replace(definition.continuity, open_when=fill(definition.continuity.open_when))
        if definition.continuity is not None
        else None,
    )


def _resolve_base(
    parser: Parser, top: dict[str, Any], head: Definition, path: Path, chain: tuple[str, ...]
) -> Definition:
    base_version = head.extends or ""
    if head.ref in chain:
        parser.problem(
            ("extends",), "versions extend each other in a loop: " + " -> ".join((*chain, head.ref))
        )
        return head
    base_path = _find_version_file(path.parent, head.name, base_version)
    if base_path is None:
        available = ", ".join(
            sorted(info.version for info in _scan(path.parent) if info.name == head.name)
        )
        parser.problem(
            ("extends",),
            f"cannot find {head.name} version {base_version!r} beside this file"
            + (f" (found: {available})" if available else ""),
        )
        return head
    try:
        base = load_definition_file(base_path, (*chain, head.ref))
    except DefinitionError as exc:
        parser.problems.extend(exc.problems)
        return head
    return apply_changes(parser, top, head, base)


@dataclass(frozen=True)
class DefinitionInfo:
    """What ``definitions list`` shows: a definition's identity and where it lives."""

    name: str
    version: str
    title: str
    in_force_from: Period | None
    in_force_to: Period | None
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def bundled_definitions_dir() -> Path:
    """The folder of definitions that ship with lp_audit."""
    packaged = Path(__file__).parents[1] / "_definitions"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "definitions"  # a source checkout


def _scan(folder: Path) -> list[DefinitionInfo]:
    """Every definition file in ``folder``, remembered until a file changes."""
    files = sorted(folder.rglob("*.yaml"))
    stamps = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        stamps.append((file, stat.st_size, stat.st_mtime_ns))
    return list(_scan_files(tuple(stamps)))


@functools.lru_cache(maxsize=16)
def _scan_files(stamps: tuple[tuple[Path, int, int], ...]) -> tuple[DefinitionInfo, ...]:
    infos = []
    for file, _, _ in stamps:
        try:
            located = load_located(_head(file.read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError, YamlProblem):
            continue
        data = located.data
        if not isinstance(data, dict) or "name" not in data or "version" not in data:
            continue
        span: dict[str, Any] = data["in_force"] if isinstance(data.get("in_force"), dict) else {}
        infos.append(
            DefinitionInfo(
                str(data["name"]),
                str(data["version"]),
                str(data.get("title", "")),
                _maybe_period(span.get("from")),
                _maybe_period(span.get("to")),
                file,
            )
        )
    return tuple(infos)


def _head(text: str) -> str:
    """The top of a definition, before its fields: enough to list it, quick to parse."""
    match = re.search(r"^(fields|changes|rules|return_rules):", text, flags=re.MULTILINE)
    return text[: match.start()] if match else text


def _maybe_period(value: Any) -> Period | None:
    try:
        return Period.parse(str(value)) if value is not None else None
    except ValueError:
        return None


def _find_version_file(folder: Path, name: str, version: str) -> Path | None:
    for info in _scan(folder):
        if info.name == name and info.version == version:
            return info.path
    return None


def list_definitions(folder: Path | None = None) -> list[DefinitionInfo]:
    """Every definition in ``folder`` (default: the bundled ones), sorted by name and version."""
    infos = _scan(folder or bundled_definitions_dir())
    return sorted(infos, key=lambda i: (i.name, _version_key(i.version)))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def load_definition(spec: str | Path, *, period: Period | None = None) -> Definition:
    """Load a definition by path, or by ``NAME`` or ``NAME@VERSION`` from the bundled ones.

    With a bare ``NAME``, the version in force for ``period`` is chosen (by default, the
    period of today), or the latest when none is in force then.

    Raises:
        DefinitionNotFoundError: if nothing matches.
        DefinitionError: if the definition has problems.
    """
    text = str(spec)
    if is_path_spec(spec):
        return load_definition_file(Path(spec))
    name, _, version = text.partition("@")
    candidates = [i for i in list_definitions() if i.name == name]
    if not candidates:
        known = sorted({i.name for i in list_definitions()})
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise DefinitionNotFoundError(
            f"no bundled definition called {name!r}.{suggestion} Known: {', '.join(known) or 'none'}"
        )
    if version:
        chosen = [i for i in candidates if i.version == version]
        if not chosen:
            versions = ", ".join(i.version for i in candidates)
            raise DefinitionNotFoundError(
                f"{name} has no version {version!r} (versions: {versions})"
            )
        return load_definition_file(chosen[0].path)
    if period is None:
        from datetime import date

        period = Period.of(date.today())
    in_force = [
        i
        for i in candidates
        if (i.in_force_from is None or i.in_force_from <= period)
        and (i.in_force_to is None or period <= i.in_force_to)
    ]
    return load_definition_file((in_force or candidates)[-1].path)


def resolve_definition(spec: Definition | str | Path | None, period: Period | None) -> Definition:
    """The definition for a return: as given, by name (the version in force for ``period``),
    or the only bundled one when none is named (with several, see
    :func:`~lp_audit.validation.identity.definition_of`, which reads the return's header)."""
    if isinstance(spec, Definition):
        return spec
    if spec is None:
        names = sorted({i.name for i in list_definitions()})
        if len(names) != 1:
            raise DefinitionNotFoundError(
                "name a definition with --definition (bundled: " + ", ".join(names) + ")"
            )
        spec = names[0]
    return load_definition(spec, period=period)


def bundled_for_header(headers: Sequence[str]) -> str | None:
    """The bundled definition whose fields a return's header names (by name, alias or
    label, in any case): the one naming the most of its cells, when one names more than
    every other; None otherwise."""
    cells = {str(h).strip().lower() for h in headers if str(h).strip()}
    known: dict[str, set[str]] = {}  # each name's headers, over all its versions
    for info in list_definitions():
        for f in load_definition_file(info.path).fields:
            known.setdefault(info.name, set()).update(
                {f.name.lower(), f.label.lower(), *(a.lower() for a in f.aliases)}
            )
    scores = {name: len(cells & names) for name, names in sorted(known.items())}
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def version_for(
    in_force: Period | None,
    chosen: Definition,
    spec: Definition | str | Path | None,
    pinned: bool,
) -> Definition:
    """The definition version for a return of period ``in_force``: ``chosen`` unless the user
    left the version open and another is in force then."""
    if pinned or in_force is None or chosen.in_force_for(in_force):
        return chosen
    return resolve_definition(spec, in_force)
