"""Benchmark lp_audit against the parse-only floor and peers, as whole processes; write RESULTS.md.

Usage: python benchmarks/run.py [--sizes 1000 10000 100000 1000000]
       [--generators synthetic independent] [--file RETURN.csv ...] [--definition NAME@VERSION]
       [--runs 3] [--output RESULTS.md] [--peer-python PYTHON] [--no-peers]

The peers (pointblank on polars, pandera's polars backend, frictionless) are given the same
rules by benchmarks/peers.py and run with ``--peer-python`` (default: this Python; ``nox -s
bench`` installs them there). frictionless streams row by row in Python, so at 1,000,000 rows it
runs once, not ``--runs``.

Returns, at each size: ``synthetic`` HBYW 1.0 returns with 1% defects from lp_audit.synthetic,
and ``independent`` ones from benchmarks/independent.py (its own numpy generator, clean rows
with ten kinds of defect planted, one row in a thousand each); kept in benchmarks/data/ (not
committed). ``--file`` measures the files given instead, against ``--definition``.

Each command runs as its own process (start-up and imports included, as a user meets them);
wall and CPU seconds (user plus system) and peak resident memory come from os.wait4. The
figure reported is the median of the runs; the commands for one return run in turn, round
after round, so that the machine's slow spells fall on all of them. Also measured: the fixed
cost (``python -c pass``, importing pandas, pandera and pyarrow, ``lp-audit --help``). The
tables and issue #20's targets replace the section between the ``validate`` markers of
RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from results import measure_process, write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PY = sys.executable
BEGIN, END = "<!-- validate: begin -->", "<!-- validate: end -->"
OURS = "lp-audit validate"
CHUNKED = "lp-audit validate --chunk-rows 100000"
FLOOR = "pyarrow CSV read (floor)"


@dataclass(frozen=True)
class Measure:
    name: str
    wall: float
    cpu: float
    rss_mb: float
    low: float = float("nan")  # the fastest and slowest run, wall
    high: float = float("nan")


def measure_together(commands: list[tuple[str, list[str], int]]) -> list[Measure]:
    """Run the commands in turn, round after round, so that a slow spell of the machine falls
    on all of them rather than on whichever ran then; each ``(name, command, runs)`` runs its
    own number of times. lp-audit may exit 1 (it found errors); anything else must exit 0."""
    results: list[list[tuple[float, float, float]]] = [[] for _ in commands]
    for round_ in range(max(runs for _, _, runs in commands)):
        for (_, command, runs), done in zip(commands, results, strict=True):
            if round_ < runs:
                allowed = (0, 1) if "lp_audit" in command else (0,)
                done.append(measure_process(command, allowed))
    return [
        Measure(
            name,
            statistics.median(r[0] for r in done),
            statistics.median(r[1] for r in done),
            max(r[2] for r in done),
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


def make_independent(rows: int) -> Path:
    path = DATA / f"independent-{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        subprocess.run([PY, str(HERE / "independent.py"), str(rows), str(path)], check=True)
    return path


def _in_child(code: str) -> None:
    """Run ``code`` in a child process. A child's peak RSS (from wait4) starts at its parent's
    size when it forked, so this process must stay small: no pandas here."""
    subprocess.run([PY, "-c", code], check=True)


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


def lp_audit_validate(path: Path, definition: str | None, *extra: str) -> list[str]:
    return [
        PY,
        "-m",
        "lp_audit",
        "validate",
        str(path),
        *(("-d", definition) if definition else ()),
        "--format",
        "json",
        "--output",
        os.devnull,
        *extra,
    ]


def peers(path: Path, rules: Path, python: str) -> list[tuple[str, list[str]]]:
    script = str(HERE / "peers.py")
    return [
        (f"{name}, same rules", [python, script, peer, str(rules), str(path)])
        for name, peer in (
            ("pointblank (polars)", "pointblank"),
            ("pandera (polars backend)", "pandera-polars"),
            ("frictionless", "frictionless"),
        )
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


def fixed_costs(runs: int) -> list[Measure]:
    """What every run pays before reading a row: the interpreter, the imports, the command."""
    command = str(Path(PY).parent / "lp-audit")
    return measure_together(
        [
            ("python -c pass", [PY, "-c", "pass"], max(runs, 5)),
            (
                "python -c 'import pandas, pandera.pandas, pyarrow.csv'",
                [PY, "-c", "import pandas, pandera.pandas, pyarrow.csv"],
                max(runs, 5),
            ),
            ("lp-audit --help", [command, "--help"], max(runs, 5)),
        ]
    )


def targets(
    measured: dict[tuple[str, int], dict[str, Measure]], fixed: dict[str, Measure]
) -> list[str]:
    """Issue #20's targets, each against the figures of this run (CPU seconds; MB = 10^6
    bytes), for each kind of return."""
    out = ["### Targets (issue #20), from this run", ""]
    out += ["| target | return | this run | |", "|---|---|---|---|"]

    def row(target: str, kind: str, figure: str, met: bool) -> None:
        out.append(f"| {target} | {kind} | {figure} | {'met' if met else 'NOT met'} |")

    for (kind, rows), got in sorted(measured.items()):
        ours = got.get(OURS)
        peers_ = [m for name, m in got.items() if "same rules" in name]
        fastest = min(peers_, key=lambda m: m.cpu) if peers_ else None
        if ours is None:
            continue
        if rows >= 1_000_000:
            floor = got[FLOOR]
            row(
                "1M rows: CPU at most 2× the pyarrow read",
                kind,
                f"{ours.cpu / floor.cpu:.2f}×",
                ours.cpu <= 2 * floor.cpu,
            )
            if fastest:
                row(
                    "1M rows: CPU below 0.8× the fastest peer's",
                    kind,
                    f"{ours.cpu / fastest.cpu:.2f}× {fastest.name.split(',')[0]}",
                    ours.cpu < 0.8 * fastest.cpu,
                )
            chunked = got.get(CHUNKED)
            if chunked:
                mb = chunked.rss_mb * 1024 * 1024 / 1e6
                row(
                    "1M rows: chunked CPU at most 1.3× whole-file",
                    kind,
                    f"{chunked.cpu / ours.cpu:.2f}×",
                    chunked.cpu <= 1.3 * ours.cpu,
                )
                row("1M rows: chunked under 400 MB", kind, f"{mb:,.0f} MB", mb < 400)
        elif fastest is not None:
            row(
                f"{rows:,} rows: CPU below the fastest peer's",
                kind,
                f"{ours.cpu / fastest.cpu:.2f}× {fastest.name.split(',')[0]}",
                ours.cpu < fastest.cpu,
            )
        if rows <= 1_000:
            imports = fixed["python -c 'import pandas, pandera.pandas, pyarrow.csv'"]
            row(
                "1,000 rows: CPU at most 1.1× importing pandas, pandera.pandas, pyarrow.csv",
                kind,
                f"{ours.cpu / imports.cpu:.2f}×",
                ours.cpu <= 1.1 * imports.cpu,
            )
    help_, bare = fixed["lp-audit --help"], fixed["python -c pass"]
    row(
        "lp-audit --help: at most 2× python -c pass (wall; CPU)",
        "",
        f"{help_.wall / bare.wall:.1f}×; {help_.cpu / max(bare.cpu, 1e-9):.1f}×",
        help_.wall <= 2 * bare.wall,
    )
    return [*out, ""]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--generators",
        nargs="+",
        default=["synthetic", "independent"],
        choices=["synthetic", "independent"],
    )
    parser.add_argument("--file", type=Path, nargs="+", default=[])
    parser.add_argument("--definition", default="hbyw-quarterly-return@1.0")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--peer-python", default=PY)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    rules = DATA / "rules.json"
    DATA.mkdir(exist_ok=True)
    subprocess.run([PY, str(HERE / "peers.py"), "rules", args.definition, str(rules)], check=True)

    returns: list[tuple[str, int, Path]] = []
    if args.file:
        for path in args.file:
            with path.open("rb") as handle:
                rows = sum(1 for _ in handle) - 1
            returns.append((path.name, rows, path))
    else:
        for rows in args.sizes:
            for kind in args.generators:
                path = make_return(rows) if kind == "synthetic" else make_independent(rows)
                returns.append((kind, rows, path))
    definition = None if args.definition == "hbyw-quarterly-return@1.0" else args.definition

    lines = [
        BEGIN,
        f"Measured with `python benchmarks/run.py --runs {args.runs}` (also `nox -s bench`) on: "
        f"{machine()}.",
        "Whole processes, start-up included; medians of the runs (the commands for one return run",
        "in turn, round after round); CPU is user plus system time; peak resident memory from",
        "`wait4`. Returns: `synthetic`, HBYW 1.0 with 1% defects from `lp_audit.synthetic`;",
        "`independent`, HBYW 1.0 from `benchmarks/independent.py` (its own numpy generator:",
        "clean rows, ten kinds of defect planted one row in a thousand each).",
        "",
        "`CPU × floor` divides by the CPU of the pyarrow read of the same file in the same run;",
        "`× fastest peer` divides lp-audit's figure by the fastest peer's (below 1.0: lp-audit is",
        "faster).",
        "",
        "| rows | return | command | wall s | CPU s | peak MiB | CPU × floor | CPU × fastest peer | wall × fastest peer |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    measured: dict[tuple[str, int], dict[str, Measure]] = {}
    for kind, rows, path in returns:
        commands = [(name, cmd, args.runs) for name, cmd in floors(path)]
        commands.append((OURS, lp_audit_validate(path, definition), args.runs))
        if rows >= 1_000_000:
            commands.append(
                (CHUNKED, lp_audit_validate(path, definition, "--chunk-rows", "100000"), args.runs)
            )
        if not args.no_peers:
            for name, cmd in peers(path, rules, args.peer_python):
                slow = "frictionless" in name and rows >= 1_000_000
                commands.append(
                    (name + (" (1 run)" if slow else ""), cmd, 1 if slow else args.runs)
                )
        measures = measure_together(commands)
        measured[(kind, rows)] = {m.name: m for m in measures}
        floor = measures[0]
        others = [m for m in measures if "same rules" in m.name]
        fastest_cpu = min((m.cpu for m in others), default=float("nan"))
        fastest_wall = min((m.wall for m in others), default=float("nan"))
        for m in measures:
            ours = m.name.startswith("lp-audit")
            cpu_ratio = f"{m.cpu / fastest_cpu:.2f}" if ours and others else ""
            wall_ratio = f"{m.wall / fastest_wall:.2f}" if ours and others else ""
            lines.append(
                f"| {rows:,} | {kind} | {m.name} | {m.wall:.2f} | {m.cpu:.2f} | {m.rss_mb:.0f} "
                f"| {m.cpu / floor.cpu:.1f} | {cpu_ratio} | {wall_ratio} |"
            )
        print(f"{kind} {rows:,} rows done", file=sys.stderr)
    fixed = {m.name: m for m in fixed_costs(args.runs)}
    lines += [
        "",
        "| fixed cost | wall s | CPU s | peak MiB |",
        "|---|---:|---:|---:|",
        *(f"| {m.name} | {m.wall:.3f} | {m.cpu:.3f} | {m.rss_mb:.0f} |" for m in fixed.values()),
        "",
        "What the peers check: see benchmarks/peers.py. They get every rule they can express",
        "(required fields, codes, whole numbers and ranges, real dates, patterns, lengths, unique",
        "IDs) and not what only lp-audit checks (conditional requirements, rules across fields,",
        "period and provider of each row, non-standard forms, check digits), so they have less to",
        "do. On the independent return they find the planted defects as lp-audit does, except",
        "that pointblank and pandera count both rows of a repeated ID, and lp-audit and",
        "frictionless the repeat alone.",
        "",
    ]
    lines += targets(measured, fixed)
    lines.append(END)
    section = "\n".join(lines)
    write_section(args.output, BEGIN, END, section)
    print(section)


if __name__ == "__main__":
    main()
