"""One return's result on disk: its findings and capture profile as Parquet, the rest as JSON.

:func:`save_result` writes a folder that is complete or absent: the files go into a temporary
folder beside it, renamed into place at the end, so an interrupted audit never leaves half a
result. :func:`load_result` reads it back equal to what was saved (a test compares every
frame). Findings never hold a sensitive field's values (validation leaves them out); the
capture profile's cases (ids and the fields continuity compares) keep a sensitive field only as
a keyed hash (:func:`with_hidden_cases`), which compares equal where the values do and tells
nothing else.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Definition
from lp_audit.definitions.model import Limit, Tolerance
from lp_audit.profiling import Capture, SetAside
from lp_audit.validation.result import ReturnResult
from lp_audit.validation.tolerances import Tolerated

if TYPE_CHECKING:
    import pandas as pd

    from lp_audit.profiling import Tally

#: The files of a saved result; summary.json is written last and read first.
SUMMARY = "summary.json"
#: What a store's findings carry besides the finding itself, to be queried across returns.
WHERE = ("file", "provider", "period")


def save_result(result: ReturnResult, folder: Path, *, extra: dict[str, Any] | None = None) -> None:
    """Write ``result`` to ``folder`` (which must not exist yet), all of it or nothing.

    ``extra`` is kept in the summary (what the result was made from). A store saves the result
    :func:`with_hidden_cases` gives, so that no sensitive value is written.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".partial-{folder.name}-{uuid.uuid4().hex[:8]}"
    partial.mkdir()
    try:
        frames: dict[str, pd.DataFrame] = {
            "findings": result.findings.assign(
                file=result.path, provider=result.provider, period=result.period
            )
        }
        capture = result.capture
        if capture is not None:
            frames |= {
                "fields": capture.fields,
                "categories": capture.categories,
                "metrics": capture.metrics,
                "values": _values_frame(capture.metric_values),
            }
            cases = cases_of(capture)
            if cases is not None:
                frames["cases"] = cases
            if capture.signals is not None:
                frames["signals"] = capture.signals
        for name, frame in frames.items():
            frame.to_parquet(partial / f"{name}.parquet", index=False)
        summary = {
            "path": result.path,
            "definition": result.definition,
            "provider": result.provider,
            "period": result.period,
            "rows": result.rows,
            "encoding": result.encoding,
            "omitted": result.omitted,
            "tolerated": [asdict(t) for t in result.tolerated],
            "capture": capture is not None,
            # pandas types that Parquet does not keep exactly, to restore them
            "dtypes": {name: _dtypes(f) for name, f in frames.items()},
            **(extra or {}),
        }
        (partial / SUMMARY).write_text(json.dumps(summary, indent=1, default=str), "utf-8")
        try:
            partial.rename(folder)
        except OSError:  # the same result saved meanwhile (by another audit): keep that one
            if not (folder / SUMMARY).exists():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def load_result(folder: Path, definition: Definition | None = None) -> ReturnResult:
    """The result saved in ``folder``, with ``definition`` as its definition model."""
    import numpy as np
    import pandas as pd

    from lp_audit.profiling import Tally

    summary = json.loads((folder / SUMMARY).read_text("utf-8"))
    frames: dict[str, pd.DataFrame] = {}
    for name, dtypes in summary["dtypes"].items():
        frames[name] = restored(pd.read_parquet(folder / f"{name}.parquet"), dtypes)
    capture = None
    if summary["capture"]:
        values = frames["values"]
        capture = Capture(
            fields=frames["fields"],
            categories=frames["categories"],
            metrics=frames["metrics"],
            cases=frames.get("cases"),
            metric_values={
                str(m): Tally(
                    np.asarray(g["value"].to_numpy(), dtype="float64"),
                    np.asarray(g["count"].to_numpy(), dtype="int64"),
                )
                for m, g in values.groupby("metric", sort=False)
            },
            signals=frames.get("signals"),
        )
    return ReturnResult(
        path=summary["path"],
        definition=summary["definition"],
        provider=summary["provider"],
        period=summary["period"],
        rows=summary["rows"],
        findings=frames["findings"].drop(columns=list(WHERE)),
        encoding=summary["encoding"],
        capture=capture,
        omitted=summary["omitted"],
        definition_model=definition,
        tolerated=tuple(_tolerated(t) for t in summary["tolerated"]),
    )


def _values_frame(values: dict[str, Tally]) -> pd.DataFrame:
    """The tally of each mean or median metric's values, as (metric, value, count) rows."""
    import numpy as np
    import pandas as pd

    metrics = [np.full(len(t.values), m, dtype=object) for m, t in values.items()]
    return pd.DataFrame(
        {
            "metric": np.concatenate(metrics) if metrics else np.empty(0, dtype=object),
            "value": np.concatenate([t.values for t in values.values()]) if values else np.empty(0),
            "count": np.concatenate([t.counts for t in values.values()])
            if values
            else np.empty(0, dtype="int64"),
        }
    )


