"""Validating an audit's returns: one after another, in worker processes, or on a Dask cluster.

The returns are validated in batches of consecutive returns (:func:`batches`), each batch by
:func:`validate_batch` (checked as one frame, with each return's result as validated alone),
the same function wherever it runs: in this process (``workers=1``), in a pool of worker
processes on this machine (``workers=N``), or on the workers of a Dask distributed cluster
(``scheduler=ADDRESS``). The results come back in the order of the files, so the audit built
from them is the same, byte for byte, however they ran.

A worker process that dies (it ran out of memory, or crashed in a library) takes with it the
pool's unfinished batches; they are tried again in one fresh worker, in order, and the batch
being validated when that one dies is tried again return by return, so that the return that
kills it is known: it is reported as that return's problem, and the rest of the audit
completes in a pool again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.definitions import Definition
from lp_audit.errors import OptionError, ReturnReadError
from lp_audit.validation import Unreadable, Validation

if TYPE_CHECKING:
    from lp_audit.validation import ReturnResult

#: Said of a return whose validation stopped the worker process validating it alone.
STOPPED = (
    "validating this return stopped its worker process (it ran out of memory, or a library "
    "crashed); the rest of the audit went on without it. Try `lp-audit validate` on it alone."
)


@dataclass(frozen=True)
class Job:
    """One return to validate, with what its file name says of its provider and period, and
    the same provider's return of the period before when the definition compares with it."""

    file: Path
    provider: str | None = None
    period: str | None = None
    previous: Path | None = None


def validate_one(
    job: Job, definition: Definition | str | Path | None, today: date, *, shared: bool = False
) -> ReturnResult | Unreadable:
    """Validate one return for an audit; a file that cannot be read is an :class:`Unreadable`.

    With ``shared``, the result comes back without its copy of the definition (the audit
    puts back the one it holds, rather than one copy a return arriving from another process).
    """
    from lp_audit.validation import validate_return

    try:
        result = validate_return(
            job.file,
            definition,
            provider=job.provider,
            period=job.period,
            today=today,
            capture=True,
            engine="direct",  # the same findings, without pandera's fixed cost a return
            previous=job.previous,
        )
    except ReturnReadError as exc:
        return Unreadable(str(job.file), exc.message)
    if shared:
        result.definition_model = None
    return result


def validate_batch(
    jobs: Sequence[Job],
    definition: Definition | str | Path | None,
    today: date,
    *,
    shared: bool = False,
) -> list[ReturnResult | Unreadable]:
    """:func:`validate_one` of each job, those that need no previous return checked as one
    frame (:func:`~lp_audit.validation.together.validate_together`): the same results, for
    less time a return."""
    from lp_audit.validation.together import Source, validate_together

    if len(jobs) == 1 or any(job.previous is not None for job in jobs):
        return [validate_one(job, definition, today, shared=shared) for job in jobs]
    outcomes = validate_together(
        [Source(job.file, job.provider, job.period) for job in jobs],
        definition,
        today=today,
        capture=True,
    )
    if shared:
        for outcome in outcomes:
            if not isinstance(outcome, Unreadable):
                outcome.definition_model = None
    return outcomes


#: The returns of an audit are validated in batches of about this many bytes of files, each
#: checked as one frame (see :func:`validate_batch`). Measured on an audit of 24 returns of
#: 10,000 rows (1 MB each), in one process: batches of 1, 4, 16 and 64 MB took 5.9, 5.2, 4.1
#: and 4.1 CPU s, at a peak of 205, 208, 245 and 354 MiB.
BATCH_BYTES = 16 * 1024 * 1024


