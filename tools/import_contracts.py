"""An import-linter contract type that import-linter does not ship: private names stay home.

``private_modules`` (built in) guards modules named ``_x``; this guards *names*: no module imports
``_name`` from a module of another package (``from lp_audit.audit import _period_order``), nor
reaches for one through a module (``report._markdown_cell``). A name used across packages is part
of the package's interface and should be public. Two modules are in the same package when they
share the first component below the root (``lp_audit.checks.*``); a top-level module is a
package of its own.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _package(module: str, depth: int) -> str:
    return ".".join(module.split(".")[: depth + 1])


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _source(module: str) -> tuple[Path, ast.Module] | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    path = Path(spec.origin)
    return path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str | None:
    if node.level == 0:
        return node.module
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def private_uses(module: str, root: str) -> list[tuple[int, str, str]]:
    """``(line, imported module, name)`` for each private name ``module`` takes from another
    package under ``root``."""
    found = _source(module)
    if found is None:
        return []
    path, tree = found
    depth = 1
    home = _package(module, depth)
    uses: list[tuple[int, str, str]] = []
    aliases: dict[str, str] = {}  # local name -> module under root it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, node, path.name == "__init__.py")
            if source is None or not (source == root or source.startswith(root + ".")):
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if importlib.util.find_spec(source) and _is_module(target):
                    aliases[alias.asname or alias.name] = target
                elif _is_private(alias.name) and _package(source, depth) != home:
                    uses.append((node.lineno, source, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(root + ".") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _is_private(node.attr)
            and _package(aliases[node.value.id], depth) != home
        ):
            uses.append((node.lineno, aliases[node.value.id], node.attr))
    return uses


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


class PrivateNamesContract(Contract):
    """No module imports a private name (``_x``) from a module of another package.

    Configuration options:
        - root: the root package, e.g. ``lp_audit``.
    """

    type_name = "private_names"
    root = fields.StringField()

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        root = str(self.root)
        violations = []
        for module in sorted(graph.modules):
            if module == root or module.startswith(root + "."):
                for line, source, name in private_uses(module, root):
                    violations.append(f"{module}:{line} uses {source}.{name}")
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(f"- {violation}", bold=False)
        output.new_line()
        output.print("Make the name public in its package, or move the code that needs it there.")
