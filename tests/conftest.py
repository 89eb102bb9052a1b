"""Shared fixtures: paths, a CLI runner, golden files, and small synthetic returns."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "hbyw"
GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2026, 1, 1)
#: Examples per fuzz target: a short bounded run in CI, a long one with `nox -s fuzz`.
FUZZ_EXAMPLES = int(os.environ.get("LP_AUDIT_FUZZ_EXAMPLES", "200"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output (review the diff before committing).",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with tests/golden/NAME, or rewrite it with --update-golden."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}: run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), (
            f"{name} differs from its golden file; if the change is intended, run "
            "pytest --update-golden and review the diff"
        )

    return check


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write bytes or text to a file in a temporary folder and return its path."""

    def _write(content: str | bytes, name: str = "return.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


@pytest.fixture
def valid_csv() -> Callable[[int], str]:
    """A valid synthetic HBYW 1.0 return as CSV text."""
    from lp_audit.synthetic import make_return

    def _make(rows: int = 5, seed: int = 11) -> str:
        frame, _ = make_return(rows, seed=seed)
        return frame.to_csv(index=False, lineterminator="\n")

    return _make
