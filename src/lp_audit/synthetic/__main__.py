"""``python -m lp_audit.synthetic``: write synthetic returns.

    python -m lp_audit.synthetic examples/hbyw                  # the bundled HBYW examples
    python -m lp_audit.synthetic out.csv --rows 100000          # one HBYW return, of any size
    python -m lp_audit.synthetic examples/cla -d cla-annual-return \\
        --providers NTH,EST,WST --periods 2024-25,2025-26       # returns of any definition
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: write example returns or one synthetic return."""
    parser = argparse.ArgumentParser(
        prog="python -m lp_audit.synthetic",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "output", type=Path, help="folder for the returns, or a .csv file with --rows"
    )
    parser.add_argument(
        "-d",
        "--definition",
        help="any definition (a bundled name or a YAML file): returns of it for each of "
        "--providers and --periods, checked against it, with --defects planted in each",
    )
    parser.add_argument("--providers", default="AAA,BBB,CCC", help="comma-separated codes")
    parser.add_argument("--periods", help="comma-separated periods of the definition's kind")
    parser.add_argument("--rows", type=int, help="rows a return (HBYW: one return this big)")
    parser.add_argument("--defects", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--provider", default="RTH", help="HBYW: the one return's provider")
    parser.add_argument("--period", default="2025-26 Q2", help="HBYW: the one return's period")
    args = parser.parse_args(argv)
    if args.definition is not None:
        _any(args, parser)
        return
    from lp_audit.synthetic.hbyw import make_return, write_examples

    if args.rows is None:
        for path in write_examples(args.output):
            print(path)
        return
    frame, _ = make_return(
        args.rows,
        provider=args.provider,
        period=args.period,
        seed=args.seed,
        defects=args.defects or 0,
    )
    frame.to_csv(args.output, index=False, lineterminator="\n")
    print(args.output)


def _any(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from lp_audit.definitions import load_definition
    from lp_audit.errors import LpAuditError
    from lp_audit.periods import example
    from lp_audit.synthetic.generic import write_any

    try:
        definition = load_definition(args.definition)
    except LpAuditError as exc:
        parser.exit(2, f"error: {exc}\n")
    like = example(definition.period_every, definition.period_starts)
    periods = [p.strip() for p in (args.periods or like).split(",") if p.strip()]
    for period in periods:
        try:
            definition.parse_period(period)
        except ValueError:
            parser.exit(2, f"error: {period} is not a period of {definition.ref}: like {like}\n")
    try:
        written = write_any(
            args.output,
            definition,
            providers=[p.strip() for p in args.providers.split(",") if p.strip()],
            periods=periods,
            rows=args.rows or 60,
            seed=args.seed,
            defects=3 if args.defects is None else args.defects,
        )
    except LpAuditError as exc:
        parser.exit(2, f"error: {exc}\n")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
