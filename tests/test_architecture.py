"""The code's shape: a package per stage, small modules, a public API of functions."""

from __future__ import annotations

import importlib
from pathlib import Path

import lp_audit

SRC = Path(lp_audit.__file__).parent
STAGES = (
    "definitions",
    "reading",
    "checks",
    "profiling",
    "validation",
    "auditing",
    "reports",
    "documents",
    "cli",
)


def test_every_stage_is_a_package_the_readme_names() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for stage in STAGES:
        assert (SRC / stage / "__init__.py").is_file(), stage
        assert f"\n{stage}/ " in readme, stage


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long


def test_the_public_api_gives_functions_not_modules() -> None:
    from lp_audit import audit, build_schema, load_definition, read_return, validate_return

    for function in (audit, build_schema, load_definition, read_return, validate_return):
        assert callable(function) and not isinstance(function, type(lp_audit)), function
    importlib.import_module("lp_audit.auditing")  # importing the stage does not shadow it
    assert callable(lp_audit.audit)
    assert set(lp_audit.__all__) >= {"audit", "validate_return", "load_definition"}
