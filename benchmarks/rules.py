"""What rules over a key's rows cost on a million-row return of care episodes.

Usage: python benchmarks/rules.py [--rows 1000000] [--runs 3] [--output RESULTS.md]

Makes (once, under benchmarks/data/) a return of ROWS episodes of about a quarter as many
children, each child's episodes one after another in date order, written in a shuffled order,
with defects planted in 1% of rows (an episode that starts before the child's previous one
ends, respite days that take a child over 75). Its own generator: numpy, not
``lp_audit.synthetic``. Then ``lp-audit validate`` of it, whole processes run in turn round
after round, against four versions of one definition: the fields and one rule of a row alone;
plus one rule that reads the previous row of each child's episodes in date order; plus one
that adds up each child's rows; plus six rules over the same key (previous, next, first and
last rows, a count, a sum of days); the last also in chunks of 100,000 rows. Then the same
episodes as a return of two tables, with a header of the children (one row each, a date of
birth; 1% of children missing, so their episodes break a rule): both files validated
together, with no rule across them, then with two rules that read the header's row of the
episode's child, then with a rule of the header that counts each child's episodes. Wall and
CPU seconds (user plus system) and peak resident memory come from os.wait4; medians. The
table replaces the section between the ``rules`` markers of RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from results import measure_process, write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
BEGIN, END = "<!-- rules: begin -->", "<!-- rules: end -->"

FIELDS = """\
format: lp-audit/definition-1
name: episodes
version: "1.0"
title: Care episodes
period: {every: year}
fields:
  - {name: CHILD, label: Child, type: text, required: true, sensitive: true}
  - {name: DECOM, label: Episode start, type: date, required: true}
  - {name: DEC, label: Episode end, type: date}
  - {name: RESPITE, label: Respite days, type: integer, constraints: [{range: {min: 0}}]}
  - {name: PL, label: Placement, type: code, codes: [A, B, C, D]}
rules:
  - id: ends-after-start
    check: {compare: DEC >= DECOM}
    message: The episode ends before it starts.
"""
PREVIOUS = """\
  - id: starts-after-previous-ends
    group: {by: CHILD, order: DECOM}
    check: {compare: previous.DEC <= DECOM}
    message: This episode starts before the child's previous episode ends.
"""
SUM = """\
  - id: respite-per-child
    group: {by: CHILD}
    check: {compare: sum(RESPITE) <= 75}
    message: More than 75 respite days for the child in the year.
"""
MORE = """\
  - id: ends-before-next-starts
    group: {by: CHILD, order: DECOM}
    check: {compare: next.DECOM >= DEC}
    message: The next episode starts before this one ends.
  - id: within-the-year
    group: {by: CHILD, order: DECOM}
    check: {compare: last.DECOM <= first.DECOM + 1 years}
    message: The child's episodes start more than a year apart.
  - id: episodes-per-child
    group: {by: CHILD}
    check: {compare: count() <= 12}
    message: More than twelve episodes for a child.
  - id: days-in-care
    group: {by: CHILD}
    check: {compare: "sum(days(DECOM, DEC)) <= 366"}
    message: More than a year in care.
"""
TABLES = """\
  - {name: DOB, label: Date of birth, type: date, required: true}
tables:
  - {name: header, file: header-ROWS, fields: [CHILD, DOB], key: [CHILD]}
  - {name: episodes, file: episodes-ROWS, fields: [CHILD, DECOM, DEC, RESPITE, PL],
     key: [CHILD, DECOM]}
rules:
  - id: ends-after-start
    check: {compare: DEC >= DECOM}
    message: The episode ends before it starts.
"""
ACROSS = """\
  - id: child-in-header
    check: {field: header.CHILD, blank: false}
    message: The episode's child is not in the header.
  - id: starts-after-birth
    check: {compare: DECOM >= header.DOB}
    message: The episode starts before the child was born.
"""
COUNT = """\
  - id: has-episodes
    table: header
    check: {compare: count(episodes) >= 1}
    message: The child has no episode.
