"""Calibration of the audit's highlights: false highlights with no differences, and power.

Usage: python benchmarks/calibration.py [--seeds 50] [--providers 3 8 20] [--workers 2]
                                        [--output RESULTS.md]

Null sets: networks from ``lp_audit.synthetic.network_returns`` in which every provider
captures data the same way (3, 8 and 20 providers; 50 to 1,000 rows each; 4 quarters; open
cases carried over). Every highlight of such an audit is a false one: the table gives the
mean number per audit and the share of audits with any.

Planted sets: 8 providers, one of them recording ethnicity as "not known" for a share of its
rows (5% or 10%) against 2% for the rest, at 50, 120 or 300 rows a quarter. Power is the share
of audits (seeds) that highlight that provider's not-known ethnicity in some quarter; the table
also counts the quarters.

Each audit runs in-process through the public API, as ``lp-audit audit`` does. The tables
replace the section between the ``calibration`` markers of RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from results import write_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- calibration: begin -->", "<!-- calibration: end -->"
TODAY = "2026-06-30"


def run_audit(
    providers: int,
    seed: int,
    planted: dict[int, float] | None = None,
    planted_rows: int | None = None,
) -> list[dict[str, Any]]:
    """The highlights of one audit of a synthetic network, as plain records."""
    import datetime as dt

    from lp_audit import audit
    from lp_audit.synthetic import network_definition, network_returns

    returns = network_returns(
        providers, seed=seed, planted=planted, planted_rows=planted_rows, unknown_share=0.02
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        definition = root / "definition.yaml"
        definition.write_text(network_definition(providers), encoding="utf-8")
        data = root / "returns"
        data.mkdir()
        for (code, period), frame in returns.items():
            name = f"{code.lower()}-{period.replace(' ', '-').lower()}.csv"
            frame.to_csv(data / name, index=False, lineterminator="\n")
        result = audit(data, definition, today=dt.date.fromisoformat(TODAY))
        return [
            {
                "kind": h.kind,
                "provider": h.provider,
                "period": h.period,
                "field": h.field,
                "text": h.text,
            }
            for h in result.highlights
        ]


def _null(args: tuple[int, int]) -> tuple[int, int, list[str]]:
    providers, seed = args
    found = run_audit(providers, seed)
    return providers, seed, [f"{h['kind']}: {h['text']}" for h in found]


def _planted(args: tuple[int, float, int]) -> tuple[int, float, int, int, int]:
    rows, share, seed = args
    found = run_audit(8, seed, planted={0: share}, planted_rows=rows)
    hits = {
        h["period"]
        for h in found
        if h["provider"] == "P01" and h["field"] == "ethnicity" and h["kind"] == "funnel-unknown"
    }
    others = sum(1 for h in found if h["provider"] != "P01")
    return rows, share, seed, len(hits), others


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--planted-seeds", type=int, default=None)
    parser.add_argument("--providers", type=int, nargs="+", default=[3, 8, 20])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--show", action="store_true", help="print every false highlight")
    args = parser.parse_args()
    planted_seeds = args.planted_seeds or args.seeds
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        nulls = list(
            pool.map(_null, [(p, 1000 + s) for p in args.providers for s in range(args.seeds)])
        )
        planted = list(
            pool.map(
                _planted,
                [
                    (rows, share, 5000 + s)
                    for rows in (50, 120, 300)
                    for share in (0.05, 0.10)
                    for s in range(planted_seeds)
                ],
            )
        )
    elapsed = time.perf_counter() - start
    null_rows = [
        "| Providers | Audits | False highlights per audit | Audits with any | Kinds |",
        "|---:|---:|---:|---:|---|",
    ]
    means = []
    for providers in args.providers:
        found = [f for p, _, f in nulls if p == providers]
        per_audit = statistics.mean(len(f) for f in found)
        means.append(per_audit)
        kinds: dict[str, int] = {}
        for highlights in found:
            for text in highlights:
                kind = text.split(":", 1)[0]
                kinds[kind] = kinds.get(kind, 0) + 1
        null_rows.append(
            f"| {providers} | {len(found)} | {per_audit:.3f} | "
            f"{sum(1 for f in found if f)} | "
            f"{', '.join(f'{k} {n}' for k, n in sorted(kinds.items())) or '—'} |"
        )
        if args.show:
            for _, seed, highlights in (n for n in nulls if n[0] == providers):
                for text in highlights:
                    print(f"  {providers} providers, seed {seed}: {text}", file=sys.stderr)
    power_rows = [
        "| Rows a quarter | Not known: planted against 2% | Audits highlighting it | Power "
        "| Quarters highlighted | Other providers highlighted per audit |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for rows in (50, 120, 300):
        for share in (0.05, 0.10):
            runs = [r for r in planted if r[0] == rows and r[1] == share]
            hits = sum(r[3] for r in runs)
            audits = sum(1 for r in runs if r[3])
            power_rows.append(
                f"| {rows} | {100 * share:.0f}% | {audits} of {len(runs)} | "
                f"{audits / len(runs):.0%} | {hits} of {4 * len(runs)} | "
                f"{statistics.mean(r[4] for r in runs):.2f} |"
            )
    section = "\n".join(
        [
            BEGIN,
            "## Calibration of highlights (benchmarks/calibration.py)",
            "",
            f"`python benchmarks/calibration.py --seeds {args.seeds}`: {len(nulls)} audits of "
            f"networks with no differences and {len(planted)} with one planted, "
            f"{elapsed / 60:.0f} minutes on {args.workers} workers. Every highlight of an audit "
            "with no planted difference is a false one.",
            "",
            *null_rows,
            "",
            f"Mean over the network sizes: {statistics.mean(means):.3f} false highlights per "
            "audit.",
            "",
            "Power: one provider of 8 records ethnicity as not known for 5% or 10% of its rows, "
            "the others for 2%; an audit counts when it highlights that provider's not-known "
            "ethnicity in some quarter (of four).",
            "",
            *power_rows,
            END,
        ]
    )
    print(section)
    write_section(args.output, BEGIN, END, section)


if __name__ == "__main__":
    main()
