"""A results store: each return's result and the audit's tables, as Parquet in a folder.

``audit(path, store=DIR)`` keeps, in DIR::

    returns/<key>/       one return's findings and capture profile (Parquet) and summary
    tables/<name>.parquet  the audit's tables: profile, scores, coverage, funnels, categories,
                         metrics, continuity, comparisons, highlights, unreadable
    audit.json           what the audit was: its settings, definition, day, and which
                         returns/<key> it read, in order; written last

A return's key is a SHA-256 of its file's bytes, the definition's files, what the file's name
said of its provider and period, the day when the definition's rules use it, and lp_audit's
version: a second audit with the same store validates only the returns whose key changed and
reads the others back. ``lp-audit report DIR`` renders the report from the store without
validating anything (:func:`load_audit`). A return's folder is complete or absent (see
:mod:`lp_audit.validation.stored`); an interrupted audit leaves the last complete audit.json,
whose returns are all still there (returns no audit.json names are removed only after a new
one is written).
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lp_audit.auditing.config import config_data, config_from
from lp_audit.auditing.parallel import Job, with_definition
from lp_audit.definitions import Definition
from lp_audit.errors import LpAuditError
from lp_audit.validation import ReturnResult, Unreadable
from lp_audit.validation.stored import SUMMARY, load_result, save_result, with_hidden_cases

if TYPE_CHECKING:
    from lp_audit.auditing.result import AuditResult

MANIFEST = "audit.json"
#: The store's format; a store of another is refused rather than misread.
FORMAT = 1
TABLES = (
    "profile",
    "scores",
    "coverage",
    "funnels",
    "categories",
    "metrics",
    "continuity",
    "comparisons",
)


class StoreError(LpAuditError):
    """A results store that cannot be used: one line saying why."""


class ResultStore:
    """A folder of stored results (made if absent)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreError(f"{self.folder}: the store must be a folder, and this is a file")
        manifest = self.folder / MANIFEST
        if manifest.exists():
            data = _read_manifest(manifest)
            if data.get("store") != FORMAT:
                raise StoreError(f"{self.folder}: a store of another format ({data.get('store')})")
        try:
            (self.folder / "returns").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.folder}: cannot make the store: {exc.strerror}") from None
        salt = self.folder / "key"
        if not salt.exists():  # keys the hash of sensitive values kept for continuity
            salt.write_bytes(secrets.token_bytes(64))
            salt.chmod(0o600)
        self.salt = salt.read_bytes()

    def key(
        self, digest: str, definition: Definition | str | Path | None, job: Job, today: date
    ) -> str | None:
        """The key of a return's result, or None when it cannot be known before validating
        (a definition given as an object, not a file or a name)."""
        made_from = definition_files(definition)
        if made_from is None:
            return None
        text = b"".join(made_from)
        parts = [digest, hashlib.sha256(text).hexdigest(), job.provider, job.period, _version()]
        if job.previous is not None:  # compared with the previous return: its bytes count too
            parts.append(hashlib.sha256(Path(job.previous).read_bytes()).hexdigest())
        if b"today" in text:  # "not in the future": the result depends on the day
            parts.append(today.isoformat())
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]

    def has(self, key: str | None) -> bool:
        return key is not None and (self.folder / "returns" / key / SUMMARY).exists()

    def load(self, key: str, definition: Definition | str | Path | None) -> ReturnResult:
        result = load_result(self.folder / "returns" / key)
        outcome = with_definition(result, definition)
        assert isinstance(outcome, ReturnResult)
        return outcome

    def save(self, key: str, result: ReturnResult, digest: str) -> ReturnResult:
        """Keep ``result``; the result as kept (sensitive values in its cases hashed), which
        the audit goes on with, as it does with the results it reads back."""
        kept = with_hidden_cases(result, self.salt)
        folder = self.folder / "returns" / key
        if (folder / SUMMARY).exists():
            return kept
        if folder.exists():  # not complete: not from save_result, which renames it whole
            shutil.rmtree(folder)
        save_result(kept, folder, extra={"sha256": digest, "key": key})
        return kept

    def write_audit(
        self, audited: AuditResult, keys: list[str], definition: Definition | str | Path | None
    ) -> None:
        """The audit's tables and its manifest (last); then the returns it no longer reads
        are removed."""
        from lp_audit.files import write_atomic

        tables = self.folder / "tables"
        tables.mkdir(exist_ok=True)
        frames = {name: getattr(audited, name) for name in TABLES}
        import pandas as pd

        frames["highlights"] = pd.DataFrame([asdict(h) for h in audited.highlights])
        frames["unreadable"] = pd.DataFrame(
            [asdict(u) for u in audited.unreadable], columns=["path", "message", "kind"]
        )
        for name, frame in frames.items():
            if frame is None:
                continue
            buffer = frame.to_parquet(index=False)
            write_atomic(tables / f"{name}.parquet", buffer)
        manifest = {
            "store": FORMAT,
            "definition": audited.definition,
            "definition_file": str(Path(definition).resolve())
            if isinstance(definition, str | Path) and _is_file(definition)
            else None,
            "today": audited.today.isoformat() if audited.today else None,
            "settings": config_data(audited.config),
            "returns": keys,
            "unreadable": [asdict(u) for u in audited.unreadable],
            "inputs": audited.inputs,
        }
        write_atomic(self.folder / MANIFEST, json.dumps(manifest, indent=1))
        kept = set(keys)
        for folder in (self.folder / "returns").iterdir():
            if folder.name not in kept:
                shutil.rmtree(folder, ignore_errors=True)


