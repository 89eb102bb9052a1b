"""Benchmark lp_audit against the parse-only floor and peers, as whole processes; write RESULTS.md.

Usage: python benchmarks/run.py [--sizes 10000 100000 1000000] [--runs 3] [--output RESULTS.md]
       [--peer-python PYTHON] [--no-peers]

The peers (pointblank on polars, frictionless) are given the same rules by benchmarks/peers.py
and run with ``--peer-python`` (default: this Python; ``nox -s bench`` installs them there).
frictionless streams row by row in Python, so at 1,000,000 rows it runs once, not ``--runs``.

Each command runs as its own process (start-up and imports included, as a user meets them);
wall time and peak resident memory come from os.wait4. The figure reported is the median of
the runs; the commands for one size run in turn, round after round, so that the machine's slow
spells fall on all of them. Returns are synthetic HBYW returns with 1% defects, made by
lp_audit.synthetic, and kept in benchmarks/data/ (not committed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable


@dataclass(frozen=True)
class Measure:
    name: str
    wall: float
    rss_mb: float
    low: float = float("nan")  # the fastest and slowest run
    high: float = float("nan")


def run_once(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB: ru_maxrss is in KiB) of one process.

    lp-audit exits 1 when it finds errors (the benchmark returns have them); anything else
    must exit 0, so a peer that failed is not timed as if it had run.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    allowed = (0, 1) if "lp_audit" in command else (0,)
    if os.waitstatus_to_exitcode(status) not in allowed:
        message = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed: {message[-500:]}")
    return wall, usage.ru_maxrss / 1024


def measure(name: str, command: list[str], runs: int) -> Measure:
    return measure_together([(name, command, runs)])[0]


def measure_together(commands: list[tuple[str, list[str], int]]) -> list[Measure]:
    """Run the commands in turn, round after round, so that a slow spell of the machine falls
    on all of them rather than on whichever ran then; each ``(name, command, runs)`` runs its
    own number of times."""
    results: list[list[tuple[float, float]]] = [[] for _ in commands]
    for round_ in range(max(runs for _, _, runs in commands)):
        for (_, command, runs), done in zip(commands, results, strict=True):
            if round_ < runs:
                done.append(run_once(command))
    return [
        Measure(
            name,
            statistics.median(r[0] for r in done),
            statistics.median(r[1] for r in done),
            min(r[0] for r in done),
            max(r[0] for r in done),
        )
        for (name, _, _), done in zip(commands, results, strict=True)
    ]


def make_return(rows: int) -> Path:
    path = DATA / f"hbyw-{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        _in_child(
            "from lp_audit.synthetic import make_return as generate\n"
            f"frame, _ = generate({rows}, seed={rows % 997}, defects={max(rows // 100, 1)})\n"
            f"frame.to_csv({str(path)!r}, index=False)"
        )
    return path


def _in_child(code: str) -> None:
    """Run ``code`` in a child process. A child's peak RSS (from wait4) starts at its parent's
    size when it forked, so this process must stay small: no pandas here."""
    subprocess.run([PY, "-c", code], check=True)


def make_audit_folder(providers: int = 3, quarters: int = 4, rows: int = 5000) -> Path:
    folder = DATA / f"audit-{providers}x{quarters}x{rows}"
    if not folder.exists():
        _in_child(
            f"""
