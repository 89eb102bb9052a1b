"""Synthetic returns for any definition: valid rows, then planted defects of known kinds.

Values are drawn from what the definition says of each field (its codes and "not known"
codes, its type, its range, its pattern, its length), keys are unique, and a table's rows
take their key from the rows of the table they belong to (a child's episodes, the children of
the header). Rules the definition states cannot all be solved in advance, so the rows are then
checked by lp_audit itself, round after round: a finding on a value a row may leave blank
blanks that value; any other finding drops the row, until none is left. What remains breaks
no rule of the definition; the defects are planted after that, each at a line that is known.

Every value is invented: identifiers are counters, dates are random days, and text follows
the field's pattern with random characters.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import DATE_FORMATS, Definition, Field
from lp_audit.synthetic.defects import Planted, plant, tables_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def make_any(
    definition: Definition,
    rows: int,
    *,
    period: str,
    provider: str | None = None,
    seed: int = 0,
    defects: int = 0,
    unknown_share: float = 0.03,
    blank_share: float = 0.05,
    first_kind: int = 0,
) -> tuple[dict[str | None, pd.DataFrame], list[Planted]]:
    """A return of ``definition`` for ``period``: each table's rows as text columns (the key
    None for a definition of one table), at most three times ``rows`` rows in its first
    table (as many as pass every check of the definition's, of three times as many drawn), and the
    defects planted in it (``defects`` of them, taking :data:`~lp_audit.synthetic.defects.KINDS` in turn from the
    ``first_kind``-th).

    ``unknown_share`` of a coded field's values are its "not known" codes, and
    ``blank_share`` of an optional field's values are blank; the same arguments give the
    same return.

    Raises:
        LpAuditError: when no row of a table passes the definition's checks: random values
            cannot (a rule that two text fields are equal). The message names the check
            that broke the most rows.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    when = definition.parse_period(period)
    frames = _draw(definition, rows, rng, when.start, when.end, unknown_share, blank_share)
    if definition.provider_field is not None and provider is not None:
        for frame in frames.values():
            if definition.provider_field in frame.columns:
                frame[definition.provider_field] = provider
    if definition.period_field is not None:
        for frame in frames.values():
            if definition.period_field in frame.columns:
                frame[definition.period_field] = str(when)
    # checked as a return sent four weeks after its period ends ("not in the future" rules)
    frames = _keep_valid(definition, frames, period, provider, when.end + timedelta(days=28))
    planted = plant(definition, frames, rng, defects, first_kind)
    return frames, planted


def _draw(
    definition: Definition,
    rows: int,
    rng: np.random.Generator,
    start: date,
    end: date,
    unknown_share: float,
    blank_share: float,
) -> dict[str | None, pd.DataFrame]:
    """Rows for every table: three times as many as asked in the first, as checking drops
    some (how many depends on the definition's rules)."""
    import numpy as np
    import pandas as pd

    frames: dict[str | None, pd.DataFrame] = {}
    first_keys: pd.DataFrame | None = None
    tables = tables_of(definition)
    for number, (name, fields, key) in enumerate(tables):
        # a table's rows come before the rows that belong to them (a child's birth before
        # its episodes): the last table's dates are in the period, the others' in the three
        # years before it
        last = number == len(tables) - 1
        window = (start, end) if last else (start - timedelta(days=3 * 365), start)
        if number == 0 or first_keys is None:
            n = rows * 3 + 5
            parent = None
        else:  # rows of the first table's keys: one to three each
            repeats = rng.integers(1, 4, len(first_keys))
            parent = first_keys.loc[first_keys.index.repeat(repeats)].reset_index(drop=True)
            n = len(parent)
        columns: dict[str, Any] = {}
        for name_ in fields:
            spec = definition.field(name_)
            if parent is not None and name_ in parent.columns:
                columns[name_] = parent[name_].to_numpy(dtype=object)
            elif spec.type == "text" and (name_ in key or (not key and _looks_like_id(spec))):
                columns[name_] = np.array(
                    [f"{name_[:3].upper()}{i:06d}" for i in range(1, n + 1)], dtype=object
                )
            else:
                columns[name_] = _values(spec, n, rng, *window, unknown_share, blank_share)
        frame = pd.DataFrame(columns, columns=list(fields))
        _order_dates(definition, frame, fields, rng)
        _write_dates(definition, frame, fields)
        _add_times(definition, frame, fields, rng)
        frames[name] = frame
        if number == 0 and key:
            first_keys = frame[list(key)]
    return frames


def _looks_like_id(spec: Field) -> bool:
    return spec.type == "text" and spec.required and spec.name.lower().endswith(("id", "_ref"))


def _values(
    spec: Field,
    n: int,
    rng: np.random.Generator,
    start: date,
    end: date,
    unknown_share: float,
    blank_share: float,
) -> np.ndarray:
    """``n`` values of one field, as text."""
    import numpy as np

    kind = spec.type
    if kind in ("code", "multi_code") and spec.valid_codes:
        codes = np.asarray(spec.valid_codes, dtype=object)
        out = codes[rng.integers(0, len(codes), n)]
        if kind == "multi_code":
            second = codes[rng.integers(0, len(codes), n)]
            two = (rng.random(n) < 0.3) & (second != out)
            out = np.where(two, out + spec.separator + second, out)
        if spec.unknown_codes:
            unknown = np.asarray(spec.unknown_codes, dtype=object)
            out = np.where(
                rng.random(n) < unknown_share, unknown[rng.integers(0, len(unknown), n)], out
            )
    elif kind == "date":  # any day from start to end
        days = rng.integers(0, (end - start).days + 1, n).astype("timedelta64[D]")
        out = (np.datetime64(start, "D") + days).astype(str).astype(object)
    elif kind in ("integer", "decimal"):
        low, high = _range(spec)
        numbers = rng.integers(int(low), int(high) + 1, n)
        out = numbers.astype(str).astype(object)
    elif kind == "boolean":
        out = np.where(rng.random(n) < 0.5, "true", "false").astype(object)
    else:
        out = _text(spec, n, rng)
    if not spec.required and spec.required_when is None:
        out = np.where(rng.random(n) < blank_share, "", out)
    return np.asarray(out, dtype=object)


def _range(spec: Field) -> tuple[float, float]:
    """The narrowest range the field's error constraints allow (0 to 20 without one)."""
    low, high = 0.0, 20.0
    ranges = [c for c in spec.constraints if c.kind == "range" and c.severity == "error"]
    ranges += [c for c in spec.constraints if c.kind == "range" and c.severity != "error"]
    for c in ranges:
        if c.minimum is not None:
            low = max(low, c.minimum) if c is not ranges[0] else c.minimum
        if c.maximum is not None:
            high = min(high, c.maximum) if c is not ranges[0] else c.maximum
    if low > high:
        high = low
    return low, high


def _text(spec: Field, n: int, rng: np.random.Generator) -> np.ndarray:
    """Text in the field's pattern (the first pattern constraint), of its lengths."""
    import numpy as np

    if any(c.kind == "check_digit" for c in spec.constraints):
        from lp_audit.synthetic.hbyw import modulus_11

        return modulus_11(rng, n)
    pattern = next((c.pattern for c in spec.constraints if c.pattern), None)
    longest = min(
        [c.length for c in spec.constraints if c.kind == "max_length" and c.length] or [8]
    )
    if pattern is not None:
        return np.array([_from_pattern(pattern, rng) for _ in range(n)], dtype=object)
    letters = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"), dtype=object)
    size = max(1, min(6, longest))
    picks = letters[rng.integers(0, len(letters), (n, size))].astype(str)
    out = picks[:, 0]
    for column in range(1, size):  # a column at a time, not a row at a time
        out = np.char.add(out, picks[:, column])
    return out.astype(object)


def _from_pattern(pattern: str, rng: np.random.Generator) -> str:
    """One random string that ``pattern`` matches in full (for the regular expressions of
    data definitions: literals, classes, alternatives, groups and repeats)."""
    # the standard library's own parse of a regular expression (no stubs: it is internal)
    import re._parser as parser  # type: ignore[import-not-found]

    def walk(items: Any) -> str:
        out = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "IN":
                out.append(pick(arg))
            elif name == "ANY":
                out.append("X")
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, inner = arg
                high = low + 3 if high > low + 3 else high
                times = int(rng.integers(low, high + 1))
                out += [walk(inner) for _ in range(times)]
            elif name == "SUBPATTERN":
                out.append(walk(arg[-1]))
            elif name == "BRANCH":
                options = arg[1]
                out.append(walk(options[int(rng.integers(0, len(options)))]))
            # anchors (AT) and the like match no character
        return "".join(out)

    def pick(ranges: Any) -> str:
        chars: list[str] = []
        for op, arg in ranges:
            name = str(op)
            if name == "LITERAL":
                chars.append(chr(arg))
            elif name == "RANGE":
                chars += [chr(c) for c in range(arg[0], arg[1] + 1)]
            elif name == "CATEGORY":
                chars += list("0123456789") if "DIGIT" in str(arg) else list("ABCDEFGH")
        return chars[int(rng.integers(0, len(chars)))] if chars else "X"

    return walk(parser.parse(pattern))


def _order_dates(
    definition: Definition, frame: pd.DataFrame, fields: tuple[str, ...], rng: np.random.Generator
) -> None:
    """A row's dates in the order of its fields, each 0 to 14 days after the one before (a
    referral, then the first contact; an episode's start, then its end): the order
    definitions list them in, and the nearness their rules mostly ask for."""
    import numpy as np
    import pandas as pd

    dates = [f for f in fields if definition.field(f).type == "date"]
    if len(dates) < 2:
        return
    first = pd.to_datetime(frame[dates[0]], errors="coerce")
    at = first
    for name in dates[1:]:
        at = at + pd.to_timedelta(rng.integers(0, 15, len(frame)), unit="D")
        text = at.dt.strftime("%Y-%m-%d").fillna("")
        frame[name] = np.where(frame[name].to_numpy(dtype=object) == "", "", text.to_numpy())


def _write_dates(definition: Definition, frame: pd.DataFrame, fields: tuple[str, ...]) -> None:
    """The dates, drawn as YYYY-MM-DD, in the form the definition asks for (03/07/2025)."""
    import pandas as pd

    form = DATE_FORMATS[definition.date_format]
    if form == "%Y-%m-%d":
        return
    for name in fields:
        if definition.field(name).type == "date":
            days = pd.to_datetime(frame[name], format="%Y-%m-%d", errors="coerce")
            frame[name] = days.dt.strftime(form).fillna("")


def _add_times(
    definition: Definition, frame: pd.DataFrame, fields: tuple[str, ...], rng: np.random.Generator
) -> None:
    """A time of day after the dates of a field that takes one: after every date of a field
    that requires it, after half the dates of one that allows it."""
    import pandas as pd

    for name in fields:
        spec = definition.field(name)
        if spec.type != "date" or spec.time is None:
            continue
        dated = frame[name].to_numpy(dtype=object) != ""
        if spec.time == "allowed":
            dated &= rng.random(len(frame)) < 0.5
        minutes = pd.Series(rng.integers(0, 24 * 60, len(frame)), index=frame.index)
        times = (
            " "
            + (minutes // 60).astype(str).str.zfill(2)
            + ":"
            + (minutes % 60).astype(str).str.zfill(2)
        )
        frame[name] = frame[name].where(~dated, frame[name] + times)


def _keep_valid(
    definition: Definition,
    frames: dict[str | None, pd.DataFrame],
    period: str,
    provider: str | None,
    today: date,
) -> dict[str | None, pd.DataFrame]:
    """The rows that pass every check: a value a finding is about is blanked where the field
    may be blank, or its row dropped, round after round (a dropped row changes its group's
    and its table's others).

    Raises:
        LpAuditError: when no row of a table is left: random rows cannot pass the checks (a
            rule that two text fields are equal), and a return of no rows would be no example.
    """
    from collections import Counter

    from lp_audit.errors import LpAuditError

    drawn = {name: len(frame) for name, frame in frames.items()}
    dropped: dict[str | None, Counter[str]] = {name: Counter() for name in frames}
    for _ in range(12):
        found = _findings(definition, frames, period, provider, today)
        if not any(found.values()):
            break
        for name, findings in found.items():
            frame = frames[name]
            drop: set[int] = set()
            for line, field_name, why in findings:
                if line is None:
                    continue
                row = line - 2
                spec = definition.field(field_name) if field_name else None
                if spec is not None and not spec.required and frame.at[row, field_name] != "":
                    # blank where it may be (a conditional field blanked where its condition
                    # holds is missing next round, and its row dropped then)
                    frame.at[row, field_name] = ""
                elif row not in drop:
                    drop.add(row)
                    dropped[name][why] += 1
            frames[name] = frame.drop(index=sorted(drop)).reset_index(drop=True)
    for name, frame in frames.items():
        if drawn[name] and frame.empty:
            why, count = dropped[name].most_common(1)[0]
            table = f"table {name} of " if name is not None else ""
            raise LpAuditError(
                f"no made-up row of {table}{definition.ref} passes its checks ({count:,} of "
                f"{drawn[name]:,} rows drawn broke {why}, the most): random values cannot "
                "pass them, so there is no example to make"
            )
    return frames


def _findings(
    definition: Definition,
    frames: dict[str | None, pd.DataFrame],
    period: str,
    provider: str | None,
    today: date,
) -> dict[str | None, list[tuple[int | None, str | None, str]]]:
    """Each table's findings as (line, field, rule or code), from lp_audit's own validation of
    the rows written to files."""
    from lp_audit.validation import validate_return, validate_returns

    out: dict[str | None, list[tuple[int | None, str | None, str]]] = {name: [] for name in frames}
    with tempfile.TemporaryDirectory(prefix="lp-audit-synthetic-") as folder:
        paths = {}
        for name, frame in frames.items():
            stem = definition.table(name).file_name if name is not None else "return"
            path = Path(folder) / f"{stem}.csv"
            frame.to_csv(path, index=False, lineterminator="\n")
            paths[stem.lower()] = name
        files = sorted(Path(folder).iterdir())
        options: dict[str, Any] = {
            "period": period,
            "provider": provider,
            "engine": "direct",
            "today": today,
        }
        if definition.tables:
            results = validate_returns(files, definition, **options).results
        else:
            results = [validate_return(files[0], definition, **options)]
        for result in results:
            name = paths[Path(result.path).stem.lower()]
            for f in result.finding_objects():
                why = f"rule {f.rule}" if f.rule else f"{f.code} of {f.field}"
                out[name].append((f.line, f.field, why))
    return out


def write_any(
    folder: Path,
    definition: Definition,
    *,
    providers: list[str],
    periods: list[str],
    rows: int = 60,
    seed: int = 0,
    defects: int = 3,
) -> list[Path]:
    """Returns of ``definition`` for each provider and period, in ``folder``: a file
    ``provider-period.csv`` each, or for a definition of several tables a folder
    ``provider-period`` with a file per table. Each provider has its own ways of capture (its
    shares of "not known" codes and blank optional values), drawn from the seed, for an audit
    to find. Every return is made before any is written.

    Raises:
        LpAuditError: when random rows cannot pass the definition's checks (see
            :func:`make_any`); nothing is written then.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    made: list[tuple[Path, pd.DataFrame]] = []
    written = []
    for p_index, provider in enumerate(providers):
        unknown = float(rng.choice([0.02, 0.03, 0.35]))
        blank = float(rng.choice([0.03, 0.05, 0.3]))
        size = int(rows * rng.uniform(0.7, 1.3))
        for q_index, period in enumerate(periods):
            frames, _ = make_any(
                definition,
                size,
                period=period,
                provider=provider,
                seed=seed * 10_007 + p_index * 101 + q_index,
                defects=defects,
                unknown_share=unknown,
                blank_share=blank,
                first_kind=(p_index * len(periods) + q_index) * defects,
            )
            slug = f"{provider.lower()}-{re.sub(r'[^0-9A-Za-z]+', '-', period).lower()}"
            for name, frame in frames.items():
                if name is None:
                    path = folder / f"{slug}.csv"
                else:
                    path = folder / slug / f"{definition.table(name).file_name}.csv"
                made.append((path, frame))
    for path, frame in made:  # each return made before any is written
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written
