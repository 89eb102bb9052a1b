"""Files: inputs read with a clear answer when they cannot be; outputs written atomically,
and never over an input."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from lp_audit.errors import OutputError, ReturnReadError


def read_input(path: Path) -> bytes:
    """The bytes of an input file.

    Raises:
        ReturnReadError: saying why not (missing, a folder, a pipe or device, permissions).
    """
    problem = not_a_regular_file(path)
    if problem is not None:
        raise ReturnReadError(str(path), problem)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ReturnReadError(str(path), "no such file; check the path") from None
    except IsADirectoryError:
        raise ReturnReadError(
            str(path), "is a folder, not a file; name a CSV or XLSX file"
        ) from None
    except PermissionError:
        raise ReturnReadError(str(path), "permission denied; check you can open the file") from None
    except OSError as exc:
        raise ReturnReadError(str(path), f"cannot be read ({exc.strerror})") from None


def write_atomic(path: str | Path, text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` (bytes, or pieces of text in turn) to ``path`` via a temporary file in
    the same folder and a rename.

    An interrupted run leaves either the old file or the new one, never a partial one. A
    device or a pipe (``/dev/null``, ``/dev/stdout``) is written to directly.

    Raises:
        OutputError: if the folder does not exist or cannot be written.
    """
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        # a device or a pipe (/dev/null, /dev/stdout, a FIFO): written to, never replaced; a
        # rename would put a regular file where the device was
        try:
            with target.open("wb") as handle:
                _write(handle, text)
        except OSError as exc:
            raise OutputError(f"{target}: cannot be written ({exc.strerror or exc})") from None
        return
    folder = target.parent if str(target.parent) else Path()
    if not folder.is_dir():
        raise OutputError(f"{target}: the folder {folder} does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write in {folder} ({exc.strerror})") from None
    try:
        # mkstemp makes the file private; give it the mode a plain open() would have
        umask = os.umask(0)
        os.umask(umask)
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~umask
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            _write(handle, text)
        Path(tmp).replace(target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write(handle: BinaryIO, text: str | bytes | Iterable[str]) -> None:
    if isinstance(text, bytes):
        handle.write(text)
    elif isinstance(text, str):
        handle.write(text.encode("utf-8"))
    else:  # pieces, gathered to about a megabyte a write
        held: list[str] = []
        size = 0
        for piece in text:
            held.append(piece)
            size += len(piece)
            if size >= 1 << 20:
                handle.write("".join(held).encode("utf-8"))
                held, size = [], 0
        handle.write("".join(held).encode("utf-8"))


def refuse_overwriting(outputs: Iterable[str | Path | None], inputs: Iterable[str | Path]) -> None:
    """Refuse, before anything is read, an output that is one of the inputs.

    The same file however it is named: a relative path, a symbolic link, a hard link.

    Raises:
        OutputError: naming the output and the input it would overwrite.
    """
    existing = [Path(o) for o in outputs if o is not None and Path(o).exists()]
    if not existing:
        return
    for source in inputs:
        for target in existing:
            try:
                same = target.samefile(source)
            except OSError:
                continue
            if same:
                raise OutputError(
                    f"{target}: is the input {source}; write the output to another file "
                    "(lp_audit never overwrites a return)"
                )


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file, for a pipe or a device (reading one could wait
    for ever), or None for a regular file, a folder or a missing path (their readers say)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = (
        "a pipe"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
    )
    return f"is {kind}, not a file; name a saved file"
