"""Peer validators given the rules of an lp_audit definition, to time against lp-audit.

Usage:
    python benchmarks/peers.py rules NAME[@VERSION] RULES.json   # write the shared rules
    python benchmarks/peers.py pointblank RULES.json FILE.csv
    python benchmarks/peers.py pandera-polars RULES.json FILE.csv
    python benchmarks/peers.py frictionless RULES.json FILE.csv

``rules`` runs with lp_audit installed and writes what each field allows as JSON, so the peer
processes import only their own library. Each peer gets every rule it can express on its own
terms: required fields not blank; codes from the list (one per cell, or several joined by the
separator); whole numbers and their ranges; real dates in YYYY-MM-DD; patterns; maximum
lengths; unique keys. What lp-audit checks beyond these (conditional requirements, rules across
fields, the period and provider of every row, non-standard forms, duplicates across keys,
check digits) is left out, so the peers have less to do than lp-audit. Each peer counts every
failing row, as lp-audit lists each one. Prints the number of failures to stdout.

The peers are not project dependencies: ``nox -s bench`` installs them.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any


def write_rules(spec: str, out: Path) -> None:
    from lp_audit.definitions import load_definition

    definition = load_definition(spec)
    fields = []
    for f in definition.fields:
        rule: dict[str, Any] = {"name": f.name, "type": f.type, "required": f.required}
        if f.is_coded:
            rule["codes"] = [c.value for c in f.codes]
            rule["separator"] = f.separator
        for c in f.constraints:
            if c.kind == "range":
                rule["minimum"], rule["maximum"] = c.minimum, c.maximum
            elif c.kind == "pattern":
                rule.setdefault("patterns", []).append(c.pattern)
            elif c.kind == "max_length":
                rule["max_length"] = c.length
        fields.append(rule)
    unique = [list(r.fields) for r in definition.return_rules if r.kind == "unique"]
    out.write_text(json.dumps({"fields": fields, "unique": unique}, indent=1), encoding="utf-8")


def _code_pattern(rule: dict[str, Any]) -> str:
    one = "(" + "|".join(re.escape(c) for c in rule["codes"]) + ")"
    if rule["type"] == "multi_code":
        return f"^{one}({re.escape(rule['separator'])}{one})*$"
    return f"^{one}$"


def run_pointblank(rules: dict[str, Any], path: Path) -> int:
    import pointblank as pb
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)  # every column as text; blanks are null
    check = pb.Validate(data=frame)
    for rule in rules["fields"]:
        name = rule["name"]
        if name not in frame.columns:
            continue
        column = pl.col(name)
        if rule["required"]:
            check = check.col_vals_not_null(columns=name)
        if "codes" in rule:
            check = check.col_vals_regex(columns=name, pattern=_code_pattern(rule), na_pass=True)
        if rule["type"] == "integer":
            number = column.cast(pl.Int64, strict=False)
            check = check.col_vals_expr(expr=column.is_null() | number.is_not_null())
            if rule.get("minimum") is not None:
                check = check.col_vals_expr(expr=number.is_null() | (number >= rule["minimum"]))
            if rule.get("maximum") is not None:
                check = check.col_vals_expr(expr=number.is_null() | (number <= rule["maximum"]))
        if rule["type"] == "date":
            day = column.str.to_date(format="%Y-%m-%d", strict=False)
            check = check.col_vals_expr(expr=column.is_null() | day.is_not_null())
        for pattern in rule.get("patterns", []):
            check = check.col_vals_regex(columns=name, pattern=pattern, na_pass=True)
        if rule.get("max_length"):
            check = check.col_vals_expr(
                expr=column.is_null() | (column.str.len_chars() <= rule["max_length"])
            )
    for key in rules["unique"]:
        check = check.rows_distinct(columns_subset=key)
    check = check.interrogate()
    failed = check.n_failed()
    return int(sum(failed.values()))


def run_pandera_polars(rules: dict[str, Any], path: Path) -> int:
    """pandera's polars backend: the validator lp-audit builds on, on another dataframe
    library, with the same rules as the other peers (its checks as polars expressions)."""
    import pandera.polars as pa
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)  # every column as text; blanks are null

    def expression(build: Any) -> Any:
        return pa.Check(lambda data: data.lazyframe.select(build(pl.col(data.key))))

    columns = {}
    for rule in rules["fields"]:
        name = rule["name"]
        if name not in frame.columns:
            continue
        checks = []
        if "codes" in rule:
            if rule["type"] == "multi_code":
                checks.append(pa.Check.str_matches(_code_pattern(rule)))
            else:
                checks.append(pa.Check.isin(rule["codes"]))
        if rule["type"] == "integer":
            checks.append(
                expression(lambda c: c.is_null() | c.cast(pl.Int64, strict=False).is_not_null())
            )
            for bound, compare in (("minimum", "ge"), ("maximum", "le")):
                if rule.get(bound) is not None:
                    limit = rule[bound]
                    checks.append(
                        expression(
                            lambda c, limit=limit, compare=compare: (
                                c.cast(pl.Int64, strict=False).is_null()
                                | getattr(c.cast(pl.Int64, strict=False), compare)(limit)
                            )
                        )
                    )
        if rule["type"] == "date":
            checks.append(
                expression(
                    lambda c: (
                        c.is_null() | c.str.to_date(format="%Y-%m-%d", strict=False).is_not_null()
                    )
                )
            )
        for pattern in rule.get("patterns", []):
            checks.append(pa.Check.str_contains(pattern))
        if rule.get("max_length"):
            checks.append(pa.Check.str_length(max_value=rule["max_length"]))
        columns[name] = pa.Column(
            pl.String, nullable=not rule["required"], checks=checks, required=False
        )
    unique = [key for key in rules["unique"] if all(k in frame.columns for k in key)]
    schema = pa.DataFrameSchema(columns, unique=unique[0] if len(unique) == 1 else None)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return len(exc.failure_cases)
    return 0


def run_frictionless(rules: dict[str, Any], path: Path) -> int:
    from frictionless import Resource, Schema, validate

    unique = {k[0] for k in rules["unique"] if len(k) == 1}
    fields = []
    for rule in rules["fields"]:
        constraints: dict[str, Any] = {}
        if rule["required"]:
            constraints["required"] = True
        if rule["name"] in unique:
            constraints["unique"] = True
        kind = {"integer": "integer", "date": "date"}.get(rule["type"], "string")
        if "codes" in rule:
            if rule["type"] == "multi_code":
                constraints["pattern"] = _code_pattern(rule)
            else:
                constraints["enum"] = rule["codes"]
        if rule.get("patterns"):
            # frictionless matches a pattern against the whole value; lp_audit searches, and a
            # field may have several: one lookahead each
            constraints["pattern"] = "".join(f"(?=.*?(?:{p}))" for p in rule["patterns"]) + ".*"
        if rule.get("max_length"):
            constraints["maxLength"] = rule["max_length"]
        if kind == "integer":
            if rule.get("minimum") is not None:
                constraints["minimum"] = int(rule["minimum"])
            if rule.get("maximum") is not None:
                constraints["maximum"] = int(rule["maximum"])
        field: dict[str, Any] = {"name": rule["name"], "type": kind}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    schema = Schema.from_descriptor({"fields": fields, "missingValues": [""]})
    # frictionless refuses absolute paths as unsafe: name the file from its folder
    resource = Resource(path=path.name, basepath=str(path.parent.resolve()), schema=schema)
    report = validate(resource, limit_errors=10**9)
    return int(report.stats["errors"])


def main(argv: list[str]) -> None:
    runs = {
        "pointblank": run_pointblank,
        "pandera-polars": run_pandera_polars,
        "frictionless": run_frictionless,
    }
    if len(argv) != 4 or argv[1] not in ("rules", *runs):
        raise SystemExit(__doc__)
    if argv[1] == "rules":
        write_rules(argv[2], Path(argv[3]))
        return
    rules = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    run = runs[argv[1]]
    print(run(rules, Path(argv[3])))


if __name__ == "__main__":
    main(sys.argv)