def load_audit(folder: str | Path) -> AuditResult:
    """The audit last stored in ``folder``, assembled again from its returns' stored results,
    without validating anything: the same result the audit gave (a test compares them).

    Raises:
        StoreError: if ``folder`` holds no complete audit.
    """
    from lp_audit.auditing.assemble import assemble
    from lp_audit.definitions import load_definition

    root = Path(folder)
    manifest = root / MANIFEST
    if not manifest.exists():
        raise StoreError(
            f"{root}: no stored audit here (no {MANIFEST}): run lp-audit audit PATH --store {root}"
        )
    data = _read_manifest(manifest)
    if data.get("store") != FORMAT:
        raise StoreError(f"{root}: a store of another format ({data.get('store')})")
    spec: str | None = data["definition_file"] or None
    if spec is not None and not Path(spec).exists():
        spec = None  # moved: the definition is loaded again by its name and version
    definition = load_definition(spec) if spec else None
    results = []
    for key in data["returns"]:
        if not (root / "returns" / key / SUMMARY).exists():
            raise StoreError(
                f"{root}: the stored result {key} is missing: audit again with --store"
            )
        outcome = with_definition(load_result(root / "returns" / key), definition)
        assert isinstance(outcome, ReturnResult)
        results.append(outcome)
    unreadable = [Unreadable(**u) for u in data["unreadable"] if u["kind"] != "duplicate"]
    today = date.fromisoformat(data["today"]) if data["today"] else None
    settings = config_from(data["settings"])
    audited = assemble(definition or data["definition"], results, unreadable, settings, today)
    audited.inputs = [(str(name), str(digest)) for name, digest in data["inputs"]]
    return audited


def definition_files(definition: Definition | str | Path | None) -> list[bytes] | None:
    """The bytes of the files a definition is read from: a file and the definitions beside it,
    or every version of a bundled one; None for a definition given as an object."""
    from lp_audit.definitions import bundled_definitions_dir, is_path_spec

    if isinstance(definition, Definition):
        return None
    if definition is None:
        folder = bundled_definitions_dir()
    elif is_path_spec(definition):
        path = Path(definition)
        folder = path.parent
        files = sorted({path, *folder.glob("*.yaml"), *folder.glob("*.yml")})
        # and the code lists it reads, by their fingerprints
        from lp_audit.definitions import load_definition

        references = "".join(f"{p}={d};" for p, d in load_definition(path).references)
        return [
            *(str(p.name).encode() + b"\0" + p.read_bytes() for p in files if p.is_file()),
            references.encode(),
        ]
    else:
        folder = bundled_definitions_dir() / str(definition).split("@")[0]
    return [
        str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".yaml", ".yml", ".csv")
    ]


@functools.cache
def _version() -> str:
    """lp_audit's code, as a fingerprint of its modules: a result may change with any of
    them, and an editable install keeps its version number while its code changes."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for module in sorted(package.rglob("*.py")):
        digest.update(module.relative_to(package).as_posix().encode() + b"\0")
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _is_file(spec: str | Path) -> bool:
    from lp_audit.definitions import is_path_spec

    return is_path_spec(spec)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: not a store's manifest: {exc}") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: not a store's manifest")
    return data
