"""Process-wide memory settings and a parallel import that large reads measured faster with."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


def _mallopt(param: int, value: int) -> None:
    """Set a glibc malloc parameter; elsewhere (musl, macOS, Windows) do nothing."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(param, value)
    except OSError:
        pass


_M_MMAP_THRESHOLD = -3


def reuse_memory() -> None:
    """Let glibc hand freed blocks of up to 32 MiB out again, for a whole-file read.

    By default it maps most blocks of a few MB (the masks and codes of a million rows) afresh
    from the system each time, and every fresh page is a fault. Measured on a million-row
    return: 3.4 s to 3.05 s (system time 1.2 s to 0.65 s), peak 35 MiB higher. A
    process-wide setting of the allocator, not of results; without glibc it does nothing.
    """
    _mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)


def import_pandas_meanwhile() -> None:
    """Start importing pandas in a thread, for a whole-file read of a large file.

    Importing pandas takes about 0.3 s, almost all of it holding the interpreter; reading a
    large file mostly does not (the system reads, numpy scans, pyarrow parses in its own
    threads). Numpy and pyarrow, which both need, are imported here first, so the two threads
    never import the same module at once. Measured on a million-row return: 2.67 s to 2.51 s.
    """
    import contextlib
    import importlib
    import sys
    import threading

    if "pandas" in sys.modules:
        return
    import numpy  # noqa: F401
    import pyarrow.compute
    import pyarrow.csv  # noqa: F401

    def run() -> None:
        with contextlib.suppress(Exception):  # the reader's own import reports it
            importlib.import_module("pandas")

    threading.Thread(target=run, name="import-pandas").start()


def return_memory_eagerly() -> None:
    """Make freed memory go back to the operating system, for chunked reading.

    Measured on a million-row return validated in chunks of 100,000: pyarrow's default
    allocator (mimalloc) and glibc's growing mmap threshold keep what each chunk freed, so the
    peak grew from chunk to chunk (643 MiB, 10.6 s); with pyarrow on jemalloc returning freed
    pages at once and a fixed threshold, it stays near the first chunk's (471 MiB, 12.1 s).
    Both are process-wide settings of the allocators, not of results; without jemalloc,
    pyarrow's system allocator does nearly as well (493 MiB); without glibc, the threshold is
    left alone. The price is time spent giving pages back, which a whole-file read does not
    pay (see :func:`reuse_memory`): when measured, it would have lowered that read's peak from
    980 MiB to 800 MiB for a million rows, at 0.5 s of its 4 s.
    """
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, AttributeError):  # a pyarrow built without jemalloc
        pa.set_memory_pool(pa.system_memory_pool())
    _mallopt(_M_MMAP_THRESHOLD, 128 * 1024)  # large blocks are mmap'ed, and unmapped when freed