def batches(jobs: Sequence[Job], workers: int) -> list[list[int]]:
    """The jobs (by position) in batches of consecutive jobs of up to :data:`BATCH_BYTES`
    (smaller, to give each of several workers four batches or more); a job with a previous
    return is a batch of its own."""
    sizes = [_bytes(job.file) for job in jobs]
    limit = BATCH_BYTES if workers <= 1 else min(BATCH_BYTES, sum(sizes) // (4 * workers))
    out: list[list[int]] = []
    held, open_batch = 0, False
    for i, job in enumerate(jobs):
        if open_batch and job.previous is None and held + sizes[i] <= limit:
            out[-1].append(i)
            held += sizes[i]
        else:
            out.append([i])
            held, open_batch = sizes[i], job.previous is None
    return out


#: Below this many bytes of returns in all, an audit is validated in this process: starting
#: worker processes (each imports pandas) costs about as much as it saves (measured on the
#: bundled examples, 8 returns of 80 to 120 rows: 1.45 s with two workers, 1.55 s with none,
#: and three times the CPU).
AUTO_PARALLEL_BYTES = 4 * 1024 * 1024


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def auto_workers(files: Sequence[Path]) -> int:
    """Workers for an audit of ``files`` when none are asked for: the cores this process may
    use, or 1 for returns under :data:`AUTO_PARALLEL_BYTES` in all."""
    total = sum(_bytes(file) for file in files)
    return default_workers() if total >= AUTO_PARALLEL_BYTES else 1


def _bytes(file: Path) -> int:
    """The size of a file, 0 for one that cannot be read (its validation says why)."""
    try:
        return file.stat().st_size
    except OSError:
        return 0


def run_jobs(
    jobs: Sequence[Job],
    definition: Definition | str | Path | None,
    today: date,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[Path], None] | None = None,
    pool: Callable[[int], Executor] | None = None,
    keep: Callable[[Any], Any] | None = None,
) -> list[ReturnResult | Unreadable]:
    """Validate every job; the outcomes in the order of ``jobs``.

    ``workers=1`` validates here, one after another; more, in that many worker processes;
    ``scheduler`` sends the work to a Dask cluster instead. ``done`` is called with each file
    once it is validated. ``pool`` makes the worker pool (for tests; by default processes
    started with ``spawn``). ``keep`` turns each outcome, as it arrives, into what is kept of
    it (an audit sets a return's cases aside on disk), so that no more than a batch's full
    outcomes are held at once.

    Raises:
        OptionError: if the scheduler cannot be reached, or Dask is not installed.
    """
    # a cluster's size is not known here: batches for four workers or more
    units = batches(jobs, workers if scheduler is None else max(workers, 4))
    return _run(
        jobs, units, definition, today, validate_batch, workers, scheduler, done, pool, keep
    )


def validate_tables_one(
    job: Job, definition: Definition | str | Path | None, today: date, *, shared: bool = False
) -> Validation | Unreadable:
    """Validate one return of several tables (``job.file``: its folder or workbook) for an
    audit, with the same provider's return of the period before (``job.previous``); a return
    that cannot be read at all, or whose files name one table twice, is an
    :class:`Unreadable`. ``shared``: as for :func:`validate_one`."""
    from lp_audit.definitions.registry import resolve_definition
    from lp_audit.validation import validate_tables

    try:
        run = validate_tables(
            [job.file],
            resolve_definition(definition, None),
            provider=job.provider,
            period=job.period,
            today=today,
            capture=True,
            engine="direct",
            previous=job.previous,
        )
    except ReturnReadError as exc:
        return Unreadable(str(job.file), exc.message)
    except OptionError as exc:  # two files of one table, say: the return is left out
        return Unreadable(str(job.file), str(exc))
    if shared:
        for result in run.results:
            result.definition_model = None
    return run


def run_table_jobs(
    jobs: Sequence[Job],
    definition: Definition,
    today: date,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    done: Callable[[Path], None] | None = None,
    pool: Callable[[int], Executor] | None = None,
    keep: Callable[[Any], Any] | None = None,
) -> list[Validation | Unreadable]:
    """:func:`run_jobs` for returns of several tables: each job a return's folder or
    workbook, validated by :func:`validate_tables_one`, here, in ``workers`` processes, or
    on the Dask cluster of ``scheduler``; ``keep`` as for :func:`run_jobs`."""
    units = [[i] for i in range(len(jobs))]
    return _run(
        jobs,
        units,
        definition,
        today,
        validate_tables_batch,
        workers,
        scheduler,
        done,
        pool,
        keep,
    )


