"""What parsing a return's text found wrong, row by row, before any check runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ParseProblem:
    """Rows of one field whose text failed to parse, or parsed with a warning."""

    field: str
    code: str
    severity: str
    message: str
    mask: pd.Series  # True where the problem applies