from pathlib import Path
from lp_audit.synthetic import make_return as generate
folder = Path({str(folder)!r})
folder.mkdir(parents=True)
periods = ["2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"][:{quarters}]
for p, provider in enumerate(("RTH", "SGT", "OAS")[:{providers}]):
    for q, period in enumerate(periods):
        frame, _ = generate(
            {rows}, provider=provider, period=period, seed=10 * p + q,
            defects={rows // 100}, first_id=100_000 * q,
        )
        name = provider.lower() + "-" + period.replace(" ", "-").lower() + ".csv"
        frame.to_csv(folder / name, index=False)
"""
        )
    return folder


def floors(path: Path) -> list[tuple[str, list[str]]]:
    return [
        (
            "pyarrow CSV read (floor)",
            [PY, "-c", f"import pyarrow.csv as c; c.read_csv({str(path)!r})"],
        ),
        (
            "pandas read_csv, pyarrow engine, as text",
            [
                PY,
                "-c",
                f"import pandas as pd; pd.read_csv({str(path)!r}, dtype=str, engine='pyarrow', keep_default_na=False)",
            ],
        ),
    ]


def lp_audit_validate(path: Path, *extra: str) -> list[str]:
    return [
        PY,
        "-m",
        "lp_audit",
        "validate",
        str(path),
        "--format",
        "json",
        "--output",
        os.devnull,
        *extra,
    ]


def peers(path: Path, rules: Path, python: str) -> list[tuple[str, list[str]]]:
    script = str(HERE / "peers.py")
    return [
        ("pointblank (polars), same rules", [python, script, "pointblank", str(rules), str(path)]),
        ("frictionless, same rules", [python, script, "frictionless", str(rules), str(path)]),
    ]


def machine() -> str:
    """The machine and library versions, read in a child process to keep this one small."""
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import run; print(run._machine())"
    return subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pandas
    import pandera
    import pyarrow

    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, {cpu}; Python "
        f"{platform.python_version()}, pandas {pandas.__version__}, pyarrow {pyarrow.__version__}, "
        f"pandera {pandera.__version__}"
    )


def targets(measured: dict[int, dict[str, Measure]], help_: Measure) -> list[str]:
    """Issue #7's targets, each against the figures of this run (MB = 10^6 bytes)."""
    out = ["## Targets (issue #7), from this run", ""]

    def row(target: str, figure: str, met: bool) -> None:
        out.append(f"| {target} | {figure} | {'met' if met else 'NOT met'} |")

    out += ["| target | this run | |", "|---|---|---|"]
    big = measured.get(1_000_000)
    if big:
        ours = big["lp-audit validate --format json"]
        floor = big["pyarrow CSV read (floor)"]
        peers_ = [m for name, m in big.items() if "same rules" in name]
        row(
            "1M rows: at most 4× the pyarrow read",
            f"{ours.wall / floor.wall:.1f}×",
            ours.wall <= 4 * floor.wall,
        )
        if peers_:
            fastest = min(peers_, key=lambda m: m.wall)
            row(
                "1M rows: faster than every peer",
                f"{ours.wall / fastest.wall:.2f}× {fastest.name.split(',')[0]}",
                ours.wall < fastest.wall,
            )
        mb = ours.rss_mb * 1024 * 1024 / 1e6
        row(
            "1M rows whole file: at most 1.2 GB",
            f"{mb:,.0f} MB ({ours.rss_mb:,.0f} MiB)",
            mb <= 1200,
        )
        chunked = big.get("lp-audit validate --format json --chunk-rows 100000")
        if chunked:
            mb = chunked.rss_mb * 1024 * 1024 / 1e6
            row(
                "1M rows, --chunk-rows 100000: at most 400 MB",
                f"{mb:,.0f} MB ({chunked.rss_mb:,.0f} MiB)",
                mb <= 400,
            )
    small = measured.get(1_000)
    if small:
        ours = small["lp-audit validate --format json"]
        row("1,000 rows: under 2 s", f"{ours.wall:.2f} s", ours.wall < 2)
    row("lp-audit --help: under 0.3 s", f"{help_.wall:.2f} s", help_.wall < 0.3)
    return [*out, ""]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--peer-python", default=PY)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    rules = DATA / "rules.json"
    DATA.mkdir(exist_ok=True)
    subprocess.run(
        [PY, str(HERE / "peers.py"), "rules", "hbyw-quarterly-return@1.0", str(rules)], check=True
    )

    lines = [
        "# Benchmark results",
        "",
        f"Measured with `python benchmarks/run.py --runs {args.runs}` (also `nox -s bench`) on: {machine()}.",
        "Whole processes, start-up included; median of the runs (the commands for one size run in",
        "turn, round after round); peak resident memory from `wait4`.",
        "Returns: synthetic HBYW 1.0, 29 columns, 1% defects (`lp_audit.synthetic`).",
        "",
        "`× floor` divides by the pyarrow read of the same file in the same run; `× fastest peer`",
        "divides lp-audit's time by the fastest peer's (below 1.0: lp-audit is faster).",
        "",
        "| rows | command | wall (s) | runs (s) | peak RSS (MiB) | × floor | × fastest peer |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    measured: dict[int, dict[str, Measure]] = {}
    for rows in args.sizes:
        path = make_return(rows)
        commands = [(name, cmd, args.runs) for name, cmd in floors(path)]
        commands.append(("lp-audit validate --format json", lp_audit_validate(path), args.runs))
        if rows >= 1_000_000:
            commands.append(
                (
                    "lp-audit validate --format json --chunk-rows 100000",
                    lp_audit_validate(path, "--chunk-rows", "100000"),
                    args.runs,
                )
            )
        if not args.no_peers:
            for name, cmd in peers(path, rules, args.peer_python):
                slow = "frictionless" in name and rows >= 1_000_000
                commands.append(
                    (name + (" (1 run)" if slow else ""), cmd, 1 if slow else args.runs)
                )
        measures = measure_together(commands)
        results = [m for m in measures if "floor" in m.name or "pandas" in m.name]
        ours = [m for m in measures if m.name.startswith("lp-audit")]
        others = [m for m in measures if "same rules" in m.name]
        measured[rows] = {m.name: m for m in [*results, *ours, *others]}
        floor = results[0].wall
        fastest = min((m.wall for m in others), default=float("nan"))
        for m in [*results, *ours, *others]:
            ratio = f"{m.wall / fastest:.2f}" if m in ours and others else ""
            spread = f"{m.low:.2f}–{m.high:.2f}" if m.high > m.low else ""
            lines.append(
                f"| {rows:,} | {m.name} | {m.wall:.2f} | {spread} | {m.rss_mb:.0f} "
                f"| {m.wall / floor:.1f} | {ratio} |"
            )
        print(f"{rows:,} rows done", file=sys.stderr)
    folder = make_audit_folder()
    audit = measure(
        "lp-audit audit (3 providers × 4 quarters × 5,000 rows)",
        [PY, "-m", "lp_audit", "audit", str(folder), "--format", "json", "--output", os.devnull],
        args.runs,
    )
    report = measure(
        "… with --report report.html",
        [
            PY,
            "-m",
            "lp_audit",
            "audit",
            str(folder),
            "--report",
            str(DATA / "report.html"),
            "--output",
            os.devnull,
        ],
        args.runs,
    )
    help_ = measure("lp-audit --help", [PY, "-m", "lp_audit", "--help"], max(args.runs, 5))
    lines += [
        "",
        "| command | wall (s) | peak RSS (MiB) |",
        "|---|---:|---:|",
        *(f"| {m.name} | {m.wall:.2f} | {m.rss_mb:.0f} |" for m in (audit, report, help_)),
        "",
        "What the peers check: see benchmarks/peers.py. They get every rule they can express (required",
        "fields, codes, whole numbers and ranges, real dates, patterns, lengths, unique IDs) and not",
        "what only lp-audit checks (conditional requirements, rules across fields, period and",
        "provider of each row, non-standard forms, check digits), so they have less to do.",
        "",
    ]
    lines += targets(measured, help_)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
