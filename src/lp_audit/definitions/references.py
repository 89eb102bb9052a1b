"""Reference files beside a definition: code lists and lookup tables, each a CSV file in the
definition's folder (or below it), checked row by row and recorded by SHA-256."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lp_audit.definitions.conditions import RESERVED_FUNCTIONS
from lp_audit.definitions.links import (
    Lookup,
)
from lp_audit.definitions.located import Path_
from lp_audit.definitions.model import (
    NAME_RE,
    Code,
)
from lp_audit.definitions.reader import ParserBase
from lp_audit.errors import DefinitionProblem


class ReferenceParser(ParserBase):
    """Code lists (``codes: {file: ...}``) and ``lookups``."""

    def code_file(self, value: dict[str, Any], path: Path_, unknown: bool) -> tuple[Code, ...]:
        """``codes: {file: reference/las.csv, code: code, label: name}``: the codes of a CSV
        file in the definition's folder (or below it), one a row; ``label`` names the column
        of labels (by default the code is its own label). The file's SHA-256 is kept with the
        definition (:attr:`Definition.references`), so results say which list they used."""
        spec = self.mapping(value, path, ("file", "code", "label")) or {}
        name = self.text(spec, "file", path) or ""
        code_column = self.text(spec, "code", path) or "code"
        label_column = self.text(spec, "label", path)
        rows = self.reference_rows(name, (*path, "file"), code_column, label_column, "code")
        if rows is None:
            return ()
        codes = [
            Code(
                code,
                (row.get(label_column) or "").strip() or code if label_column else code,
                unknown,
            )
            for code, row in rows
        ]
        if not codes:
            self.problem((*path, "file"), f"{name} lists no codes")
        return tuple(codes)

    def reference_rows(
        self, name: str, path: Path_, key: str, other: str | None, noun: str
    ) -> list[tuple[str, dict[str, str]]] | None:
        """The rows of a CSV file beside the definition, each with its ``key`` column's value
        (trimmed); a row without one, or repeating one, is a problem at its file and line.
        None when the file cannot be used at all. Its SHA-256 is kept in ``references``."""
        import csv
        import hashlib
        from pathlib import Path

        relative = Path(name)
        if not name or relative.is_absolute() or ".." in relative.parts:
            self.problem(
                path,
                f"{name!r}: a reference file is a CSV file in the definition's folder or below "
                "it, named relative to it (reference/local-authorities.csv)",
            )
            return None
        target = Path(self.source).parent / relative
        try:
            raw = target.read_bytes()
            text = raw.decode("utf-8-sig")
        except FileNotFoundError:
            self.problem(path, f"{name}: no such file beside the definition")
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, f"{name}: cannot be read as UTF-8 text: {exc}")
            return None
        reader = csv.DictReader(text.splitlines())
        columns = reader.fieldnames or []
        missing = [c for c in (key, other) if c is not None and c not in columns]
        if missing:
            self.problem(
                path,
                f"{name} has no column {missing[0]!r} (its columns: {', '.join(columns) or 'none'})",
            )
            return None
        rows: list[tuple[str, dict[str, str]]] = []
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            value = (row.get(key) or "").strip()
            where = DefinitionProblem(str(target), line, key, "")
            if not value:
                self.problems.append(replace(where, message=f"a row without a {noun}"))
                continue
            if value in seen:
                self.problems.append(
                    replace(where, message=f"{noun} {value!r} again (first on line {seen[value]})")
                )
                continue
            seen[value] = line
            rows.append((value, row))
        self.references[relative.as_posix()] = hashlib.sha256(raw).hexdigest()
        return rows

    LOOKUP_KEYS = ("name", "file", "key", "value")

    def lookups(self, value: Any, path: Path_) -> tuple[Lookup, ...]:
        """``lookups: [{name: la_of_district, file: reference/districts.csv, key: district,
        value: la}]``: tables rules look values up in, ``la_of_district(home_district)``."""
        result: list[Lookup] = []
        for where, data in self.entries(value, path, self.LOOKUP_KEYS, "lookups"):
            name = self.text(data, "name", where, required=True)
            file = self.text(data, "file", where, required=True)
            key = self.text(data, "key", where, required=True)
            column = self.text(data, "value", where, required=True)
            if name is not None and name in RESERVED_FUNCTIONS:
                self.problem(
                    (*where, "name"),
                    f"{name!r} is a word of compares ({', '.join(RESERVED_FUNCTIONS)}): name "
                    "the lookup otherwise",
                )
                continue
            if name is not None and not NAME_RE.match(name):
                self.problem(
                    (*where, "name"), f"{name!r}: a lookup's name is letters, digits and '_'"
                )
                continue
            if name is not None and any(lookup.name == name for lookup in result):
                self.problem((*where, "name"), f"there is already a lookup called {name!r}")
                continue
            if name is None or file is None or key is None or column is None:
                continue
            # a table that cannot be read is a problem of its own; the rules that use it
            # are not wrong
            rows = self.reference_rows(file, (*where, "file"), key, column, "key") or []
            table = tuple((k, (row.get(column) or "").strip()) for k, row in rows)
            result.append(Lookup(name, file, key, column, table, line=self.located.line(where)))
        return tuple(result)
