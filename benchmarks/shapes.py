"""Time and peak memory of validate on files of hostile shapes, beside a real 1M-row return.

Usage: python benchmarks/shapes.py [--runs 3] [--python PYTHON ...] [--output RESULTS.md]

Files: a header then 10^5 and 10^6 lines of one letter (each line a ragged row of one cell:
every required field of every row is blank), the same numbers of blank lines and of lines of
bare delimiters, and the 1,000,000-row synthetic return of ``run.py``. Each runs as a whole
process (``lp-audit validate FILE --format json`` to /dev/null); wall and CPU seconds and peak
resident memory come from os.wait4. With several ``--python``, each file is run by each in
turn, round after round (to compare two installs in one run). The table replaces the section
between the ``shapes`` markers of RESULTS.md, so the rest of the file stays as run.py wrote it.
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
BEGIN, END = "<!-- shapes: begin -->", "<!-- shapes: end -->"
HEADER = (
    "return_period,provider_code,site_code,referral_id,person_id,nhs_number,age_at_referral,"
    "gender,ethnicity,home_la,postcode_district,referral_source,attendance_date,referral_date,"
    "injury_intent,injury_mechanism,consent_status,engagement_status,first_contact_date,"
    "first_contact_method,contacts_count,initial_risk_level,needs_identified,onward_referrals,"
    "case_status,closure_date,closure_reason,risk_change_at_close,notes"
)


def shaped(name: str, line: str, count: int) -> Path:
    path = DATA / f"shape-{name}-{count}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        path.write_text(HEADER + "\n" + line * count)
    return path


def synthetic(rows: int) -> Path:
    path = DATA / f"hbyw-{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        code = (
            "from lp_audit.synthetic import make_return as generate\n"
            f"frame, _ = generate({rows}, seed={rows % 997}, defects={max(rows // 100, 1)})\n"
            f"frame.to_csv({str(path)!r}, index=False)"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
    return path


def run_once(python: str, path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS in MiB of one validate."""
    command = [python, "-m", "lp_audit", "validate", str(path), "-f", "json", "-o", os.devnull]
    return measure_process(command)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", nargs="+", default=[sys.executable])
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    files = [
        (f"{n:,} lines of one letter", shaped("letter", "a\n", n)) for n in (100_000, 1_000_000)
    ]
    files += [(f"{n:,} blank lines", shaped("blank", "\n", n)) for n in (100_000, 1_000_000)]
    files += [
        (f"{n:,} lines of commas", shaped("commas", ",,,\n", n)) for n in (100_000, 1_000_000)
    ]
    files.append(("1,000,000-row synthetic return", synthetic(1_000_000)))
    rows = [
        "| File | Size | Python | Wall s (median) | CPU s | Peak MiB |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for name, path in files:
        measured: dict[str, list[tuple[float, float, float]]] = {p: [] for p in args.python}
        for _ in range(args.runs):
            for python in args.python:
                measured[python].append(run_once(python, path))
        for python, runs in measured.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            peak = statistics.median(r[2] for r in runs)
            size = path.stat().st_size / (1 << 20)
            label = Path(python).parent.parent.name if len(args.python) > 1 else "this install"
            rows.append(
                f"| {name} | {size:,.1f} MiB | {label} | {wall:.2f} | {cpu:.2f} | {peak:,.0f} |"
            )
            print(rows[-1], flush=True)
    section = "\n".join(
        [
            BEGIN,
            "## Hostile shapes (benchmarks/shapes.py)",
            "",
            f"`python benchmarks/shapes.py --runs {args.runs}`: whole `validate` processes, "
            "medians of the runs; CPU is user plus system time. A file of one-letter lines is "
            "a ragged row per line with every required field blank: one problem on every row, "
            "listed for its first 1,000 rows and counted in one finding after that.",
            "",
            *rows,
            END,
        ]
    )
    write_section(args.output, BEGIN, END, section)


if __name__ == "__main__":
    main()
