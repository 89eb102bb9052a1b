"""An HBYW 1.0 return made without lp_audit.synthetic, with defects of ten kinds planted in it.

Usage: python benchmarks/independent.py ROWS OUT.csv [--defects N]

A benchmark on returns made by the tool's own generator measures the tool on the data it was
built around; this one is written from the definition's words alone, in numpy: every row is
clean (its codes, types, patterns, conditional fields and date rules hold), then ``N`` rows
(default one in a thousand) get each of ten defects, each row at most one:

==================  ==============================================================
missing             ethnicity blank (a required field)
unknown-code        gender 7
unknown-site        site_code ZZZ
not-a-number        age_at_referral "sixteen"
out-of-range        age_at_referral 40 (the hard range is 5 to 30)
not-a-date          attendance_date 2025-02-30
bad-pattern         postcode_district 123
too-long            notes of 600 characters (at most 500)
repeated-id         referral_id of the row before it
bad-multi-code      needs_identified MENTAL_HEALTH|NOPE on an engaged row
==================  ==============================================================

Prints the planted counts as JSON. Written with pyarrow: this process imports no pandas.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KINDS = (
    "missing",
    "unknown-code",
    "unknown-site",
    "not-a-number",
    "out-of-range",
    "not-a-date",
    "bad-pattern",
    "too-long",
    "repeated-id",
    "bad-multi-code",
)
SITES = ("KCH", "STG", "SMH", "RLH", "NUH", "WXH", "STH", "UHL", "QEH", "CUH", "WHH", "NMH")
ETHNICITY = tuple("ABCDEFGHJKLMNPRSZ")
LAS = tuple(f"E0900{i:04d}" for i in range(1, 13))
SOURCES = ("ED_CLINICIAN", "TRAUMA_TEAM", "WARD_STAFF", "SAFEGUARDING_TEAM", "OTHER")
MECHANISMS = ("KNIFE_SHARP_OBJECT", "BLUNT_OBJECT", "BODY_PART", "OTHER", "NOT_KNOWN")
NEEDS = ("MENTAL_HEALTH", "SUBSTANCE_USE", "CRIMINAL_EXPLOITATION", "HOUSING", "EDUCATION")
ENGAGED = ("BRIEF_IN_HOSPITAL", "SHORT_TERM", "INTENSIVE")


def make(rows: int, defects: int, seed: int = 2718) -> tuple[object, dict[str, int]]:
    """A pyarrow table of ``rows`` rows for RTH, 2025-26 Q2, and the defects planted."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)

    def pick(options: tuple[str, ...]) -> np.ndarray:
        return np.array(options, dtype=object)[rng.integers(0, len(options), rows)]

    def day(values: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(values, unit="D").astype(object)

    start, end = np.datetime64("2025-07-01"), np.datetime64("2025-09-30")
    attendance = start + rng.integers(0, 85, rows).astype("timedelta64[D]")
    referral = np.minimum(attendance + rng.integers(0, 3, rows).astype("timedelta64[D]"), end)
    intent = pick(("ASSAULT", "SELF_INFLICTED", "ACCIDENTAL", "NO_PHYSICAL_INJURY"))
    mechanism = np.where(
        intent == "ASSAULT",
        pick(MECHANISMS),
        np.where(intent == "NO_PHYSICAL_INJURY", "NOT_APPLICABLE", ""),
    ).astype(object)
    engagement = pick(("NOT_CONTACTED", "DECLINED", *ENGAGED))
    contacted = engagement != "NOT_CONTACTED"
    engaged = np.isin(engagement, ENGAGED)
    first = np.minimum(referral + rng.integers(0, 10, rows).astype("timedelta64[D]"), end)
    closed = rng.random(rows) < 0.4
    closure = np.minimum(first + rng.integers(0, 5, rows).astype("timedelta64[D]"), end)
    needs = np.char.add(np.char.add(pick(NEEDS).astype(str), "|"), pick(NEEDS[::-1]).astype(str))
    needs = np.where(
        np.char.partition(needs, "|")[:, 0] == np.char.partition(needs, "|")[:, 2],
        np.char.partition(needs, "|")[:, 0],
        needs,
    )
    # a valid NHS number: nine digits, and the modulus 11 check digit (10 cannot be one)
    digits = rng.integers(0, 10, (rows, 9))
    digits[:, 0] = rng.integers(4, 8, rows)
    check = (11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11) % 11
    nhs = np.where(
        check < 10,
        np.char.add(_joined(digits), check.astype(str)),
        "",
    ).astype(object)
    ids = np.char.add("RTH-", np.arange(rows).astype(str)).astype(object)
    columns: dict[str, np.ndarray] = {
        "return_period": np.full(rows, "2025-26 Q2", dtype=object),
        "provider_code": np.full(rows, "RTH", dtype=object),
        "site_code": pick(SITES),
        "referral_id": ids,
        "person_id": np.char.add("P", rng.integers(0, 10**7, rows).astype(str)).astype(object),
        "nhs_number": nhs,
        "age_at_referral": rng.integers(10, 26, rows).astype(str).astype(object),
        "gender": pick(("1", "2", "9")),
        "ethnicity": pick(ETHNICITY),
        "home_la": pick(LAS),
        "postcode_district": pick(("SE1", "N7", "E14", "SW9", "CR0", "")),
        "referral_source": pick(SOURCES),
        "attendance_date": day(attendance),
        "referral_date": day(referral),
        "injury_intent": intent,
        "injury_mechanism": mechanism,
        "consent_status": pick(("CONSENTED", "DECLINED", "NOT_ASKED")),
        "engagement_status": engagement,
        "first_contact_date": np.where(contacted, day(first), "").astype(object),
        "first_contact_method": np.where(contacted, pick(("PHONE", "VIDEO")), "").astype(object),
        "contacts_count": np.where(contacted, rng.integers(1, 20, rows), 0)
        .astype(str)
        .astype(object),
        "initial_risk_level": np.where(engaged, pick(("LOW", "MEDIUM", "HIGH")), "").astype(object),
        "needs_identified": np.where(engaged, needs, "").astype(object),
        "onward_referrals": pick(("", "CAMHS", "GP|EARLY_HELP")),
        "case_status": np.where(closed, "CLOSED", "OPEN").astype(object),
        "closure_date": np.where(closed, day(np.where(contacted, closure, referral)), "").astype(
            object
        ),
        "closure_reason": np.where(closed, pick(("PLAN_COMPLETED", "DISENGAGED")), "").astype(
            object
        ),
        "risk_change_at_close": np.where(
            closed & engaged, pick(("REDUCED", "NO_CHANGE")), ""
        ).astype(object),
        "notes": np.full(rows, "", dtype=object),
    }
    # the defects, on distinct rows (row 0 is never one: a repeated id copies the row before)
    planted = dict.fromkeys(KINDS, 0)
    per_kind = min(defects, (rows - 1) // len(KINDS))
    chosen = 1 + rng.choice(rows - 1, size=per_kind * len(KINDS), replace=False)
    for k, kind in enumerate(KINDS):
        at = chosen[k * per_kind : (k + 1) * per_kind]
        if kind == "bad-multi-code":
            at = at[engaged[at]]  # only where the field is filled in
        planted[kind] = len(at)
        if kind == "missing":
            columns["ethnicity"][at] = ""
        elif kind == "unknown-code":
            columns["gender"][at] = "7"
        elif kind == "unknown-site":
            columns["site_code"][at] = "ZZZ"
        elif kind == "not-a-number":
            columns["age_at_referral"][at] = "sixteen"
        elif kind == "out-of-range":
            columns["age_at_referral"][at] = "40"
        elif kind == "not-a-date":
            columns["attendance_date"][at] = "2025-02-30"
        elif kind == "bad-pattern":
            columns["postcode_district"][at] = "123"
        elif kind == "too-long":
            columns["notes"][at] = "x" * 600
        elif kind == "repeated-id":
            columns["referral_id"][at] = columns["referral_id"][at - 1]
        else:
            columns["needs_identified"][at] = "MENTAL_HEALTH|NOPE"
    table = pa.table({name: pa.array(values, type=pa.string()) for name, values in columns.items()})
    return table, planted


def _joined(digits: object) -> object:
    """Rows of digits as text, fast for many rows: each column's digit added in turn."""
    import numpy as np

    assert isinstance(digits, np.ndarray)
    text = digits[:, 0].astype(str)
    for i in range(1, digits.shape[1]):
        text = np.char.add(text, digits[:, i].astype(str))
    return text


def write(rows: int, out: Path, defects: int | None = None) -> dict[str, int]:
    """Write the return (blank cells empty, no quotes) and say what was planted."""
    import pyarrow.csv as pv

    table, planted = make(rows, defects if defects is not None else max(rows // 1000, 1))
    partial = out.with_suffix(".partial")
    pv.write_csv(table, partial, pv.WriteOptions(quoting_style="none", quoting_header="none"))  # type: ignore[arg-type]
    partial.replace(out)
    return planted


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 5) or (len(argv) == 5 and argv[3] != "--defects"):
        raise SystemExit(__doc__)
    defects = int(argv[4]) if len(argv) == 5 else None
    print(json.dumps(write(int(argv[1]), Path(argv[2]), defects)))


if __name__ == "__main__":
    main(sys.argv)
