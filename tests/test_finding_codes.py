"""Every finding code in the catalogue is triggered by a small return, at an exact place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from lp_audit import load_definition, validate_return
from lp_audit.findings import CATALOGUE
from lp_audit.synthetic import make_return

V1 = "hbyw-quarterly-return@1.0"
TODAY = dt.date(2026, 1, 1)


def frame() -> pd.DataFrame:
    """Three valid rows (file lines 2 to 4), all engaged and open, for cases to edit."""
    f, _ = make_return(3, seed=31)
    f.loc[:, "engagement_status"] = "SHORT_TERM"
    f.loc[:, "first_contact_date"] = f["referral_date"]
    f.loc[:, "first_contact_method"] = "PHONE"
    f.loc[:, "contacts_count"] = "2"
    f.loc[:, "initial_risk_level"] = "LOW"
    f.loc[:, "needs_identified"] = "HOUSING"
    f.loc[:, "case_status"] = "OPEN"
    f.loc[:, ["closure_date", "closure_reason", "risk_change_at_close"]] = ""
    f.loc[:, ["injury_intent", "injury_mechanism"]] = ["ASSAULT", "BODY_PART"]
    return f


def csv(f: pd.DataFrame) -> str:
    return f.to_csv(index=False, lineterminator="\n")


def edit(row: int, field: str, value: str) -> Callable[[], str]:
    def make() -> str:
        f = frame()
        f.loc[row, field] = value
        return csv(f)

    return make


def header() -> str:
    return csv(frame()).splitlines()[0] + "\n"


def _unsaved_formula() -> bytes:
    """A workbook whose C3 (site_code, line 3) holds a formula saved without its result, as
    openpyxl and other programs that are not Excel write them."""
    import io

    from openpyxl import Workbook

    f = frame()
    wb = Workbook()
    ws = wb.active
    ws.append(list(f.columns))
    for row in f.itertuples(index=False):
        ws.append(list(row))
    ws["C3"] = "=A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@dataclass
class Case:
    make: Callable[[], str | bytes]
    line: int | None
    field: str | None
    severity: str
    definition: str = V1
    suffix: str = ".csv"
    options: dict[str, str] = field(default_factory=dict)


def _rule(changes: dict[str, str]) -> Callable[[], str]:
    def make() -> str:
        f = frame()
        for k, v in changes.items():
            f.loc[1, k] = v
        return csv(f)

    return make


def _columns(fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[], str]:
    return lambda: csv(fn(frame()))


def _too_short(tmp: Path) -> str:
    (tmp / "short.yaml").write_text(
        'name: short\nversion: "1.0"\ntitle: Short\nfields:\n'
        "  - {name: code, label: Team code, type: text, constraints: [{min_length: 3}]}\n"
    )
    return str(tmp / "short.yaml")


def _timed(tmp: Path) -> str:
    """A definition whose arrival date must carry a time of day."""
    (tmp / "timed.yaml").write_text(
        'name: timed\nversion: "1.0"\ntitle: Arrivals\nfields:\n'
        "  - {name: arrival, label: Arrival date and time, type: date, time: required}\n"
    )
    return str(tmp / "timed.yaml")


def _carried(tmp: Path) -> str:
    """A definition that compares with the previous return, and that return (``last.csv``:
    team T2, open at its end, on line 3)."""
    (tmp / "carried.yaml").write_text(
        'name: carried\nversion: "1.0"\ntitle: Teams\nfields:\n'
        "  - {name: team, label: Team, type: text, required: true}\n"
        "  - {name: status, label: Status, type: code, codes: [OPEN, CLOSED]}\n"
        "previous_return:\n  match: team\n  carried:\n    when: {field: status, equals: OPEN}\n"
        "    message: A team open at the end of the previous return is not in this one.\n"
    )
    (tmp / "last.csv").write_text("team,status\nT1,OPEN\nT2,OPEN\nT3,CLOSED\n")
    return str(tmp / "carried.yaml")


CASES: dict[str, Case] = {
    "empty-file": Case(lambda: b"", None, None, "error"),
    "encoding": Case(
        lambda: edit(0, "referral_source", "Café")().encode("cp1252"), None, None, "warning"
    ),
    "unterminated-quote": Case(lambda: csv(frame()) + 'x,"y\n', 5, None, "error"),
    "extra-cells": Case(
        lambda: header() + csv(frame()).splitlines()[1] + ",surplus\n", 2, None, "error"
    ),
    "missing-cells": Case(
        lambda: header() + ",".join(csv(frame()).splitlines()[1].split(",")[:5]) + "\n",
        2,
        None,
        "error",
    ),
    "blank-rows": Case(lambda: header() + "\n" + csv(frame())[len(header()) :], 2, None, "warning"),
    "totals-row": Case(lambda: csv(frame()) + "Total,,,\n", 5, None, "warning"),
    "too-many-columns": Case(
        lambda: ",".join(f"c{i}" for i in range(1001)) + "\n1\n", 1, None, "error"
    ),
    "cell-too-large": Case(edit(0, "site_code", "K" * 100_001), 2, None, "error"),
    "formula-not-saved": Case(_unsaved_formula, 3, None, "error", suffix=".xlsx"),
    "header-not-first": Case(lambda: "Quarterly return,,\n,,\n" + csv(frame()), 3, None, "warning"),
    "missing-column": Case(
        _columns(lambda f: f.drop(columns=["site_code"])), 1, "site_code", "error"
    ),
    "unknown-column": Case(_columns(lambda f: f.assign(shoe_size="9")), 1, None, "warning"),
    "duplicate-column": Case(_columns(lambda f: f.assign(Age="17")), 1, "age_at_referral", "error"),
    "header-alias": Case(
        _columns(lambda f: f.rename(columns={"ethnicity": "Ethnic group"})),
        1,
        "ethnicity",
        "warning",
    ),
    "missing-required": Case(edit(1, "gender", ""), 3, "gender", "error"),
    "invalid-code": Case(edit(1, "site_code", "XXX"), 3, "site_code", "error"),
    "non-standard-code": Case(edit(1, "site_code", "kch"), 3, "site_code", "warning"),
    "invalid-type": Case(edit(2, "contacts_count", "2.5"), 4, "contacts_count", "error"),
    "invalid-date": Case(edit(2, "attendance_date", "yesterday"), 4, "attendance_date", "error"),
    "date-as-number": Case(edit(2, "attendance_date", "45839"), 4, "attendance_date", "error"),
    "date-with-time": Case(
        edit(1, "attendance_date", "2025-07-01 00:00:00"), 3, "attendance_date", "error"
    ),
    "date-without-time": Case(
        lambda: "arrival\n2025-07-01 09:30\n2025-07-01\n", 3, "arrival", "error", definition="timed"
    ),
    "date-format": Case(edit(2, "attendance_date", "01/07/2025"), 4, "attendance_date", "warning"),
    "out-of-range": Case(edit(0, "age_at_referral", "31"), 2, "age_at_referral", "error"),
    "pattern-mismatch": Case(edit(0, "referral_id", "R1"), 2, "referral_id", "error"),
    "too-long": Case(edit(0, "notes", "n" * 501), 2, "notes", "error"),
    "too-short": Case(lambda: "code\nab\nabc\n", 2, "code", "error", definition="short"),
    "invalid-check-digit": Case(edit(0, "nhs_number", "4010232138"), 2, "nhs_number", "error"),
    "exclusive-code": Case(edit(0, "onward_referrals", "NONE|GP"), 2, "onward_referrals", "error"),
    "duplicate-code": Case(edit(0, "onward_referrals", "GP|GP"), 2, "onward_referrals", "warning"),
    "rule-failed": Case(
        _rule({"first_contact_date": "2025-01-01"}), 3, "first_contact_date", "error"
    ),
    "duplicate-id": Case(
        lambda: edit(1, "referral_id", frame().referral_id.iloc[0])(), 3, "referral_id", "error"
    ),
    "period-mismatch": Case(edit(2, "return_period", "2025-26 Q1"), 4, "return_period", "error"),
    "provider-mismatch": Case(edit(2, "provider_code", "OAS"), 4, "provider_code", "error"),
    "nil-return": Case(header, None, None, "warning"),
    "not-carried": Case(
        lambda: "team,status\nT1,OPEN\n", None, "team", "error", definition="carried"
    ),
    # the rows are for 2025-26 Q2 and from RTH (see frame())
    "wrong-period": Case(
        lambda: csv(frame()), None, "return_period", "error", options={"period": "2025-26 Q3"}
    ),
    "wrong-provider": Case(
        lambda: csv(frame()), None, "provider_code", "error", options={"provider": "SGT"}
    ),
}


def test_every_catalogue_code_has_a_case() -> None:
    assert set(CASES) == set(CATALOGUE)


@pytest.mark.parametrize("code", sorted(CASES))
def test_finding_code_is_reported_at_the_exact_place(code: str, tmp_path: Path) -> None:
    case = CASES[code]
    content = case.make()
    path = tmp_path / f"return{case.suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    definition = {"short": _too_short, "carried": _carried, "timed": _timed}.get(
        case.definition, lambda _: case.definition
    )(tmp_path)
    options = dict(case.options)
    if case.definition == "carried":
        options["previous"] = str(tmp_path / "last.csv")
    result = validate_return(path, definition, today=TODAY, **options)  # type: ignore[arg-type]
    found = result.findings[result.findings.code == code]
    assert len(found) == 1, result.findings[["code", "line", "field"]].to_dict("records")
    f = found.iloc[0]
    assert f.severity == case.severity
    assert (None if pd.isna(f.line) else int(f.line)) == case.line
    assert (None if pd.isna(f.field) else f.field) == case.field
    if case.field is not None and case.definition == V1:
        assert load_definition(V1).field(case.field).label.lower() in f.message.lower()
    assert f.message.strip().endswith((".", ")"))