def with_hidden_cases(result: ReturnResult, salt: bytes) -> ReturnResult:
    """``result`` with each sensitive field among its capture profile's cases (the ids and
    fields continuity follows) as a hash keyed by ``salt``: equal where the values are, blank
    where they are, and nothing else. Every result an audit with a store follows cases with
    is in this form, the ones it reads back and the ones it validates alike."""
    import pandas as pd

    capture, definition = result.capture, result.definition_model
    if capture is None or capture.cases is None or definition is None:
        return result
    # the columns, without reading back cases that were set aside
    columns = capture.cases.dtypes if isinstance(capture.cases, SetAside) else capture.cases
    sensitive = [
        c for c in columns if c in definition.field_names and definition.field(c).sensitive
    ]
    cases = cases_of(capture)
    if not sensitive or cases is None:
        return result
    key = hashlib.blake2b(salt, digest_size=8).hexdigest()  # the 16 characters siphash takes
    hidden = cases.copy()
    for column in sensitive:
        values = cases[column]
        hashes = pd.util.hash_pandas_object(values.astype("string"), index=False, hash_key=key)
        hidden[column] = pd.array(hashes.to_numpy(), dtype="UInt64")
        hidden.loc[values.isna().to_numpy(), column] = pd.NA
    return replace(result, capture=replace(capture, cases=hidden))


class AsideFolder:
    """A temporary folder for cases :func:`set_aside`, removed once no result's cases refer
    to it (or when Python exits, or by :meth:`remove`).

    Raises:
        OSError: if no temporary folder can be made.
    """

    def __init__(self) -> None:
        import tempfile
        import weakref

        self.path = Path(tempfile.mkdtemp(prefix="lp-audit-cases-"))
        self._remove = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)

    def remove(self) -> None:
        """Remove the folder now (an audit that failed)."""
        self._remove()


def set_aside(result: ReturnResult, folder: AsideFolder) -> ReturnResult:
    """``result`` with its capture profile's cases written to a file in ``folder`` and read
    back from there by :func:`cases_of`: a row per case is the one part of a return's result
    as large as the return, and an audit needs it only to follow cases from one period to
    the next. The file is Arrow's, compressed with zstd: for 5,000 cases, 20 KB against 129
    uncompressed (a temporary folder is often in memory itself, and a national audit's cases
    run to gigabytes uncompressed); in an audit of 240 such returns, writing and reading them
    back took 0.35 CPU s more than uncompressed, of 26.

    Raises:
        OSError: if the file cannot be written.
    """
    import pyarrow as pa
    from pyarrow import feather

    capture = result.capture
    if capture is None or capture.cases is None or isinstance(capture.cases, SetAside):
        return result
    cases = capture.cases
    path = folder.path / f"{uuid.uuid4().hex}.arrow"
    # in this thread: for a few thousand cases, a pool of threads to convert the columns
    # cost more to start than it saved (0.3 of 0.6 CPU s for 240 returns)
    table = pa.Table.from_pandas(cases, preserve_index=False, nthreads=1)
    feather.write_feather(table, path, compression="zstd")
    aside = SetAside(path, _dtypes(cases), folder)
    return replace(result, capture=replace(capture, cases=aside))


def cases_of(capture: Capture) -> pd.DataFrame | None:
    """A capture profile's cases, read back if they were :func:`set_aside`."""
    from pyarrow import feather

    cases = capture.cases
    if isinstance(cases, SetAside):
        return restored(feather.read_table(cases.path).to_pandas(), cases.dtypes)
    return cases


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's pandas type by name, for :func:`restored`."""
    return {str(c): str(t) for c, t in frame.dtypes.items()}


def restored(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Each column back to its pandas type: object columns to text and None, times to their
    unit."""
    for column, dtype in dtypes.items():
        if str(frame[column].dtype) == dtype:
            continue
        if dtype == "object":
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
        else:
            frame[column] = frame[column].astype(dtype)  # type: ignore[call-overload]
    return frame


def _tolerated(data: dict[str, Any]) -> Tolerated:
    tolerance = data["tolerance"]
    return Tolerated(
        subject=data["subject"],
        kind=data["kind"],
        tolerance=Tolerance(
            warning=Limit(**tolerance["warning"]) if tolerance["warning"] else None,
            error=Limit(**tolerance["error"]) if tolerance["error"] else None,
        ),
        errors=data["errors"],
        warnings=data["warnings"],
        rows=data["rows"],
        level=data["level"],
    )