"""
#: the fields of FIELDS, then those of a return of two tables
TWO = FIELDS.split("rules:", 1)[0] + TABLES
ACROSS_TABLES = {
    "two tables, row rules only": TWO,
    "+ 2 rules reading the header (cross-table)": TWO + ACROSS,
    "+ a count of each child's episodes (header rule)": TWO + ACROSS + COUNT,
}
DEFINITIONS = {
    "row rules only": FIELDS,
    "+ previous row (1 group rule)": FIELDS + PREVIOUS,
    "+ sum per child (1 group rule)": FIELDS + SUM,
    "+ 6 group rules, one key": FIELDS + PREVIOUS + SUM + MORE,
}


def episodes(rows: int) -> Path:
    """The return (made once): ROWS episodes, 1% of them with a planted defect."""
    path = DATA / f"episodes-{rows}.csv"
    if path.exists():
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pv

    rng = np.random.default_rng(rows % 1009)
    children = max(rows // 4, 1)
    child = np.sort(rng.integers(0, children, rows))
    # each child's episodes one after another: a start, then gaps and lengths of a few days
    first = np.r_[True, child[1:] != child[:-1]]
    length = rng.integers(1, 20, rows)
    gap = rng.integers(0, 10, rows)
    step = np.where(first, 0, gap + np.r_[0, length[:-1]])
    group_start = np.maximum.accumulate(np.where(first, np.arange(rows), 0))
    offset = np.cumsum(step) - np.cumsum(step)[group_start]
    start = np.datetime64("2025-04-01") + (offset % 300).astype("timedelta64[D]")
    end = start + length.astype("timedelta64[D]")
    respite = rng.integers(0, 10, rows)
    defects = rng.choice(rows, size=rows // 100, replace=False)
    overlap, heavy = defects[: len(defects) // 2], defects[len(defects) // 2 :]
    start[overlap] -= np.timedelta64(25, "D")  # before the previous episode ends
    respite[heavy] = 80  # over 75 for the child
    order = rng.permutation(rows)  # a return lists rows in any order
    table = pa.table(
        {
            "CHILD": pa.array(np.char.add("C", child[order].astype(str))),
            "DECOM": pa.array(start[order].astype(str)),
            "DEC": pa.array(end[order].astype(str)),
            "RESPITE": pa.array(respite[order]),
            "PL": pa.array(np.array(["A", "B", "C", "D"])[rng.integers(0, 4, rows)]),
        }
    )
    DATA.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    pv.write_csv(table, partial, pv.WriteOptions(quoting_style="none", quoting_header="none"))
    partial.replace(path)
    return path


def header(rows: int) -> Path:
    """The header of the children of :func:`episodes` (made once): one row each, with a
    date of birth, but for 1% of children, whose episodes then have no header row."""
    path = DATA / f"header-{rows}.csv"
    if path.exists():
        return path
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pv

    rng = np.random.default_rng(rows % 1013)
    children = max(rows // 4, 1)
    kept = np.sort(rng.choice(children, size=children - children // 100, replace=False))
    born = np.datetime64("2008-04-01") + rng.integers(0, 6000, len(kept)).astype("timedelta64[D]")
    order = rng.permutation(len(kept))
    table = pa.table(
        {
            "CHILD": pa.array(np.char.add("C", kept[order].astype(str))),
            "DOB": pa.array(born[order].astype(str)),
        }
    )
    DATA.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    pv.write_csv(table, partial, pv.WriteOptions(quoting_style="none", quoting_header="none"))
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    data = episodes(args.rows)
    children = header(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        commands: dict[str, list[str]] = {}
        for name, text in DEFINITIONS.items():
            definition = Path(tmp) / f"definition-{len(commands)}.yaml"
            definition.write_text(text)
            commands[name] = ["validate", str(data), "-d", str(definition), "--period", "2025-26"]
        commands["+ 6 group rules, in chunks of 100,000"] = [
            *commands["+ 6 group rules, one key"],
            "--chunk-rows",
            "100000",
        ]
        for name, text in ACROSS_TABLES.items():
            definition = Path(tmp) / f"definition-{len(commands)}.yaml"
            definition.write_text(text.replace("ROWS", str(args.rows)))
            commands[name] = [
                "validate",
                str(children),
                str(data),
                "-d",
                str(definition),
                "--period",
                "2025-26",
            ]
        measured: dict[str, list[tuple[float, float, float]]] = {k: [] for k in commands}
        for _ in range(args.runs):
            for name, words in commands.items():
                output = Path(tmp) / "out.json"
                output.unlink(missing_ok=True)
                measured[name].append(
                    measure_process(
                        [
                            sys.executable,
                            "-m",
                            "lp_audit",
                            *words,
                            "--format",
                            "json",
                            "--output",
                            str(output),
                        ]
                    )
                )
    bases = {
        name: "two tables, row rules only" if name in ACROSS_TABLES else "row rules only"
        for name in measured
    }
    rows = []
    for name, runs in measured.items():
        wall = statistics.median(m[0] for m in runs)
        cpu = statistics.median(m[1] for m in runs)
        peak = max(m[2] for m in runs)
        base_cpu = statistics.median(m[1] for m in measured[bases[name]])
        added = "" if bases[name] == name else f"{cpu - base_cpu:+.2f}"
        rows.append(f"| {name} | {wall:.2f} | {cpu:.2f} | {added} | {peak:,.0f} |")
    size = data.stat().st_size / 2**20
    section = "\n".join(
        [
            BEGIN,
            "## Rules over a key's rows (benchmarks/rules.py)",
            "",
            f"`python benchmarks/rules.py --runs {args.runs}`: `lp-audit validate` of "
            f"{args.rows:,} care episodes ({size:.0f} MiB, about {args.rows // 4:,} children, "
            "rows in a shuffled order, 1% planted defects; the benchmark's own numpy "
            "generator), whole processes in turn, medians; CPU is user plus system time. "
            "The last three validate the episodes with a header of the children (one row "
            "each, 1% of children missing) as a return of two tables; their CPU added is "
            "over the two tables with no rule across them.",
            "",
            "| Definition | Wall s | CPU s | CPU added, s | Peak MiB |",
            "|---|---:|---:|---:|---:|",
            *rows,
            END,
        ]
    )
    write_section(args.output, BEGIN, END, section)
    print(section)


if __name__ == "__main__":
    main()