def validate_tables_batch(
    jobs: Sequence[Job],
    definition: Definition | str | Path | None,
    today: date,
    *,
    shared: bool = False,
) -> list[Validation | Unreadable]:
    """:func:`validate_tables_one` of each job."""
    return [validate_tables_one(job, definition, today, shared=shared) for job in jobs]


def _run(
    jobs: Sequence[Job],
    units: list[list[int]],
    definition: Definition | str | Path | None,
    today: date,
    work: Callable[..., list[Any]],
    workers: int,
    scheduler: str | None,
    done: Callable[[Path], None] | None,
    pool: Callable[[int], Executor] | None,
    keep: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """Each unit of jobs (positions in ``jobs``) done by ``work`` (:func:`validate_batch` or
    :func:`validate_tables_batch`); the outcomes in the order of ``jobs``, each as ``keep``
    makes it."""
    kept = keep if keep is not None else _itself
    if scheduler is not None:
        return _on_dask(jobs, units, definition, today, scheduler, done, work, kept)
    if workers <= 1 or len(units) <= 1:
        out: list[Any] = []
        for unit in units:
            out.extend(kept(o) for o in work([jobs[i] for i in unit], definition, today))
            if done is not None:
                for i in unit:
                    done(jobs[i].file)
        return out
    make = pool or _process_pool
    # the definition is loaded here once, and sent to the workers rather than loaded by each
    spec = _loaded(definition)
    outcomes: list[Any] = [None] * len(jobs)
    pending, width = list(units), workers
    while pending:
        with make(min(width, len(pending))) as executor:
            if not _starts(executor):  # no worker can start here: validate in this process
                here = _run(jobs, pending, definition, today, work, 1, None, done, None, kept)
                for i, alone in zip([i for unit in pending for i in unit], here, strict=True):
                    outcomes[i] = alone
                break
            futures: list[Future[Any] | None] = [
                executor.submit(work, [jobs[i] for i in unit], spec, today, shared=True)
                for unit in pending
            ]
            got = _gather(futures, [[jobs[i] for i in unit] for unit in pending], done, kept)
        for unit, outcome in zip(pending, got, strict=True):
            if outcome is not None:
                for i, one in zip(unit, outcome, strict=True):
                    outcomes[i] = one
        unfinished = [unit for unit, outcome in zip(pending, got, strict=True) if outcome is None]
        if unfinished and width == 1 and len(unfinished[0]) > 1:
            # one worker takes its units in order: the first unfinished one stopped it; its
            # returns are tried again one by one, to find the one that did
            unfinished = [[i] for i in unfinished[0]] + unfinished[1:]
        elif unfinished and width == 1:
            (stopped,) = unfinished[0]
            outcomes[stopped] = Unreadable(str(jobs[stopped].file), STOPPED, "stopped")
            if done is not None:
                done(jobs[stopped].file)
            unfinished, width = unfinished[1:], workers  # the others back to the pool
        elif unfinished:
            width = 1  # a worker died, taking the returns queued with it: one at a time
        pending = unfinished
    return [with_definition(o, spec) for o in outcomes if o is not None]


def _starts(executor: Executor) -> bool:
    """Whether the pool's workers start at all (a program read from standard input, for one,
    cannot start spawned workers)."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        executor.submit(os.getpid).result()
    except BrokenProcessPool:
        return False
    return True


def _process_pool(workers: int) -> Executor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a fresh interpreter, safe whatever threads this process has started
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _itself(outcome: Any) -> Any:
    return outcome


def _gather(
    futures: list[Future[Any] | None],
    units: Sequence[Sequence[Job]],
    done: Callable[[Path], None] | None,
    keep: Callable[[Any], Any],
) -> list[list[Any] | None]:
    """Each future's outcomes (one per job of its unit, as ``keep`` makes them) as it
    completes; None for one whose worker process died. Each future is let go of once its
    outcomes are taken (``futures`` is emptied), so that its full outcomes can be freed."""
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    position = {id(f): i for i, f in enumerate(futures)}
    outcomes: list[list[Any] | None] = [None] * len(futures)
    for future in as_completed([f for f in futures if f is not None]):
        i = position[id(future)]
        futures[i] = None
        try:
            outcomes[i] = [keep(o) for o in future.result()]
        except BrokenProcessPool:
            continue
        if done is not None:
            for job in units[i]:
                done(job.file)
    return outcomes


def _loaded(definition: Definition | str | Path | None) -> Definition | str | Path | None:
    """A definition given as a file, loaded once; a bundled name or None stays as it is (each
    return's period picks the version then)."""
    from lp_audit.definitions import is_path_spec, load_definition

    if isinstance(definition, str | Path) and is_path_spec(definition):
        return load_definition(definition)
    return definition


def with_definition(outcome: Any, spec: Definition | str | Path | None) -> Any:
    """Put back the definition a result (or each of a return's tables) came back without:
    the one given, or the bundled version it names (loaded once: loaded definitions are
    cached)."""
    from lp_audit.definitions import is_path_spec, load_definition

    if isinstance(outcome, Validation):
        if isinstance(spec, Definition):  # each table's own part of it
            for result in outcome.results:
                if result.definition_model is None:
                    from lp_audit.validation.tables import table_of

                    result.definition_model = spec.for_table(
                        table_of(result.path, spec, result.sheet)
                    )
        return outcome
    if isinstance(outcome, Unreadable) or outcome.definition_model is not None:
        return outcome
    if isinstance(spec, Definition):
        model: Definition | None = spec
    elif spec is not None and is_path_spec(spec):  # a file of one's own, not a bundled name
        model = load_definition(spec)
    else:
        model = load_definition(outcome.definition) if outcome.definition else None
    return replace(outcome, definition_model=model)


def _on_dask(
    jobs: Sequence[Job],
    units: list[list[int]],
    definition: Definition | str | Path | None,
    today: date,
    scheduler: str,
    done: Callable[[Path], None] | None,
    work: Callable[..., list[Any]],
    keep: Callable[[Any], Any],
) -> list[Any]:
    """The same work on a Dask cluster: each unit of jobs a task, the outcomes in order."""
    try:
        from distributed import Client
    except ImportError:
        raise OptionError(
            "--scheduler needs Dask: pip install 'lp-audit[dask]' (on this machine and the "
            "cluster's workers)"
        ) from None
    try:
        client = Client(scheduler, timeout=10, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as exc:
        raise OptionError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    spec = _loaded(definition)
    try:
        from distributed import as_completed

        futures = [
            client.submit(work, [jobs[i] for i in unit], spec, today, shared=True, pure=False)
            for unit in units
        ]
        position = {f.key: u for u, f in enumerate(futures)}
        outcomes: list[Any] = [None] * len(jobs)
        killed: list[int] = []
        for future in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
            unit = units[position[future.key]]
            try:
                got = future.result()
            except Exception as exc:
                if type(exc).__name__ != "KilledWorker":
                    raise
                killed.extend(unit)  # it, or a return beside it on the workers that died
                continue
            for i, one in zip(unit, got, strict=True):
                outcomes[i] = keep(one)
                if done is not None:
                    done(jobs[i].file)
        for i in sorted(killed):  # each alone on the cluster: only its own deaths count
            again = client.submit(work, [jobs[i]], spec, today, shared=True, pure=False)
            try:
                (one,) = again.result()
                outcomes[i] = keep(one)
            except Exception as exc:
                if type(exc).__name__ != "KilledWorker":
                    raise
                outcomes[i] = Unreadable(str(jobs[i].file), STOPPED, kind="stopped")
            if done is not None:
                done(jobs[i].file)
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return [with_definition(o, spec) for o in outcomes if o is not None]
