"""Validating returns: every finding code, exact lines, privacy, and the library API."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import FUZZ_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from lp_audit import load_definition, validate_return
from lp_audit.synthetic import make_return

TODAY = dt.date(2026, 1, 1)

V1 = "hbyw-quarterly-return@1.0"
Write = Callable[..., Path]


def base_frame(rows: int = 4) -> pd.DataFrame:
    frame, _ = make_return(rows, seed=21)
    # a fixed, fully valid first row that the cases below edit
    frame.loc[:, "engagement_status"] = "SHORT_TERM"
    frame.loc[:, "first_contact_date"] = frame["referral_date"]
    frame.loc[:, "first_contact_method"] = "PHONE"
    frame.loc[:, "contacts_count"] = "3"
    frame.loc[:, "initial_risk_level"] = "LOW"
    frame.loc[:, "needs_identified"] = "HOUSING"
    frame.loc[:, "case_status"] = "OPEN"
    frame.loc[:, ["closure_date", "closure_reason", "risk_change_at_close"]] = ""
    frame.loc[:, "injury_intent"] = "ASSAULT"
    frame.loc[:, "injury_mechanism"] = "BODY_PART"
    frame.loc[:, "consent_status"] = "CONSENTED"
    return frame


def run(frame: pd.DataFrame, write: Write, **options: object) -> pd.DataFrame:
    path = write(frame.to_csv(index=False, lineterminator="\n"))
    result = validate_return(path, V1, today=TODAY, **options)  # type: ignore[arg-type]
    return result.findings


def test_base_frame_is_valid(write: Write) -> None:
    assert run(base_frame(), write).empty


# (field, value set on data row 1 = file line 3, expected code, severity, label in message)
VALUE_CASES = [
    ("ethnicity", "Q", "invalid-code", "error", "Ethnicity"),
    ("gender", "x", "non-standard-code", "warning", "Gender"),
    ("gender", "", "missing-required", "error", "Gender"),
    ("age_at_referral", "sixteen", "invalid-type", "error", "Age at referral"),
    ("age_at_referral", "40", "out-of-range", "error", "Age at referral"),
    ("age_at_referral", "27", "out-of-range", "warning", "Age at referral"),
    ("attendance_date", "2025-13-01", "invalid-date", "error", "Attendance date"),
    ("postcode_district", "se5", "pattern-mismatch", "error", "Postcode district"),
    ("notes", "x" * 501, "too-long", "error", "Notes"),
    ("nhs_number", "401 023 2138", "invalid-check-digit", "error", "NHS number"),
    ("needs_identified", "HOUSING|NONE_IDENTIFIED", "exclusive-code", "error", "Needs identified"),
    ("needs_identified", "HOUSING|HOUSING", "duplicate-code", "warning", "Needs identified"),
    ("return_period", "2025-26 Q3", "period-mismatch", "error", "Return period"),
    ("provider_code", "SGT", "provider-mismatch", "error", "Provider code"),
]


@pytest.mark.parametrize(("field", "value", "code", "severity", "label"), VALUE_CASES)
def test_value_findings_have_exact_line_field_and_severity(
    write: Write, field: str, value: str, code: str, severity: str, label: str
) -> None:
    frame = base_frame()
    frame.loc[1, field] = value
    findings = run(frame, write)
    assert len(findings) == 1, findings.to_dict("records")
    f = findings.iloc[0]
    assert (f.code, f.severity, f.line, f.field) == (code, severity, 3, field)
    assert label in f.message
    column = list(frame.columns).index(field)
    assert (
        f.column == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[column]
        if column < 26
        else f.column.startswith("A")
    )


def test_date_format_warning_for_dd_mm_yyyy(write: Write) -> None:
    frame = base_frame()
    y, m, d = frame.loc[1, "attendance_date"].split("-")
    frame.loc[1, "attendance_date"] = f"{d}/{m}/{y}"
    findings = run(frame, write)
    assert findings[["code", "severity", "line"]].values.tolist() == [["date-format", "warning", 3]]


RULE_CASES = [
    (
        {
            "engagement_status": "NOT_CONTACTED",
            "first_contact_date": "",
            "first_contact_method": "",
            "initial_risk_level": "",
            "needs_identified": "",
        },
        "contacts-zero-when-not-contacted",
    ),
    ({"injury_intent": "NO_PHYSICAL_INJURY"}, "injury-mechanism-not-applicable"),
    ({"closure_date": "2025-08-01"}, "closure-date-empty-when-open"),
    (
        {
            "referral_date": "2099-01-01",
            "attendance_date": "2099-01-01",
            "first_contact_date": "2099-01-01",
            "return_period": "2098-99 Q4",
        },
        "referral-date-not-in-future",
    ),
]


@pytest.mark.parametrize(("changes", "rule"), RULE_CASES)
def test_rule_failures_name_the_rule(write: Write, changes: dict[str, str], rule: str) -> None:
    frame = base_frame(1)
    for key, value in changes.items():
        frame.loc[0, key] = value
    findings = run(frame, write, period="2098-99 Q4" if "2098" in str(changes) else None)
    got = findings[findings.code == "rule-failed"]
    assert got.rule.tolist() == [rule]
    assert got.line.tolist() == [2]


def test_conditional_requirement_is_missing_required(write: Write) -> None:
    frame = base_frame()
    frame.loc[2, "case_status"] = "CLOSED"
    frame.loc[2, "closure_date"] = frame.loc[2, "first_contact_date"]
    frame.loc[2, "risk_change_at_close"] = "REDUCED"
    findings = run(frame, write)
    assert findings[["code", "field", "line"]].values.tolist() == [
        ["missing-required", "closure_reason", 4]
    ]
    assert "Closure reason is required when Case status is CLOSED" in findings.message[0]


def test_duplicate_id_and_double_count(write: Write) -> None:
    frame = base_frame()
    frame.loc[3, "referral_id"] = frame.loc[0, "referral_id"]
    frame.loc[2, ["person_id", "referral_date", "attendance_date", "first_contact_date"]] = (
        frame.loc[
            1, ["person_id", "referral_date", "attendance_date", "first_contact_date"]
        ].tolist()
    )
    frame.loc[2, "site_code"] = "NWP" if frame.loc[1, "site_code"] != "NWP" else "KCH"
    findings = run(frame, write)
    got = sorted(zip(findings.code, findings.line, findings.rule.fillna(""), strict=True))
    assert got == [
        ("duplicate-id", 5, "referral-id-unique"),
        ("rule-failed", 4, "possible-double-count"),
    ]
    # person_id is sensitive: the double-count finding shows no value
    assert findings[findings.rule == "possible-double-count"].value.isna().all()


def test_header_findings(write: Write) -> None:
    frame = base_frame().drop(columns=["site_code", "notes"])
    frame = frame.rename(columns={"ethnicity": "Ethnic Category"})
    frame["favourite_colour"] = "blue"
    frame["Age"] = "17"  # a second column for age_at_referral
    findings = run(frame, write)
    got = sorted(zip(findings.code, findings.severity, findings.field.fillna(""), strict=True))
    assert got == [
        ("duplicate-column", "error", "age_at_referral"),
        ("header-alias", "warning", "ethnicity"),
        ("missing-column", "error", "site_code"),
        ("missing-column", "warning", "notes"),
        ("unknown-column", "warning", ""),
    ]
    assert set(findings.line) == {1}


def test_nil_return(write: Write) -> None:
    header = ",".join(load_definition(V1).field_names) + "\n"
    result = validate_return(write(header), V1)
    assert result.findings.code.tolist() == ["nil-return"] and result.rows == 0


def test_reading_findings_flow_into_results(write: Write) -> None:
    text = base_frame().to_csv(index=False, lineterminator="\n")
    result = validate_return(write(text, encoding="cp1252"), V1, today=TODAY)
    assert result.findings.empty  # pure ASCII decodes as UTF-8
    result = validate_return(
        write(text.replace("Synthetic", "Synthétic") + "Total,,,\n", encoding="cp1252"),
        V1,
        today=TODAY,
    )
    assert {"encoding", "totals-row"} <= set(result.findings.code)


def test_clean_10000_rows_have_no_findings() -> None:
    frame, _ = make_return(10_000, seed=5)
    result = validate_return(frame, V1, today=TODAY)
    assert result.findings.empty
    assert result.rows == 10_000


def test_50_injected_problems_give_exactly_those_50_findings(tmp_path: Path) -> None:
    frame, defects = make_return(10_000, seed=6, defects=50)
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    result = validate_return(path, V1, today=TODAY)
    got = Counter(
        zip(
            result.findings.line,
            result.findings.field,
            result.findings.code,
            result.findings.severity,
            strict=True,
        )
    )
    expected = Counter((d.row + 2, d.field, d.code, d.severity) for d in defects)
    assert got == expected


def test_sensitive_values_never_appear_in_findings(write: Write) -> None:
    frame = base_frame()
    frame.loc[1, "person_id"] = "SECRET-PERSON"
    frame.loc[1, "postcode_district"] = "SECRET-PC"
    frame.loc[1, "nhs_number"] = "SECRET-NHS"
    frame.loc[1, "notes"] = "SECRET-NOTE" * 60
    findings = run(frame, write)
    assert set(findings.field) >= {"postcode_district", "nhs_number", "notes"}
    assert "SECRET" not in findings.to_csv()


def test_dataframe_input_and_finding_objects() -> None:
    frame = base_frame()
    frame.loc[0, "ethnicity"] = "Q"
    result = validate_return(frame, V1, today=dt.date(2026, 1, 1))
    [finding] = result.finding_objects()
    assert finding.code == "invalid-code" and finding.line == 2 and finding.value == "Q"
    assert result.to_dict()["counts"] == {"error": 1, "warning": 0}


def test_the_version_in_force_for_the_returns_period_is_chosen(tmp_path: Path) -> None:
    frame, _ = make_return(5, seed=7)
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    assert validate_return(path).definition == "hbyw-quarterly-return@1.0"
    later = frame.assign(return_period="2027-28 Q1")
    later.to_csv(path, index=False)
    result = validate_return(path)
    assert result.definition == "hbyw-quarterly-return@2.0"
    assert "missing-column" in set(result.findings.code)  # 2.0 requires gender_identity
    pinned = validate_return(path, "hbyw-quarterly-return@1.0")
    assert pinned.definition == "hbyw-quarterly-return@1.0"


@pytest.mark.parametrize(
    ("settings", "seed"),
    [
        # above 100,000 rows the checks skip pandera's bookkeeping
        ({"checks.runner.PANDERA_UP_TO": 0}, 3),
        ({"checks.runner.PANDERA_UP_TO": 0}, 4),
        # from 100,000 rows the columns are parsed, and the checks run, in threads
        ({"checks.parsing.THREADS_FROM_ROWS": 0}, 5),
        ({"checks.runner.PANDERA_UP_TO": 0, "checks.runner.CHECK_THREADS_FROM_ROWS": 0}, 7),
        # the reverse of what every return does: no column read as a category, and every
        # value parsed in every row rather than once per distinct value
        (
            {
                "reading.delimited.FEW_DISTINCT": -1.0,
                "checks.parsing._ENCODED_TYPES": frozenset(),
                "checks.parsing.FEW_DISTINCT": -1.0,
            },
            6,
        ),
    ],
)
def test_the_large_return_paths_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, object], seed: int
) -> None:
    """What large returns do differently for speed may change nothing a user sees."""
    import importlib

    frame, _ = make_return(3_000, provider="SGT", seed=seed, defects=300)
    frame.loc[100, "referral_id"] = frame.loc[7, "referral_id"]
    frame.loc[200:210, "return_period"] = "2024-25 Q4"
    frame.loc[300:305, "ethnicity"] = [" a ", "a", "0A", "", "  ", "Z9"]
    frame.loc[400:403, "nhs_number"] = ["943 476 5919", "943\t476\t5918", " ", "94347659"]
    path = tmp_path / "return.csv"
    frame.to_csv(path, index=False)
    small = validate_return(path, today=TODAY, chunk_rows=0)
    for setting, value in settings.items():
        module, name = setting.rsplit(".", 1)
        monkeypatch.setattr(importlib.import_module(f"lp_audit.{module}"), name, value)
    large = validate_return(path, today=TODAY, chunk_rows=0)
    assert large.to_dict() == small.to_dict()
    assert len(large.findings["code"].unique()) >= 10


def _modulus11(value: str | None) -> bool:
    """The NHS number check, written out: values not of ten digits pass (other checks report)."""
    if value is None or len(value) != 10 or not all(c in "0123456789" for c in value):
        return True
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(value[9])


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    values=st.lists(
        st.none()
        | st.sampled_from(["9434765919", "4010232137", "4010232138", "0000000000", "943476591é"])
        | st.text(st.sampled_from(list("0123456789")), min_size=9, max_size=11)
        | st.text(st.sampled_from(list("0123456789 x")), max_size=10),
        max_size=40,
    )
)
def test_check_digits_are_those_of_the_nhs_algorithm(values: list[str | None]) -> None:
    from lp_audit.checks.functions import modulus11_ok

    got = modulus11_ok(pd.Series(values, dtype="str")).tolist()
    assert got == [_modulus11(v) for v in values]


def test_a_number_written_with_a_separator_is_told_how_to_write_it(tmp_path: Path) -> None:
    definition = tmp_path / "hours.yaml"
    definition.write_text(
        'name: hours\nversion: "1.0"\ntitle: Hours\nfields:\n'
        "  - {name: hours, label: Hours of support, type: decimal, example: '7.5'}\n",
        encoding="utf-8",
    )
    data = tmp_path / "return.csv"
    data.write_text('hours\n7.5\n"1,000"\n"7,5"\n12 hrs\n', encoding="utf-8")
    findings = validate_return(data, definition).findings
    said = findings[findings.code == "invalid-type"]
    assert said.line.tolist() == [3, 4, 5]
    assert set(said.message) == {
        "Hours of support must be a number, such as 7.5: a point for decimals, and no thousands "
        "separators, units or spaces."
    }
