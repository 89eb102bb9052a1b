"""Where a validate's CPU goes, stage by stage, at each size: what the fixed cost is made of.

Usage: python benchmarks/costs.py [--sizes 1000 10000 100000] [--runs 5] [--output RESULTS.md]

Each run is a fresh process that runs ``lp-audit validate FILE`` in itself, the CLI's own code,
with a timer around each stage (the process's CPU time, all its threads, from getrusage; a
stage called inside another counts in the outer one). The figures are medians of the runs.
The returns are ``benchmarks/data/independent-N.csv`` (made by benchmarks/run.py if missing),
HBYW 1.0 with ten kinds of defect planted one row in a thousand each. The table replaces the
section between the ``costs`` markers of RESULTS.md.

Stages: Python's start-up (``python -c pass``, measured as its own process); importing pandas,
pandera.pandas and pyarrow.csv (issue #20's baseline for the fixed cost); lp_audit's own
modules with typer and rich; finding the definition the return is of and loading it; reading
the file; parsing each field; the checks evaluated directly (the first pass of the ``auto``
engine, which tells whether pandera's gathering of failures can be afforded); pandera's
validation of the same checks; making the findings and printing them; and the rest (period and
provider of the return, building the schema, the CLI's own work).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from results import write_section  # noqa: E402

BEGIN, END = "<!-- costs: begin -->", "<!-- costs: end -->"

STAGES = [
    ("start", "Python start-up (`python -c pass`)"),
    ("baseline", "import pandas, pandera.pandas, pyarrow.csv"),
    ("modules", "lp_audit's modules, typer and rich"),
    ("definition", "finding and loading the definition"),
    ("reading", "reading the file"),
    ("parsing", "parsing each field"),
    ("direct", "checks evaluated directly (auto engine's first pass)"),
    ("pandera", "pandera's validation (lazy, failure cases gathered)"),
    ("findings", "findings made and printed"),
    ("rest", "the rest (period, provider, schema, CLI)"),
]

# run in the child: the CLI in this process, with a timer around each stage
CHILD = r"""
import contextlib, functools, io, json, resource, sys

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

spent = {}
active = []

def timed(module, name, stage):
    inner = getattr(module, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        if active:  # inside another stage: counted there
            return inner(*args, **kwargs)
        active.append(stage)
        start = cpu()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[stage] = spent.get(stage, 0.0) + cpu() - start
            active.pop()

    setattr(module, name, wrapper)

import lp_audit.cli as cli
cli.tune_collector()  # as the command does, before it imports anything heavy
t0 = cpu()
import pandas, pandera.pandas, pyarrow.csv
t1 = cpu()
import lp_audit.cli.application
import lp_audit.checks.failures as failures
import lp_audit.checks.parsing as parsing
import lp_audit.checks.runner as runner
import lp_audit.reports.formats as formats
import lp_audit.validation.identity as identity
import lp_audit.validation.single as single
import lp_audit.validation.validate as validate
t2 = cpu()
timed(identity, "definition_of", "definition")
timed(validate, "_chosen", "definition")
timed(validate, "_read_whole", "reading")
timed(parsing, "parse_return", "parsing")
timed(runner, "evaluate_checks", "direct")
timed(runner, "failure_cases", "pandera")
timed(single, "finish", "findings")
timed(formats, "print_text", "findings")
sys.argv = ["lp-audit", "validate", sys.argv[1]]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.main()
    except SystemExit:
        pass
t3 = cpu()
spent.update(baseline=t1 - t0, modules=t2 - t1)
spent["rest"] = t3 - t2 - sum(v for k, v in spent.items() if k not in ("baseline", "modules"))
spent["total"] = t3 - t0
print(json.dumps(spent))
"""


def _cpu_of(command: list[str]) -> float:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def measure(path: Path, runs: int) -> dict[str, float]:
    """Median CPU seconds of each stage over ``runs`` fresh processes, and of the baseline
    import and of ``lp-audit validate`` each as a process of its own, in turn."""
    samples: dict[str, list[float]] = {}
    command = str(Path(sys.executable).parent / "lp-audit")
    for _ in range(runs):
        samples.setdefault("start", []).append(_cpu_of([sys.executable, "-c", "pass"]))
        samples.setdefault("baseline process", []).append(
            _cpu_of([sys.executable, "-c", "import pandas, pandera.pandas, pyarrow.csv"])
        )
        samples.setdefault("validate process", []).append(_cpu_of([command, "validate", str(path)]))
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
        ).stdout
        for stage, seconds in json.loads(out).items():
            samples.setdefault(stage, []).append(seconds)
    return {stage: statistics.median(values) for stage, values in samples.items()}


def table(figures: dict[int, dict[str, float]]) -> str:
    sizes = sorted(figures)
    head = "| stage | " + " | ".join(f"{n:,} rows: CPU ms" for n in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    for stage, label in STAGES:
        cells = " | ".join(f"{1000 * figures[n].get(stage, 0.0):.0f}" for n in sizes)
        lines.append(f"| {label} | {cells} |")
    for key, label in (
        ("validate process", "`lp-audit validate` as a process of its own"),
        ("baseline process", "`python -c 'import pandas, pandera.pandas, pyarrow.csv'`"),
    ):
        cells = " | ".join(f"**{1000 * figures[n][key]:.0f}**" for n in sizes)
        lines.append(f"| {label} | {cells} |")
    ratios = " | ".join(
        f"{figures[n]['validate process'] / figures[n]['baseline process']:.2f}" for n in sizes
    )
    lines.append(f"| validate × the baseline import (issue #20: at most 1.1 at 1,000) | {ratios} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()

    figures = {}
    for size in args.sizes:
        path = HERE / "data" / f"independent-{size}.csv"
        if not path.exists():
            subprocess.run(
                [sys.executable, str(HERE / "independent.py"), str(size), str(path)], check=True
            )
        figures[size] = measure(path, args.runs)
        print(f"{size:,} rows: {json.dumps({k: round(v, 3) for k, v in figures[size].items()})}")
    body = (
        "## Where a validate's CPU goes (benchmarks/costs.py)\n\n"
        "Measured with `python benchmarks/costs.py --runs "
        f"{args.runs}`: CPU seconds (user plus system, all threads) of `lp-audit validate` on "
        "`independent` returns, stage by stage, medians of fresh processes. A stage called "
        "inside another counts in the outer one; the rest is what the run spent outside the "
        "stages. The processes of their own include what the stages do not: the interpreter's "
        "start-up and its exit (freeing every module's objects), which is why the baseline "
        "import costs more as a process than as the stage above.\n\n" + table(figures) + "\n"
    )
    write_section(args.output, BEGIN, END, f"{BEGIN}\n{body}{END}")


if __name__ == "__main__":
    main()
