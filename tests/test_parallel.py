"""An audit in worker processes, or on a Dask cluster, is the audit done here, byte for byte.

The workers are real processes (spawned) and the cluster is a real ``LocalCluster`` of worker
processes started by the test. A worker that dies is made to die for real: the pool a test
gives the audit starts each worker with an initializer (from this module) that makes the
validation of one named file end the process.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import shutil
import socket
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import dask
import distributed
import pytest
from distributed.diagnostics.plugin import WorkerPlugin

from lp_audit.auditing import audit, find_returns
from lp_audit.auditing.parallel import Job, batches, run_jobs, validate_batch
from lp_audit.reports import render_report
from lp_audit.reports.formats import audit_json
from lp_audit.validation import ReturnResult, Unreadable

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "hbyw"
TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def here() -> object:
    return audit(EXAMPLES, today=TODAY, workers=1)


def test_two_worker_processes_give_the_same_audit_and_report(here) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    pooled = audit(EXAMPLES, today=TODAY, workers=2, progress=lambda f: seen.append(f.name))
    assert audit_json(pooled) == audit_json(here)
    assert render_report(pooled, charts=False) == render_report(here, charts=False)
    # every file was reported done once, in whatever order the workers finished them
    assert sorted(seen) == sorted(p.name for p in find_returns(EXAMPLES))


def _die_on(name: str) -> None:
    """In a worker: reading the file called ``name`` ends the process at once (whether it is
    validated alone or in a batch of returns)."""
    import lp_audit.reading as reading

    read = reading.read_table

    def dying(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(source).name == name:
            os._exit(9)
        return read(source, *args, **kwargs)

    reading.read_table = dying  # type: ignore[assignment]


def test_a_return_that_kills_its_worker_is_that_returns_problem(tmp_path: Path, here) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "returns"
    shutil.copytree(EXAMPLES, folder)
    victim = sorted(folder.glob("*.csv"))[2].name

    def pool(workers: int) -> Executor:
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_on,
            initargs=(victim,),
        )

    result = audit(folder, today=TODAY, workers=2, pool=pool)
    stopped = [u for u in result.unreadable if u.kind == "stopped"]
    assert [Path(u.path).name for u in stopped] == [victim]
    assert "stopped its worker process" in stopped[0].message
    # every other return was audited, as it is without the crash
    others = {Path(r.path).name: r for r in here.returns if Path(r.path).name != victim}
    assert {Path(r.path).name for r in result.returns} == set(others)
    for audited in result.returns:
        assert audited.findings.equals(others[Path(audited.path).name].findings)


def test_a_return_that_kills_the_worker_of_its_batch_is_that_returns_problem(
    tmp_path: Path,
) -> None:
    # sixteen returns, two workers: batches of two returns, each validated as one frame; the
    # batch whose worker died is validated again return by return, to find the one that did
    files = _copies(tmp_path, 2)
    jobs = [Job(f) for f in files]
    units = batches(jobs, 2)
    victim = files[5]
    assert [5] not in units and any(5 in unit for unit in units)

    def pool(workers: int) -> Executor:
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_on,
            initargs=(victim.name,),
        )

    outcomes = run_jobs(jobs, None, TODAY, workers=2, pool=pool)
    stopped = [o for o in outcomes if isinstance(o, Unreadable)]
    assert [(Path(o.path), o.kind) for o in stopped] == [(victim, "stopped")]
    alone = [validate_batch([job], None, TODAY)[0] for job in jobs]
    for outcome, expected in zip(outcomes, alone, strict=True):
        if isinstance(outcome, ReturnResult):
            assert outcome.findings.equals(expected.findings)  # type: ignore[union-attr]


def _copies(folder: Path, copies: int) -> list[Path]:
    """The examples' returns, ``copies`` times over, each copy's files named apart."""
    files = []
    for copy in range(copies):
        for source in sorted(EXAMPLES.glob("*.csv")):
            files.append(folder / f"{copy}-{source.name}")
            shutil.copyfile(source, files[-1])
    return files


def test_batches_of_returns_on_a_dask_local_cluster_are_validated_as_here(tmp_path: Path) -> None:
    jobs = [Job(f) for f in _copies(tmp_path, 4)]
    assert max(len(unit) for unit in batches(jobs, 4)) > 1  # as the cluster gets them
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        outcomes = run_jobs(jobs, None, TODAY, scheduler=cluster.scheduler_address)
    alone = run_jobs(jobs, None, TODAY, workers=1)
    assert len(outcomes) == len(alone) == 32
    for outcome, expected in zip(outcomes, alone, strict=True):
        assert isinstance(outcome, ReturnResult) and isinstance(expected, ReturnResult)
        assert outcome.findings.equals(expected.findings)
        assert outcome.capture is not None and expected.capture is not None
        assert outcome.capture.fields.equals(expected.capture.fields)


def test_a_dask_local_cluster_gives_the_same_audit(here) -> None:  # type: ignore[no-untyped-def]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        assert len(cluster.workers) == 2
        on_cluster = audit(EXAMPLES, today=TODAY, scheduler=cluster.scheduler_address)
    assert audit_json(on_cluster) == audit_json(here)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(runner) -> None:  # type: ignore[no-untyped-def]
    from lp_audit.cli import app

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = runner.invoke(app, ["audit", str(EXAMPLES), "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert outcome.exit_code == 2
    lines = outcome.output.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0], lines


def test_the_cli_gives_the_same_output_with_workers(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lp_audit.cli import app

    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"audit-{workers}.json"
        outcome = runner.invoke(
            app,
            [
                *("audit", str(EXAMPLES), "--workers", workers, "--today", "2026-01-01"),
                *("--format", "json", "--output", str(out)),
            ],
        )
        assert outcome.exit_code == 0, outcome.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


class _DieOn(WorkerPlugin):
    """A Dask worker plugin: on every worker, including those restarted after a death,
    validating the named file ends the process."""

    def __init__(self, name: str) -> None:
        self.name = name

    def setup(self, worker: object) -> None:
        _die_on(self.name)


def test_a_return_that_kills_dask_workers_is_that_returns_problem(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    shutil.copytree(EXAMPLES, folder)
    victim = sorted(folder.glob("*.csv"))[1].name
    # the scheduler gives up on a task after its second worker dies (three by default)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(_DieOn(victim), name="die-on")
        result = audit(folder, today=TODAY, scheduler=cluster.scheduler_address)
    stopped = [u for u in result.unreadable if u.kind == "stopped"]
    assert [Path(u.path).name for u in stopped] == [victim]
    assert len(result.returns) == len(list(folder.glob("*.csv"))) - 1


def _die_on_tables(folder: str) -> None:
    """In a worker: validating the return of several tables in ``folder`` ends the process."""
    import lp_audit.validation as validation

    validate = validation.validate_tables

    def dying(paths, *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(Path(p).name == folder for p in paths):
            os._exit(9)
        return validate(paths, *args, **kwargs)

    validation.validate_tables = dying  # type: ignore[assignment]


def test_returns_of_several_tables_in_worker_processes_give_the_same_audit(
    tmp_path: Path,
) -> None:
    tables = EXAMPLES.parent / "cla"
    one = audit(tables, today=TODAY, workers=1)
    seen: list[str] = []
    two = audit(tables, today=TODAY, workers=2, progress=lambda p: seen.append(p.name))
    assert audit_json(two) == audit_json(one)
    assert render_report(two, charts=False) == render_report(one, charts=False)
    assert sorted(seen) == sorted(p.name for p in find_returns(tables))
    # a return that stops its worker is that return's problem; the rest is audited
    folder = tmp_path / "cla"
    shutil.copytree(tables, folder)

    def pool(workers: int) -> Executor:
        return ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_die_on_tables,
            initargs=("est-2025-26",),
        )

    result = audit(folder, today=TODAY, workers=2, pool=pool)
    assert [(Path(u.path).name, u.kind) for u in result.unreadable] == [("est-2025-26", "stopped")]
    assert len(result.returns) == 10  # five returns of two tables


def test_returns_of_several_tables_on_a_dask_local_cluster_give_the_same_audit() -> None:
    tables = EXAMPLES.parent / "cla"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_cluster = audit(tables, today=TODAY, scheduler=cluster.scheduler_address)
    assert audit_json(on_cluster) == audit_json(audit(tables, today=TODAY, workers=1))
