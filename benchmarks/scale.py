"""An audit of a large network against validate of the same number of rows, with 1 and 2
workers, and its peak memory as the number of returns grows.

Usage: python benchmarks/scale.py [--providers 30] [--quarters 8] [--rows 5000] [--runs 3]
       [--output RESULTS.md]

Makes (once, under benchmarks/data/) a network of PROVIDERS x QUARTERS returns of ROWS rows
each, open cases carried from quarter to quarter (``lp_audit.synthetic.network_returns``), a
tenth of it (3 providers, the same quarters) for memory, and one return of a million rows from
the same generator. Each run is a whole process, run in turn round after round: ``lp-audit
audit`` of the network with ``--workers 1`` and ``--workers 2``, of the tenth with ``--workers
1``, and ``lp-audit validate`` of the million rows. Wall and CPU seconds (user plus system, the
workers included) and peak resident memory (of the largest process) come from os.wait4.
Reported: medians; CPU per million rows of the audit against validate's; the table replaces
the section between the ``scale`` markers of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from results import measure_process, write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
BEGIN, END = "<!-- scale: begin -->", "<!-- scale: end -->"
PERIODS = tuple(f"20{y}-{y + 1} Q{q}" for y in range(24, 30) for q in range(1, 5))


def network(providers: int, quarters: int, rows: int) -> tuple[Path, int]:
    """The network's folder (made once) and its number of data rows."""
    folder = DATA / f"network-{providers}x{quarters}x{rows}"
    if not (folder / "lp-audit.yaml").exists():
        code = f"""
import sys
from pathlib import Path
from lp_audit.synthetic import network_definition, network_returns
folder = Path({str(folder)!r})
folder.mkdir(parents=True, exist_ok=True)
(folder / "definition.yaml").write_text(network_definition({providers}))
returns = network_returns({providers}, periods={PERIODS[:quarters]!r}, rows=({rows}, {rows}))
for (code, period), frame in returns.items():
    name = f"{{code.lower()}}-{{period.replace(' ', '-').lower()}}.csv"
    frame.to_csv(folder / name, index=False, lineterminator="\\n")
(folder / "lp-audit.yaml").write_text("definition: definition.yaml\\n")
"""
        subprocess.run([sys.executable, "-c", code], check=True)
    lines = sum(sum(1 for _ in p.open("rb")) - 1 for p in folder.glob("*.csv"))
    return folder, lines


def million(rows: int = 1_000_000) -> Path:
    path = DATA / f"hbyw-{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        code = (
            "from lp_audit.synthetic import make_return\n"
            f"frame, _ = make_return({rows}, seed={rows % 997}, defects={rows // 100})\n"
            f"frame.to_csv({str(path)!r}, index=False, lineterminator='\\n')"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--providers", type=int, default=30)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    big, big_rows = network(args.providers, args.quarters, args.rows)
    small, small_rows = network(max(args.providers // 10, 2), args.quarters, args.rows)
    one = million()
    lp = [sys.executable, "-m", "lp_audit"]
    today = ["--today", "2031-01-01"]
    variants = {
        "audit, 1 worker": ([*lp, "audit", str(big), "--workers", "1", *today], big, big_rows),
        "audit, 2 workers": ([*lp, "audit", str(big), "--workers", "2", *today], big, big_rows),
        "audit of a tenth, 1 worker": (
            [*lp, "audit", str(small), "--workers", "1", *today],
            small,
            small_rows,
        ),
        "validate, one return": (
            [*lp, "validate", str(one), "--format", "json", "--output", os.devnull],
            one,
            1_000_000,
        ),
    }
    measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, (command, _, _) in variants.items():
            measured[name].append(measure_process(command))
            print(name, measured[name][-1], flush=True)
    rows = [
        "| Command | Returns | Rows | Wall s | CPU s | CPU s per million rows | Peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    per_million = {}
    for name, (_, path, count) in variants.items():
        wall = statistics.median(m[0] for m in measured[name])
        cpu = statistics.median(m[1] for m in measured[name])
        peak = statistics.median(m[2] for m in measured[name])
        files = len(list(path.glob("*.csv"))) if path.is_dir() else 1
        per_million[name] = cpu / count * 1e6
        rows.append(
            f"| {name} | {files} | {count:,} | {wall:.1f} | {cpu:.1f} | "
            f"{per_million[name]:.1f} | {peak:.0f} |"
        )
    ratio = per_million["audit, 1 worker"] / per_million["validate, one return"]
    peaks = {
        name: statistics.median(m[2] for m in measured[name])
        for name in ("audit, 1 worker", "audit of a tenth, 1 worker")
    }
    growth = peaks["audit, 1 worker"] / peaks["audit of a tenth, 1 worker"]
    section = "\n".join(
        [
            BEGIN,
            "## An audit at scale (benchmarks/scale.py)",
            "",
            f"`python benchmarks/scale.py --runs {args.runs}`: a network of {args.providers} "
            f"providers x {args.quarters} quarters x {args.rows:,} rows (open cases carried "
            "between quarters), a tenth of it, and one million-row return of the same "
            "generator; whole processes, medians, taken in turn. CPU includes the worker "
            "processes; peak memory is the largest process's.",
            "",
            *rows,
            "",
            f"Audit CPU per million rows: {ratio:.2f}x validate's. Peak memory with ten times "
            f"the returns (1 worker): {growth:.2f}x.",
            END,
        ]
    )
    write_section(args.output, BEGIN, END, section)


if __name__ == "__main__":
    main()
