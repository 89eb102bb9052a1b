"""What a report adds to the audit of the bundled examples: wall and CPU seconds.

Usage: python benchmarks/report.py [--runs 7] [--python PYTHON ...] [--output RESULTS.md]

Runs ``lp-audit audit examples/hbyw`` without a report, with ``--report report.html`` and with
``--report report.md``, each as a whole process, in turn, round after round; wall and CPU
seconds (user plus system, the helper process that draws the charts included) come from
os.wait4. The difference of medians is what the report adds. With several ``--python`` (for
example a wrapper that puts an older checkout's ``src`` on PYTHONPATH), each is run in turn,
to compare two versions in one run. The table replaces the section between the ``report``
markers of RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from results import measure_process, write_section

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples" / "hbyw"
BEGIN, END = "<!-- report: begin -->", "<!-- report: end -->"


def run_once(python: str, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one audit."""
    command = [python, "-m", "lp_audit", "audit", str(EXAMPLES), *extra]
    wall, cpu, _ = measure_process(command)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", nargs="+", default=[sys.executable])
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        html, markdown = str(Path(tmp) / "report.html"), str(Path(tmp) / "report.md")
        variants = {
            "audit": [],
            "audit --report report.html": ["--report", html],
            "audit --report report.md": ["--report", markdown],
        }
        measured: dict[tuple[str, str], list[tuple[float, float]]] = {
            (p, v): [] for p in args.python for v in variants
        }
        for _ in range(args.runs):
            for python in args.python:
                for name, extra in variants.items():
                    for path in (html, markdown):  # a report never overwrites an older one
                        Path(path).unlink(missing_ok=True)
                    measured[(python, name)].append(run_once(python, extra))
    rows = [
        "| Python | Command | Wall s | CPU s | Report adds, wall s | Report adds, CPU s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for python in args.python:
        base_wall = statistics.median(r[0] for r in measured[(python, "audit")])
        base_cpu = statistics.median(r[1] for r in measured[(python, "audit")])
        label = python if len(args.python) > 1 else "this install"
        for name in variants:
            wall = statistics.median(r[0] for r in measured[(python, name)])
            cpu = statistics.median(r[1] for r in measured[(python, name)])
            added = f"{wall - base_wall:+.2f} | {cpu - base_cpu:+.2f}" if name != "audit" else " | "
            rows.append(f"| {label} | `lp-audit {name}` | {wall:.2f} | {cpu:.2f} | {added} |")
            print(rows[-1], flush=True)
    section = "\n".join(
        [
            BEGIN,
            "## What a report adds (benchmarks/report.py)",
            "",
            f"`python benchmarks/report.py --runs {args.runs}`: whole processes on the bundled "
            "examples (8 returns, 3 providers), medians of the runs, taken in turn; CPU is user "
            "plus system time with the chart-drawing helper process included.",
            "",
            *rows,
            END,
        ]
    )
    write_section(args.output, BEGIN, END, section)


if __name__ == "__main__":
    main()
