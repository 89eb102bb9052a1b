"""Shared fixtures: paths, a CLI runner, and small synthetic returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "hbyw"
TODAY = dt.date(2026, 1, 1)


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
