"""Auditing many returns: validate each, profile capture, compare providers and periods.

``audit(path)`` finds every return under ``path``, validates each with the same engine as
``validate_return``, and builds an :class:`AuditResult`: the findings, capture profiles and
scores per provider and period, coverage, funnel limits, category mix, drift metrics, trends,
continuity between periods, and plain-English highlights ordered by importance. Reports and
notebooks read the result; nothing here formats output.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date
from pathlib import Path
from typing import Any

from lp_audit.auditing.assemble import assemble
from lp_audit.auditing.config import AuditConfig, find_config, load_config
from lp_audit.auditing.parallel import Job, auto_workers, run_jobs
from lp_audit.auditing.result import RETURN_SUFFIXES, AuditResult, TablesAudit
from lp_audit.auditing.store import ResultStore
from lp_audit.definitions import Definition
from lp_audit.errors import ReturnReadError
from lp_audit.periods import Period
from lp_audit.validation import ReturnResult, Unreadable, Validation


def find_returns(path: Path) -> list[Path]:
    """Every CSV and XLSX file under ``path`` (any depth, hidden folders skipped), sorted."""
    if path.is_file():
        return [path]
    found = [
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in RETURN_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    return sorted(found)


def audit(
    path: str | Path,
    definition: Definition | str | Path | None = None,
    *,
    config: AuditConfig | str | Path | None = None,
    today: date | None = None,
    progress: Callable[[Path], None] | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
    pool: Callable[[int], Executor] | None = None,
    store: str | Path | None = None,
) -> AuditResult | TablesAudit:
    """Audit every return under ``path``.

    For a definition of several tables, each return is a folder of files named after its
    tables (see :mod:`lp_audit.auditing.tables`) and the audit is a :class:`TablesAudit`: one
    audit per table.

    Args:
        path: a folder of returns (searched at any depth) or one file.
        definition: the definition to use; default: the config's, else the version in force
            for each return's period.
        config: an :class:`AuditConfig` or a path to ``lp-audit.yaml``; default: the
            ``lp-audit.yaml`` in ``path``, if any.
        today: the date for "not in the future" rules and acknowledgement expiry.
        progress: called with each file once it is validated.
        workers: validate the returns in this many worker processes (1: here, one after
            another; None: the machine's cores, for returns of 4 MB or more in all). The
            result is the same, byte for byte, however many.
        scheduler: the address of a Dask distributed scheduler (``tcp://host:8786``) whose
            workers validate the returns instead (``pip install 'lp-audit[dask]'``).
        pool: makes the pool of ``workers`` processes (tests give their own).
        store: a folder to keep each return's result and the audit's tables in, as Parquet
            (see :mod:`lp_audit.auditing.store`); a return stored by an earlier audit, with
            the same bytes and definition, is read back rather than validated again.

    Raises:
        ReturnReadError: if ``path`` does not exist.
        DefinitionError, DefinitionNotFoundError, ConfigError: if those cannot be loaded.
        OptionError: if the scheduler cannot be reached.
        StoreError: if the store cannot be used.
    """
    import re

    root = Path(path)
    if not root.exists():
        raise ReturnReadError(str(root), "no such file or folder")
    found: Path | None = None
    if config is None:
        found = find_config(root)
        settings = load_config(found) if found else AuditConfig()
    elif isinstance(config, AuditConfig):
        settings = config
    else:
        settings = load_config(config)
    spec = definition if definition is not None else settings.definition
    pattern = re.compile(settings.filename_pattern) if settings.filename_pattern else None
    today = today or date.today()
    files = find_returns(root)
    if not files:
        raise ReturnReadError(
            str(root), "has no returns: no .csv or .xlsx file is in it or its folders"
        )
    if spec is None:  # of several bundled definitions, the one the returns' headers name
        spec = _named_by(files)
    several = _of_tables(spec, store)
    if several is not None:
        from lp_audit.auditing.tables import audit_tables

        with CasesAside() as aside:
            tabled = audit_tables(
                files,
                several,
                settings,
                today,
                lambda p: _hints(pattern, p),
                progress,
                workers=auto_workers(files) if workers is None else workers,
                pool=pool,
                scheduler=scheduler,
                keep=aside,
            )
        config_file = (
            found if config is None else None if isinstance(config, AuditConfig) else config
        )
        extra = [Path(config_file)] if config_file else []
        for part in tabled.parts:
            part.inputs = [
                *_fingerprints(root, [*(Path(r.path) for r in part.returns), *extra]),
                *_references(several),
            ]
        return tabled
    jobs = [Job(file, **_hints(pattern, file)) for file in files]
    config_file = found if config is None else None if isinstance(config, AuditConfig) else config
    inputs = _fingerprints(root, [*files, *([Path(config_file)] if config_file else [])])
    digests = [digest for _, digest in inputs[: len(files)]]
    kept = ResultStore(store) if store is not None else None
    keys = (
        [kept.key(d, spec, job, today) for d, job in zip(digests, jobs, strict=True)]
        if kept
        else []
    )
    with CasesAside() as aside:
        return _audit_jobs(
            jobs,
            files,
            spec,
            settings,
            today,
            inputs,
            kept,
            keys,
            digests,
            aside,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
            pool=pool,
        )


def _audit_jobs(
    jobs: list[Job],
    files: list[Path],
    spec: Definition | str | Path | None,
    settings: AuditConfig,
    today: date,
    inputs: list[tuple[str, str]],
    kept: ResultStore | None,
    keys: list[str | None],
    digests: list[str],
    aside: CasesAside,
    *,
    workers: int | None,
    scheduler: str | None,
    progress: Callable[[Path], None] | None,
    pool: Callable[[int], Executor] | None,
) -> AuditResult:
    """The audit of returns of one table: those kept by an earlier audit read back, the
    others validated (each return's cases set aside on disk as it arrives), then assembled."""
    outcomes: list[ReturnResult | Unreadable | None] = [None] * len(jobs)
    if kept is not None:  # results stored by an earlier audit, of the same bytes
        for i, key in enumerate(keys):
            if key is not None and kept.has(key):
                outcomes[i] = aside(kept.load(key, spec))
                if progress is not None:
                    progress(jobs[i].file)
    todo = [i for i, outcome in enumerate(outcomes) if outcome is None]
    validated = run_jobs(
        [jobs[i] for i in todo],
        spec,
        today,
        workers=auto_workers([files[i] for i in todo]) if workers is None else workers,
        scheduler=scheduler,
        done=progress,
        pool=pool,
        keep=aside,
    )
    for i, outcome in zip(todo, validated, strict=True):
        if kept is not None and isinstance(outcome, ReturnResult):
            # before its findings are acknowledged: that depends on the settings and the day
            saved = kept.save(keys[i] or f"unkeyed-{digests[i][:24]}", outcome, digests[i])
            outcome = aside(saved)
        outcomes[i] = outcome
    # a definition that compares a return with the one before: each return that has one in
    # the audit is validated again with it (which is the previous one is known only once the
    # returns say their provider and period)
    again = _with_previous(spec, outcomes, jobs)
    final_keys: list[str | None] = list(keys)
    if again:
        redo = []
        for i, job in again:
            key = kept.key(digests[i], spec, job, today) if kept is not None else None
            final_keys[i] = key
            if kept is not None and kept.has(key):
                outcomes[i] = aside(kept.load(key, spec))  # type: ignore[arg-type]
            else:
                redo.append((i, job))
        twice = run_jobs(
            [job for _, job in redo],
            spec,
            today,
            workers=auto_workers([job.file for _, job in redo]) if workers is None else workers,
            scheduler=scheduler,
            pool=pool,
            keep=aside,
        )
        for (i, _), outcome in zip(redo, twice, strict=True):
            if kept is not None and isinstance(outcome, ReturnResult):
                key = final_keys[i] or f"unkeyed-{digests[i][:24]}"
                outcome = aside(kept.save(key, outcome, digests[i]))
            outcomes[i] = outcome
    results = [o for o in outcomes if isinstance(o, ReturnResult)]
    unreadable = [o for o in outcomes if isinstance(o, Unreadable)]
    audited = assemble(spec, results, unreadable, settings, today)
    audited.inputs = [*inputs, *_references(audited.loaded_definition())]
    audited.read_back = [str(jobs[i].file) for i in range(len(jobs)) if i not in set(todo)]
    if kept is not None:
        audited_ids = {id(r) for r in audited.returns}  # not a second return of a period
        stored = [
            final_keys[i] or f"unkeyed-{digests[i][:24]}"
            for i, o in enumerate(outcomes)
            if isinstance(o, ReturnResult) and id(o) in audited_ids
        ]
        kept.write_audit(audited, stored, spec)
    return audited


class CasesAside:
    """Where an audit sets aside each return's cases (a row per case, as large as the return)
    as the return is validated, so that the audit holds only summaries in memory: a temporary
    folder, removed once no result refers to it, or at once if the audit fails. Where no
    temporary folder can be made, or a file written, cases stay in memory."""

    def __init__(self) -> None:
        from lp_audit.validation.stored import AsideFolder

        try:
            self.folder: AsideFolder | None = AsideFolder()
        except OSError:
            self.folder = None

    def __call__(self, outcome: Any) -> Any:
        """``outcome`` with its cases set aside: a return's result, or each of the results of
        a return of several tables; anything else as it is."""
        from dataclasses import replace

        from lp_audit.validation.stored import set_aside

        if self.folder is None:
            return outcome
        if isinstance(outcome, Validation):
            return replace(outcome, results=[self(r) for r in outcome.results])
        if not isinstance(outcome, ReturnResult):
            return outcome
        try:
            return set_aside(outcome, self.folder)
        except OSError:  # a full disk, say: this return's cases stay in memory
            return outcome

    def __enter__(self) -> CasesAside:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None and self.folder is not None:  # the audit failed
            self.folder.remove()
        self.folder = None


def _named_by(files: list[Path]) -> str | None:
    """The bundled definition the first return whose header names one is of (None when one
    is bundled).

    Raises:
        DefinitionNotFoundError: if no return's header names one.
    """
    from lp_audit.errors import DefinitionNotFoundError
    from lp_audit.validation.identity import definition_of

    problem: DefinitionNotFoundError | None = None
    for file in files:
        try:
            return definition_of(file)
        except ReturnReadError:
            continue  # said of the file when it is validated
        except DefinitionNotFoundError as exc:
            problem = problem or exc
    if problem is not None:
        raise problem
    return None


def _of_tables(spec: Definition | str | Path | None, store: str | Path | None) -> Definition | None:
    """The definition, when it is one of several tables (None otherwise, or when it cannot
    be loaded: the audit then says what is wrong with it).

    Raises:
        OptionError: for a store, which takes returns of one table only yet.
    """
    from lp_audit.definitions.registry import resolve_definition
    from lp_audit.errors import LpAuditError, OptionError

    try:
        chosen = resolve_definition(spec, None)
    except LpAuditError:
        return None
    if not chosen.tables:
        return None
    if store is not None:
        raise OptionError(
            "--store is not yet available for returns of several tables "
            f"({', '.join(t.name for t in chosen.tables)}): audit them without it"
        )
    return chosen


def _with_previous(
    spec: Definition | str | Path | None,
    outcomes: list[ReturnResult | Unreadable | None],
    jobs: list[Job],
) -> list[tuple[int, Job]]:
    """The returns to validate again with the same provider's return of the period before,
    for a definition with ``previous_return``: each one's place and its job."""
    from dataclasses import replace

    from lp_audit.definitions.registry import resolve_definition
    from lp_audit.errors import LpAuditError

    try:
        base = resolve_definition(spec, None)
    except LpAuditError:
        return []
    periods: dict[int, Period] = {}
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, ReturnResult) and outcome.provider and outcome.period:
            try:
                periods[i] = base.parse_period(outcome.period)
            except ValueError:
                continue
    before = {
        (outcomes[i].provider, period.next()): i  # type: ignore[union-attr]
        for i, period in periods.items()
    }
    again = []
    for i, period in periods.items():
        j = before.get((outcomes[i].provider, period))  # type: ignore[union-attr]
        if j is None or jobs[i].previous is not None:
            continue
        try:
            chosen = resolve_definition(spec, period)
        except LpAuditError:
            continue
        if chosen.previous_return is not None:
            again.append((i, replace(jobs[i], previous=jobs[j].file)))
    return again


def _references(definition: Definition) -> list[tuple[str, str]]:
    """The code lists the definition read, as ``NAME@VERSION/path`` with their SHA-256: which
    version of a reference list the results were made with."""
    return [(f"{definition.ref}/{path}", digest) for path, digest in definition.references]


def _fingerprints(root: Path, paths: list[Path]) -> list[tuple[str, str]]:
    """Each file as (its path relative to the audited folder, the SHA-256 of its bytes)."""
    import hashlib

    base = root if root.is_dir() else root.parent
    out = []
    for path in paths:
        digest = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
        except OSError:
            continue
        try:
            name = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            name = path.name
        out.append((name, digest.hexdigest()))
    return out


def _hints(pattern: Any, file: Path) -> dict[str, Any]:
    if pattern is None:
        return {}
    match = pattern.search(file.name)
    if not match:
        return {}
    hints = {k: v for k, v in match.groupdict().items() if v}
    if "provider" in hints:
        hints["provider"] = hints["provider"].upper()
    if "period" in hints:
        text = hints["period"].replace("_", " ").replace("-q", " Q").replace("-Q", " Q")
        try:
            hints["period"] = str(Period.parse(text))
        except ValueError:
            del hints["period"]
    return hints
