"""Development sessions: tests, lint, typecheck, bench, demo. Run ``nox`` for the default ones."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Install the package (not editable) and run the test suite with coverage."""
    session.install(".[test]")
    session.run(
        "pytest",
        "--cov=lp_audit",
        "--cov-report=term-missing:skip-covered",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check, and the architecture's import contracts (import-linter)."""
    session.install(".", "ruff", "import-linter")
    session.run("ruff", "check", "src", "tests", "benchmarks", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "tools", "noxfile.py")
    # layers down the data flow, no cycles within a stage, no private names across packages
    session.run("lint-imports")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on src/."""
    session.install(".[dask]", "mypy", "types-pyyaml", "pandas-stubs")
    session.run("mypy", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The README's main job: audit the bundled example returns."""
    session.install(".")
    session.run("lp-audit", "audit", "examples/hbyw", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks as whole processes; writes benchmarks/RESULTS.md (not run in CI): validate
    against peers (arguments go to run.py), where a validate's CPU goes, what a report adds, an
    audit at scale, and rules over a key's rows on a million rows."""
    session.install(".", "pointblank", "polars", "frictionless")
    session.run("python", "benchmarks/run.py", *session.posargs)
    session.run("python", "benchmarks/costs.py")
    session.run("python", "benchmarks/report.py")
    session.run("python", "benchmarks/scale.py")
    session.run("python", "benchmarks/rules.py")


@nox.session
def fuzz(session: nox.Session) -> None:
    """The fuzz targets (reader, definitions, the command on any input) with a large budget."""
    session.install(".[test]")
    examples = session.posargs[0] if session.posargs else "20000"
    session.env["LP_AUDIT_FUZZ_EXAMPLES"] = examples
    session.run(
        "pytest",
        "-q",
        "-k",
        "never_crashes or never_fail",
        "tests/test_reading.py",
        "tests/test_definitions.py",
        "tests/test_fuzz.py",
    )
