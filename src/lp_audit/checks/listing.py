"""Findings of one return, or of several checked as one frame, gathered as columns and made
one table at the end.

A finding per failing row needs the row's line in its file, its field's column letter and
perhaps its text, all of which the frame's :class:`Origin` knows for every return in it.
Gathering numpy columns and building one table costs the same for ten returns as for one
(measured on an audit of 240 returns of 10,000 rows: a table per failing check of each return
took 2.5 CPU s of 27).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lp_audit.findings import FINDING_COLUMNS, FINDING_TYPES, Finding

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from lp_audit.reading import RawReturn

#: Findings listed one by one for one problem (a check, or a parse failure of a field) in one
#: return; the rest become one finding that counts them. A 200 KB file of a million one-letter
#: lines would otherwise make 16 million findings (measured before: 2.5 GB for 100,000 such
#: lines).
LISTED_PER_PROBLEM = 1_000

#: The columns a listing makes: a finding's, then what relisting the parts of a chunked run,
#: counting the findings not listed, and telling returns apart need.
LISTING_COLUMNS = (*FINDING_COLUMNS, "_row", "_key", "_omitted", "_return")
#: Each column's type: a finding's as any table of findings has them, the rest numbers
_TYPES = {**FINDING_TYPES, "_key": "object"}


@dataclass(frozen=True)
class Origin:
    """Where the rows of a frame of returns one after another come from."""

    #: each field's text, for the rows of every return
    text: pd.DataFrame
    #: each row's line in its own file
    lines: np.ndarray
    #: where each return's rows start, then the number of rows
    starts: np.ndarray
    #: each field's column letter in each return (None where a return lacks it)
    letters: dict[str, np.ndarray]

    @classmethod
    def of(cls, raws: Sequence[RawReturn], text: pd.DataFrame | None = None) -> Origin:
        """The origin of ``raws``' rows one after another, whose text is ``text`` (the one
        return's own when there is one)."""
        import numpy as np

        if text is None:
            assert len(raws) == 1, "the text of several returns is given"
            text = raws[0].data
        lines = raws[0].lines if len(raws) == 1 else np.concatenate([r.lines for r in raws])
        starts = np.cumsum([0, *(len(r.lines) for r in raws)])
        fields = dict.fromkeys(name for r in raws for name in r.columns)
        letters = {
            name: np.array([r.column_of(name) for r in raws], dtype=object) for name in fields
        }
        return cls(text, lines, starts, letters)

    @property
    def rows(self) -> int:
        return int(self.starts[-1])

    @property
    def returns(self) -> int:
        return len(self.starts) - 1


class Listing:
    """Findings gathered from the failing rows of problems; :meth:`frame` makes the table."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self._columns: dict[str, list[Any]] = {c: [] for c in LISTING_COLUMNS}

    def add_rows(
        self,
        rows: Any,
        code: str,
        severity: str,
        message: str,
        field: str | None,
        rule: str | None,
        show_value: bool,
        key: str = "",
    ) -> None:
        """Findings for the failing ``rows`` (positions in the frame) of one problem: in each
        return, the first :data:`LISTED_PER_PROBLEM` one by one and the rest as one finding
        that says how many (its ``_omitted`` column)."""
        import numpy as np

        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        origin = self.origin
        of = np.searchsorted(origin.starts, rows, side="right") - 1
        rank = _rank_within(of) if origin.returns > 1 else np.arange(len(rows))
        listed = rank < LISTED_PER_PROBLEM
        self._add(rows[listed], of[listed], code, severity, field, rule, key)
        self._columns["message"].append(np.full(int(listed.sum()), message, dtype=object))
        self._columns["value"].append(
            origin.text[field].take(rows[listed]).to_numpy(dtype=object)
            if field and show_value and field in origin.text.columns
            else np.full(int(listed.sum()), None, dtype=object)
        )
        self._columns["_omitted"].append(np.zeros(int(listed.sum()), dtype=np.int64))
        if listed.all():
            return
        # one finding for the rest of each return's rows, from its first not listed
        first = rank == LISTED_PER_PROBLEM
        returns = of[first]
        omitted = np.bincount(of, minlength=origin.returns)[returns] - LISTED_PER_PROBLEM
        lines = origin.lines[rows[first]]
        self._add(rows[first], returns, code, severity, field, rule, key)
        self._columns["message"].append(
            np.array(
                [
                    f"{message} The same problem is on {n:,} more row(s), from line {line:,}; "
                    f"only the first {LISTED_PER_PROBLEM:,} are listed one by one."
                    for n, line in zip(omitted.tolist(), lines.tolist(), strict=True)
                ],
                dtype=object,
            )
        )
        self._columns["value"].append(np.full(len(returns), None, dtype=object))
        self._columns["_omitted"].append(omitted.astype(np.int64))

    def _add(
        self,
        rows: np.ndarray,
        returns: np.ndarray,
        code: str,
        severity: str,
        field: str | None,
        rule: str | None,
        key: str,
    ) -> None:
        import numpy as np

        n = len(rows)
        origin = self.origin
        columns = self._columns
        for name, value in (
            ("code", code),
            ("severity", severity),
            ("field", field),
            ("rule", rule),
            ("_key", key),
        ):
            columns[name].append(np.full(n, value, dtype=object))
        columns["line"].append(origin.lines[rows].astype(np.int64))
        letters = origin.letters.get(field) if field else None
        columns["column"].append(
            letters[returns] if letters is not None else np.full(n, None, dtype=object)
        )
        columns["_row"].append(rows - origin.starts[returns])
        columns["_return"].append(returns)

    def add_findings(self, items: Sequence[Finding], of_return: int = 0) -> None:
        """Findings already made (reading a file, identifying a return) of one return, each
        counted as a finding whatever its line."""
        import numpy as np

        if not items:
            return
        n = len(items)
        columns = self._columns
        for name in ("code", "severity", "message", "column", "field", "value", "rule"):
            columns[name].append(np.array([getattr(i, name) for i in items], dtype=object))
        columns["line"].append(
            np.array([i.line if i.line is not None else -1 for i in items], dtype=np.int64)
        )
        columns["_row"].append(np.full(n, -1, dtype=np.int64))
        columns["_key"].append(np.full(n, "", dtype=object))
        columns["_omitted"].append(np.zeros(n, dtype=np.int64))
        columns["_return"].append(np.full(n, of_return, dtype=np.int64))

    def frame(self) -> pd.DataFrame:
        """The findings gathered, in the order added, a finding's columns of the types of
        :data:`~lp_audit.findings.FINDING_TYPES`."""
        import numpy as np
        import pandas as pd

        gathered = {
            name: np.concatenate(parts)
            if parts
            else np.array([], dtype=object if _TYPES.get(name) in ("str", "object") else np.int64)
            for name, parts in self._columns.items()
        }
        data: dict[str, Any] = {}
        for name, values in gathered.items():
            if name == "line":  # -1 where a finding has none
                data[name] = pd.arrays.IntegerArray(values, values < 0)
            elif name in _TYPES:
                data[name] = pd.Series(values, dtype=_TYPES[name])
            else:
                data[name] = values
        return pd.DataFrame(data)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """Each element's place among those of its group before it (0 for the first)."""
    import numpy as np

    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    ranked = np.arange(len(groups)) - np.searchsorted(ordered, ordered, side="left")
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = ranked
    return rank
