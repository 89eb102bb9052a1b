"""What the benchmarks share: one command measured as a whole process, and writing one
section of benchmarks/RESULTS.md between its markers, leaving the rest."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def measure_process(
    command: list[str], allowed: tuple[int, ...] = (0, 1)
) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, with the processes it waited for) and peak
    resident memory in MiB of one run of ``command``, from os.wait4.

    Raises:
        RuntimeError: if it exits with another status (lp-audit exits 1 on findings), with the
            end of its stderr, so that a failed run is never timed as if it had run.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in allowed:
        message = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed: {message[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def write_section(path: Path, begin: str, end: str, section: str) -> None:
    """Replace the text from ``begin`` to ``end`` in ``path`` with ``section`` (which starts
    and ends with those markers), or add it at the end of the file."""
    text = path.read_text() if path.exists() else ""
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
