"""``lp-audit definitions infer`` on returns it was not built around: an export of several
linked tables (people, their enrolments and exits, shaped like a homelessness case system's
CSV export), and columns such exports have (social security numbers, data-quality codes,
identifiers in digits, dates with a time of day)."""

from __future__ import annotations

import csv
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit.auditing import find_returns
from lp_audit.cli import app
from lp_audit.definitions import load_definition_file
from lp_audit.drafting import infer_definition
from lp_audit.validation import validate_returns

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def export(folder: Path, seed: int, people: int = 80) -> None:
    """A synthetic export of three tables: Client (one row a person), Enrollment (a person's
    stays, one or two) and Exit (most stays end), linked by PersonalID and EnrollmentID."""
    rng = random.Random(seed)
    clients, enrolments, exits = [], [], []

    def stamp(day: date) -> str:
        return f"{day.isoformat()} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:00"

    for i in range(people):
        person = str(rng.randint(10**9, 10**10 - 1))
        made = date(2024, 1, 1) + timedelta(days=rng.randint(0, 300))
        dob_quality = rng.choice([1, 1, 1, 1, 2, 8, 9, 99])
        clients.append(
            {
                "PersonalID": person,
                "FirstName": rng.choice(["Alex", "Sam", "Jo", "Kim"]),
                "LastName": rng.choice(["Smith", "Jones", "Brown"]),
                "NameDataQuality": rng.choice([1, 1, 1, 2, 99]),
                "SSN": f"xxxxx{rng.randint(1000, 9999)}" if rng.random() < 0.7 else "",
                "DOB": ""
                if dob_quality > 2
                else (date(1960, 1, 1) + timedelta(days=rng.randint(0, 20000))).isoformat(),
                "DOBDataQuality": dob_quality,
                "VeteranStatus": rng.choice([0, 0, 0, 1, 8, 9, 99]),
                "UserID": f"U{rng.randint(1, 9)}",
                "DateCreated": stamp(made),
            }
        )
        for j in range(rng.choice([1, 1, 2])):
            stay = f"E{seed}{i:04d}{j}"
            entry = made + timedelta(days=rng.randint(0, 90))
            enrolments.append(
                {
                    "EnrollmentID": stay,
                    "PersonalID": person,
                    "ProjectID": "P7",
                    "EntryDate": entry.isoformat(),
                    "RelationshipToHoH": rng.choice([1, 1, 1, 2, 3, 99]),
                    "LivingSituation": rng.choice([101, 116, 215, 302, 410, 8, 9, 99]),
                    "DateCreated": stamp(entry),
                }
            )
            if rng.random() < 0.6:
                exits.append(
                    {
                        "ExitID": f"X{seed}{i:04d}{j}",
                        "EnrollmentID": stay,
                        "PersonalID": person,
                        "ExitDate": (entry + timedelta(days=rng.randint(0, 200))).isoformat(),
                        "Destination": rng.choice([101, 116, 215, 302, 410, 8, 9, 17, 24, 99]),
                        "DateCreated": stamp(entry),
                    }
                )
    _write(folder / "Client.csv", clients)
    _write(folder / "Enrollment.csv", enrolments)
    _write(folder / "Exit.csv", exits)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exports")
    export(root / "returns" / "proj-a", 1)
    export(root / "returns" / "proj-b", 2)
    return root


@pytest.fixture(scope="module")
def drafted(exports: Path) -> Path:
    path = exports / "draft.yaml"
    result = CliRunner().invoke(
        app, ["definitions", "infer", str(exports / "returns"), "--output", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "of 3 tables from 6 file(s)" in result.output
    return path


def test_an_export_of_linked_tables_drafts_a_return_of_several_tables(drafted: Path) -> None:
    definition = load_definition_file(drafted)
    tables = {t.name: t for t in definition.tables}
    assert list(tables) == ["Client", "Enrollment", "Exit"]
    assert tables["Client"].key == ("PersonalID",)
    assert tables["Enrollment"].key == ("EnrollmentID",)
    assert tables["Exit"].key == ("ExitID",)  # its own ID, not the enrolment's, also unique
    assert tables["Enrollment"].fields[:2] == ("EnrollmentID", "PersonalID")  # as the files
    # every enrolment's person is a client, every exit's stay an enrolment
    assert {r.id for r in definition.rules if "-in-" in r.id} == {
        "Enrollment-PersonalID-in-Client",
        "Exit-PersonalID-in-Client",
        "Exit-EnrollmentID-in-Enrollment",
    }
    assert {r.id for r in definition.return_rules} == {
        "Client-PersonalID-unique",
        "Enrollment-EnrollmentID-unique",
        "Exit-ExitID-unique",
    }
    text = drafted.read_text(encoding="utf-8")
    # a field in one table is not blank in the rows of the others
    assert definition.field("EntryDate").required and definition.field("DOBDataQuality").required
    assert "not in 2 of the samples" not in text


def test_the_draft_validates_its_samples_and_finds_what_breaks_the_links(
    exports: Path, drafted: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    returns = [str(exports / "returns" / p) for p in ("proj-a", "proj-b")]
    clean = runner.invoke(app, ["validate", *returns, "-d", str(drafted)])
    assert clean.exit_code == 0, clean.output
    broken = tmp_path / "proj-a"
    shutil.copytree(exports / "returns" / "proj-a", broken)
    enrolments = list(csv.reader((broken / "Enrollment.csv").open(encoding="utf-8")))
    enrolments[4][1] = "1234567890"  # line 5: a person who is not a client
    enrolments[6][6] = "03/07/2025 10:00"  # line 7: another form of date and time
    exits = list(csv.reader((broken / "Exit.csv").open(encoding="utf-8")))
    exits.append(exits[2])  # an exit sent twice
    for name, rows in (("Enrollment.csv", enrolments), ("Exit.csv", exits)):
        with (broken / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    run = validate_returns([broken], load_definition_file(drafted))
    found = {
        (Path(r.path).name, f.code, f.rule or f.field, f.line)
        for r in run.results
        for f in r.finding_objects()
    }
    assert found == {
        ("Enrollment.csv", "rule-failed", "Enrollment-PersonalID-in-Client", 5),
        ("Enrollment.csv", "invalid-date", "DateCreated", 7),
        ("Exit.csv", "duplicate-id", "Exit-ExitID-unique", len(exits)),
    }


def test_columns_of_such_exports_are_drafted_for_what_they_hold(drafted: Path) -> None:
    definition = load_definition_file(drafted)
    text = drafted.read_text(encoding="utf-8")
    ssn = definition.field("SSN")
    assert ssn.sensitive and ssn.label == "SSN"
    assert "xxxxx" not in text  # none of its values is copied
    quality = definition.field("NameDataQuality")  # a code about a name, not a name
    assert not quality.sensitive and quality.type == "code" and quality.unknown_codes == ("99",)
    assert definition.field("DOBDataQuality").label == "DOB data quality"
    assert definition.field("RelationshipToHoH").label == "Relationship to HoH"
    assert definition.field("UserID").type == "code"  # U1 to U9: no postcode area U
    assert not definition.field("ProjectID").sensitive  # P7: nor P
    person = definition.field("PersonalID")  # ten digits: an identifier, of a person
    assert person.type == "text" and person.sensitive
    stamped = definition.field("DateCreated")  # 2024-03-05 10:41:00: a date with a time
    assert stamped.type == "date" and stamped.time == "required"
    assert not stamped.constraints
    enrolment = definition.field("EnrollmentID")
    assert enrolment.type == "text" and not enrolment.sensitive


def test_identifiers_in_digits_are_text_with_the_samples_length(tmp_path: Path) -> None:
    rows = "".join(f"{i:06d},{i % 7},2024-05-0{1 + i % 9} 10:1{i % 10}:00\n" for i in range(40))
    sample = tmp_path / "cases.csv"
    sample.write_text("case_id,score,logged\n" + rows, encoding="utf-8")
    draft = infer_definition([sample])
    definition = _load(tmp_path, draft.text)
    case = definition.field("case_id")
    assert case.type == "text"  # 000001 keeps its zeros
    assert [c.pattern for c in case.constraints if c.kind == "pattern"] == [r"^\d{6}$"]
    assert draft.key == ("case_id",)  # the time a row was logged is unique, but not a key


def test_dates_with_times_are_dates_that_take_a_time_and_have_orders(drafted: Path) -> None:
    """A case system's stamps (2024-03-05 10:41:00) are dates with ``time: required``, so the
    draft orders them: a stay starts on or after its client's record was made."""
    definition = load_definition_file(drafted)
    compares = {r.id: r.check.describe(definition.labels()) for r in definition.rules}
    assert "Enrollment-EntryDate-on-or-after-Client-DateCreated" in compares
    assert "Exit-ExitDate-on-or-after-Enrollment-EntryDate" in compares


def test_a_time_after_some_dates_is_allowed_and_the_draft_says_how_many(tmp_path: Path) -> None:
    days = [f"2024-05-{1 + i % 28:02d}" for i in range(40)]
    rows = "".join(
        f"C{i},{day}{' 09:3' + str(i % 10) if i % 4 == 0 else ''},{days[(i + 3) % 40]}\n"
        for i, day in enumerate(days)
    )
    sample = tmp_path / "calls.csv"
    sample.write_text("call_id,called,logged\n" + rows, encoding="utf-8")
    draft = infer_definition([sample])
    definition = _load(tmp_path, draft.text)
    assert definition.field("called").time == "allowed"
    assert definition.field("logged").time is None
    assert "10 of 40 dates have a time of day after them" in draft.text
    assert validate_returns([sample], definition).results[0].findings.empty


def test_dates_all_at_midnight_allow_a_time_and_real_times_require_one(tmp_path: Path) -> None:
    """A system that writes every date with 00:00:00 (a date of birth) gives dates that allow
    a time, so a return of dates alone passes; real times of day are required."""
    rows = "".join(
        f"C{i},2001-02-{1 + i % 28:02d} 00:00:00,2025-07-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}\n"
        for i in range(40)
    )
    sample = tmp_path / "visits.csv"
    sample.write_text("visit_id,born,arrived\n" + rows)
    draft = infer_definition([sample])
    definition = _load(tmp_path, draft.text)
    assert definition.field("born").time == "allowed"
    assert definition.field("arrived").time == "required"
    assert "every time of day in the samples is 00:00" in draft.text
    sample.write_text("visit_id,born,arrived\nC1,2001-02-03,2025-07-01 09:30\n")
    assert validate_returns([sample], definition).results[0].findings.empty


def test_a_time_of_day_alone_is_text_that_must_be_a_real_time(tmp_path: Path) -> None:
    """An emergency care return keeps the arrival time beside its date (09:30): text with the
    pattern of a real time, so that 25:10 is found; the samples' own misfit is shown."""
    rows = "".join(f"A{i},2025-07-{1 + i % 28:02d},{i % 24:02d}:{i % 60:02d}\n" for i in range(40))
    sample = tmp_path / "attendances.csv"
    sample.write_text("attendance_id,arrival_date,arrival_time\n" + rows + "A40,2025-07-01,24:00\n")
    draft = infer_definition([sample])
    definition = _load(tmp_path, draft.text)
    arrival = definition.field("arrival_time")
    assert arrival.type == "text" and [c.kind for c in arrival.constraints] == ["pattern"]
    assert "'24:00'" in draft.text  # the one value of the samples that is not a time
    sample.write_text(
        "attendance_id,arrival_date,arrival_time\nA1,2025-07-01,9:05\n"
        "A2,2025-07-01,25:10\nA3,2025-07-01,23:59:59\n"
    )
    found = validate_returns([sample], definition).results[0].findings
    assert [(int(line), code) for line, code in zip(found.line, found.code, strict=True)] == [
        (3, "pattern-mismatch")
    ]


def test_postcodes_stay_sensitive_and_codes_shaped_like_districts_do_not(tmp_path: Path) -> None:
    lines = ["home,unit"] + [f"LS{i % 9 + 1} {i % 9}AB,U{i % 5}" for i in range(30)]
    sample = tmp_path / "places.csv"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    draft = infer_definition([sample])
    assert draft.named("home").column.sensitive == "its values look like postcodes"
    assert draft.named("unit").column.sensitive is None
    assert draft.named("unit").column.type == "code"


def test_the_cla_examples_draft_the_hand_written_tables_and_period(tmp_path: Path) -> None:
    """The children-looked-after examples (a header of children, their episodes; a folder per
    provider and year): the draft finds the keys and the rule between the tables that the
    hand-written definition has, and that the returns come yearly, so an audit takes them."""
    path = tmp_path / "cla.yaml"
    runner = CliRunner()
    result = runner.invoke(
        app, ["definitions", "infer", str(ROOT / "examples" / "cla"), "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    draft = load_definition_file(path)
    truth = load_definition_file(ROOT / "definitions" / "cla-annual-return" / "1.0.yaml")
    assert {t.name: t.key for t in draft.tables} == {t.name: t.key for t in truth.tables}
    assert {t.name: set(t.fields) for t in draft.tables} == {
        t.name: set(t.fields) for t in truth.tables
    }
    reads = [r for r in draft.rules if r.table == "episodes" and "-in-" in r.id]
    assert [r.id for r in reads] == ["episodes-CHILD-in-header"]
    assert draft.field("CHILD").sensitive and draft.field("CHILD").type == "text"
    assert draft.period_every == "year"
    audit = runner.invoke(app, ["audit", str(ROOT / "examples" / "cla"), "-d", str(path)])
    assert audit.exit_code in (0, 1), audit.output
    assert "6 returns read, 0 unreadable" in audit.stdout
    assert "not a period" not in audit.output


def test_files_of_one_table_named_apart_are_one_table(tmp_path: Path) -> None:
    """Returns of one table named after their providers stay a return of one table; a file
    with another table's columns but a name of its own is said to need its table's name."""
    header = "person_id,sessions\n"
    for provider in ("rth", "sgt"):
        (tmp_path / f"{provider}-2025-26-q1.csv").write_text(
            header + "".join(f"{provider}{i},{i % 4}\n" for i in range(30)), encoding="utf-8"
        )
    draft = infer_definition(sorted(tmp_path.glob("*.csv")))
    assert draft.tables == [] and "tables:" not in draft.text
    assert "period:" not in draft.text  # financial quarters: the default
    return_folder = tmp_path / "nth-2025"
    export(return_folder, 3, people=20)
    shutil.copy(return_folder / "Exit.csv", return_folder / "Leavers.csv")
    several = infer_definition(sorted(return_folder.glob("*.csv")))
    assert [t.name for t in several.tables] == ["Client", "Enrollment", "Exit"]
    assert any("Leavers.csv has the columns of table Exit" in n for n in several.undecided)
    assert "period: {every: year, year_starts: january}" in several.text


IDS = st.lists(st.from_regex(r"[A-Z]{2}[0-9]{3}", fullmatch=True), min_size=2, max_size=12)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    people=IDS,
    visits=st.lists(st.tuples(st.integers(0, 11), st.integers(1, 28)), min_size=1, max_size=20),
    extra=st.lists(
        st.sampled_from(["", "x", "1", "2025-01-01", "AB1 2CD"]), min_size=20, max_size=20
    ),
)
def test_any_small_export_of_two_tables_gives_a_draft_that_passes_its_samples(
    tmp_path_factory: pytest.TempPathFactory,
    people: list[str],
    visits: list[tuple[int, int]],
    extra: list[str],
) -> None:
    folder = tmp_path_factory.mktemp("export")
    people = sorted(set(people))
    _write(
        folder / "people.csv",
        [{"person_id": p, "note": extra[i % 20]} for i, p in enumerate(people)],
    )
    _write(
        folder / "visits.csv",
        [
            {
                "visit_id": f"V{i}",
                "person_id": people[p % len(people)],
                "visit_date": f"2025-03-{d:02d}",
                "outcome": extra[(i + 7) % 20],
            }
            for i, (p, d) in enumerate(visits)
        ],
    )
    draft = infer_definition([folder / "people.csv", folder / "visits.csv"])
    definition = _load(folder, draft.text)
    assert [t.name for t in definition.tables] == ["people", "visits"]
    run = validate_returns([folder], definition)
    assert all(r.verdict["error"] == 0 for r in run.results), draft.text


def _load(folder: Path, text: str):  # type: ignore[no-untyped-def]
    path = folder / "draft.yaml"
    path.write_text(text, encoding="utf-8")
    return load_definition_file(path)


def test_workbooks_of_a_sheet_per_table_draft_the_tables_of_their_sheets(tmp_path: Path) -> None:
    """Returns sent as workbooks, a sheet per table (the template's, with its Codes and
    Guidance sheets): the sheets are the samples, and each workbook a return of its own."""
    import openpyxl

    runner = CliRunner()
    books = []
    for provider in ("nth", "est"):
        book_path = tmp_path / f"{provider}-2025-26.xlsx"
        made = runner.invoke(app, ["template", "cla-annual-return", "--output", str(book_path)])
        assert made.exit_code == 0, made.output
        book = openpyxl.load_workbook(book_path)
        for table in ("header", "episodes"):
            source = ROOT / "examples" / "cla" / f"{provider}-2025-26" / f"{table}.csv"
            with source.open(encoding="utf-8") as handle:
                for r, row in enumerate(list(csv.reader(handle))[1:], start=2):
                    for c, value in enumerate(row, start=1):
                        book[table].cell(row=r, column=c, value=value)
        book.save(book_path)
        books.append(book_path)
    draft = infer_definition(books)
    assert [t.name for t in draft.tables] == ["header", "episodes"]
    assert draft.files[0] == f"{books[0]} (sheet header)"
    assert sum("is taken for notes: left out" in n for n in draft.undecided) == 4
    assert draft.period is not None and draft.period[:2] == ("year", 4)
    definition = _load(tmp_path, draft.text)
    run = validate_returns(books, definition)  # each workbook a return: not one of four sheets
    assert [(Path(r.path).name, r.sheet) for r in run.results] == [
        ("nth-2025-26.xlsx", "header"),
        ("nth-2025-26.xlsx", "episodes"),
        ("est-2025-26.xlsx", "header"),
        ("est-2025-26.xlsx", "episodes"),
    ]
    assert all(r.verdict["error"] == 0 for r in run.results)


def _orders(text: str) -> set[tuple[str | None, str]]:
    """The date orders a definition's text checks, as (table, 'LATER >= EARLIER')."""
    import yaml

    found = set()
    for rule in yaml.safe_load(text).get("rules", []):
        compare = rule.get("check", {}).get("compare", "")
        later, op, earlier = [*compare.split(), "", "", ""][:3]
        if op in (">=", "<=") and "when" not in rule:
            pair = f"{later} >= {earlier}" if op == ">=" else f"{earlier} >= {later}"
            found.add((rule.get("table"), pair))
    return found


def test_the_draft_proposes_the_date_orders_the_samples_keep(tmp_path: Path) -> None:
    """On the examples, the draft's rules of one date on or after another include every such
    rule of the hand-written definitions: within a row, and (children looked after) with the
    row of another table its key finds."""
    hbyw = infer_definition(sorted((ROOT / "examples" / "hbyw").glob("*.csv")))
    hand = (ROOT / "definitions" / "hbyw-quarterly-return" / "1.0.yaml").read_text()
    wanted = {
        (None, p)
        for p in (
            "referral_date >= attendance_date",
            "first_contact_date >= referral_date",
            "closure_date >= first_contact_date",
            "closure_date >= referral_date",
        )
    }
    assert wanted <= _orders(hand)  # the hand-written definition's, without conditions
    assert wanted <= _orders(hbyw.text)
    assert "the samples keep it in" in hbyw.text
    _load(tmp_path, hbyw.text)
    cla = infer_definition(find_returns(ROOT / "examples" / "cla"))
    hand = (ROOT / "definitions" / "cla-annual-return" / "1.0.yaml").read_text()
    wanted = {("episodes", "DEC >= DECOM"), ("episodes", "DECOM >= header.DOB")}
    assert {p for _, p in wanted} <= {p for _, p in _orders(hand)}
    assert wanted <= _orders(cla.text)
    # an episode ends after the child's birth: implied by the two, DECOM always given
    assert ("episodes", "DEC >= header.DOB") not in _orders(cla.text)


def test_a_date_order_across_tables_finds_an_exit_before_its_entry(
    exports: Path, drafted: Path, tmp_path: Path
) -> None:
    text = drafted.read_text(encoding="utf-8")
    assert ("Exit", "ExitDate >= Enrollment.EntryDate") in _orders(text)
    broken = tmp_path / "proj-b"
    shutil.copytree(exports / "returns" / "proj-b", broken)
    exits = list(csv.reader((broken / "Exit.csv").open(encoding="utf-8")))
    exits[3][3] = "2001-01-01"  # line 4: an exit long before any entry
    with (broken / "Exit.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(exits)
    run = validate_returns([broken], load_definition_file(drafted))
    found = {(f.rule, f.line) for r in run.results for f in r.finding_objects()}
    assert ("Exit-ExitDate-on-or-after-Enrollment-EntryDate", 4) in found


@pytest.mark.parametrize("registered_always", [True, False])
def test_an_order_across_that_the_found_row_implies_is_left_out(
    tmp_path: Path, registered_always: bool
) -> None:
    """A stay starts after its person's registration, which is after the person's birth: the
    stay's start after the birth follows, and is left out, when the registration is always
    there; when a person's registration may be blank, nothing else says it, so it stays."""
    rng = random.Random(5)
    people, stays = [], []
    for i in range(40):
        born = date(1990, 1, 1) + timedelta(days=rng.randint(0, 5000))
        registered = born + timedelta(days=rng.randint(6000, 7000))
        blank = not registered_always and i % 5 == 0
        people.append(
            {"person_id": f"P{i:03d}", "born": born, "registered": "" if blank else registered}
        )
        for j in range(2):
            start = registered + timedelta(days=rng.randint(1, 300))
            stays.append({"stay_id": f"S{i:03d}{j}", "person_id": f"P{i:03d}", "started": start})
    _write(tmp_path / "returns" / "people.csv", people)
    _write(tmp_path / "returns" / "stays.csv", stays)
    draft = infer_definition(find_returns(tmp_path / "returns"))
    orders = _orders(draft.text)
    assert ("stays", "started >= people.registered") in orders
    assert ("people", "registered >= born") in orders
    assert (("stays", "started >= people.born") in orders) is not registered_always


@pytest.mark.parametrize(
    ("later", "wanted"),
    [
        ([f"2025-02-{d:02d}" for d in range(1, 29)], True),  # always after: a rule
        (["2025-01-01"] * 28, False),  # the same day: no order to keep
        ([f"2025-02-{d:02d}" for d in range(1, 20)], False),  # 19 rows: too few to tell
        ([f"2025-02-{d:02d}" for d in range(1, 28)] + ["2024-01-01"], False),  # 1 in 28 not
    ],
)
def test_a_date_order_is_proposed_when_the_samples_keep_it(
    tmp_path: Path, later: list[str], wanted: bool
) -> None:
    rows = "".join(f"R{i},2025-01-01,{day}\n" for i, day in enumerate(later))
    sample = tmp_path / "cases.csv"
    sample.write_text("case_id,opened,closed\n" + rows, encoding="utf-8")
    draft = infer_definition([sample])
    assert ((None, "closed >= opened") in _orders(draft.text)) is wanted
    assert (None, "opened >= closed") not in _orders(draft.text)


def test_orders_are_tried_among_the_first_forty_dates_of_a_table(tmp_path: Path) -> None:
    """Pairs grow as the square of the dates: a sample of hundreds of date columns would try
    tens of thousands of orders. Each column here is a day after the one before."""
    columns = 45
    rows = [
        ",".join(f"2025-{1 + (c // 28) % 12:02d}-{1 + c % 28:02d}" for c in range(r, r + columns))
        for r in range(25)
    ]
    sample = tmp_path / "wide.csv"
    sample.write_text(
        ",".join(f"d{c}" for c in range(columns)) + "\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    draft = infer_definition([sample])
    assert "45 dates: their orders were tried among the first 40 only" in draft.text
    orders = _orders(draft.text)
    assert (None, "d1 >= d0") in orders
    assert (None, "d39 >= d38") in orders
    assert not any("d40" in pair or "d44" in pair for _, pair in orders)


def test_the_draft_finds_when_a_field_is_required_as_the_hand_written_definition_says(
    tmp_path: Path,
) -> None:
    """On the HBYW examples: a closure date and reason when the case is closed, a risk level
    and needs when engaged, as the hand-written definition has them; a first contact (date
    and method) when consent was given, which in the examples is when the young person was
    contacted, the hand-written reason."""
    import yaml

    samples = sorted((ROOT / "examples" / "hbyw").glob("*.csv"))
    draft = infer_definition(samples)
    _load(tmp_path, draft.text)
    ours = {f["name"]: f.get("required_when") for f in yaml.safe_load(draft.text)["fields"]}
    hand = {
        f["name"]: f.get("required_when")
        for f in yaml.safe_load(
            (ROOT / "definitions" / "hbyw-quarterly-return" / "1.0.yaml").read_text()
        )["fields"]
    }

    def same(a: dict[str, object], b: dict[str, object]) -> bool:
        def norm(c: dict[str, object]) -> dict[str, object]:
            return {k: sorted(v) if isinstance(v, list) else v for k, v in c.items()}

        return norm(a) == norm(b)

    for name in ("closure_date", "closure_reason", "initial_risk_level", "needs_identified"):
        assert same(ours[name], hand[name]), (name, ours[name], hand[name])
    for name in ("first_contact_date", "first_contact_method"):
        assert ours[name] == {"field": "consent_status", "equals": "CONSENTED"}
    rows = [r for p in samples for r in csv.DictReader(p.open(encoding="utf-8"))]
    assert all(
        (r["consent_status"] == "CONSENTED") == (r["engagement_status"] != "NOT_CONTACTED")
        for r in rows
    )
    assert "required when: filled in 404 of the 404 rows" in draft.text


@pytest.mark.parametrize(
    ("rows", "noise", "wanted"),
    [
        (40, 0, "{field: status, equals: CLOSED}"),
        (40, 1, None),  # filled in 39 of 40 closed rows: under 99%
        (19, 0, None),  # 19 closed rows: too few to tell
        (300, 2, "{field: status, equals: CLOSED}"),  # 298 of 300: a rule, with findings
    ],
)
def test_required_when_is_proposed_when_the_samples_show_it(
    tmp_path: Path, rows: int, noise: int, wanted: str | None
) -> None:
    lines = ["case_id,status,closed_on"]
    for i in range(rows):
        closed = "" if i < noise else f"2025-0{1 + i % 9}-1{i % 10}"
        lines += [f"C{i},CLOSED,{closed}", f"O{i},OPEN,"]
    sample = tmp_path / "cases.csv"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    draft = infer_definition([sample])
    found = draft.named("closed_on").required_when
    assert (found[0] if found else None) == wanted
    # the samples' own blanks where it is required are findings, covered by a tolerance
    assert (draft.named("closed_on").tolerance is not None) == bool(wanted and noise)
    _load(tmp_path, draft.text)


@settings(max_examples=200, deadline=None)
@given(
    samples=st.lists(
        st.tuples(
            st.sampled_from(["Client", "client", "Exit", "visits", "2025 data", "a-b", "_x"]),
            st.sets(st.sampled_from(list("abcdefgh")), min_size=1),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_samples_group_into_tables_a_definition_can_name(
    samples: list[tuple[str, set[str]]],
) -> None:
    """Every sample is in one table; samples of one name, or much the same columns, in the
    same one; each table's name is one a definition takes, and unlike the others'."""
    from lp_audit.definitions.model import NAME_RE
    from lp_audit.drafting.model import Source
    from lp_audit.drafting.tables import SAME_TABLE, group

    sources = [Source(f"r{i}/{stem}.csv") for i, (stem, _) in enumerate(samples)]
    tables, notes = group(sources, [sorted(c) for _, c in samples])
    table_of = {i: t.name for t in tables for i in t.samples}
    assert sorted(table_of) == list(range(len(samples)))
    assert sum(len(t.samples) for t in tables) == len(samples)
    for i, (stem, columns) in enumerate(samples):
        for j, (other, theirs) in enumerate(samples):
            if stem.lower() == other.lower() or len(columns & theirs) >= SAME_TABLE * len(
                columns | theirs
            ):
                assert table_of[i] == table_of[j]
    names = [t.name for t in tables]
    assert all(NAME_RE.match(n) for n in names)
    assert len({n.lower() for n in names}) == len(names)
    for t in tables:  # a table named otherwise than its files says which name they have
        stems = {samples[i][0].lower() for i in t.samples}
        assert (t.file or t.name).lower() in stems
        assert (len(stems) > 1) == any(f"of table {t.name} " in n for n in notes)


#: mostly clean rows, so that the draft proposes its rules (in about half the examples each),
#: with every kind of noise now and then
NOISE = st.sampled_from(["ok"] * 60 + ["blank", "early", "bad", "excel"])


@settings(max_examples=20, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["OPEN", "CLOSED", "CLOSED", "closed", "PAUSED", ""]),
            st.integers(1, 60),  # days from opening to closing
            NOISE,
        ),
        min_size=40,
        max_size=120,
    )
)
def test_any_sample_with_orders_and_reasons_validates_against_its_draft(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, int, str]]
) -> None:
    """Whatever order, reason and noise the rows have (blanks, a closing before the opening, a
    date that is no date, another date form), the draft's rules and required_when leave the
    samples with no error: what they break is a finding within a tolerance."""
    folder = tmp_path_factory.mktemp("orders")
    lines = ["case_id,status,opened,closed"]
    for i, (status, days, noise) in enumerate(rows):
        opened = date(2025, 1, 1) + timedelta(days=i % 90)
        closed = (opened + timedelta(days=days)).isoformat() if status.upper() == "CLOSED" else ""
        closed = (
            {
                "blank": "",
                "early": (opened - timedelta(days=3)).isoformat(),
                "bad": "2025-02-30",
                "excel": opened.strftime("%d/%m/%Y"),
            }.get(noise, closed)
            if noise != "ok" and status.upper() == "CLOSED"
            else closed
        )
        lines.append(f"C{i},{status},{opened.isoformat()},{closed}")
    sample = folder / "cases.csv"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    draft = infer_definition([sample])
    definition = _load(folder, draft.text)
    run = validate_returns([sample], definition)
    assert [r.verdict["error"] for r in run.results] == [0], draft.text
    event(f"order proposed: {'on-or-after' in draft.text}")
    event(f"required_when proposed: {'required_when: {' in draft.text}")


def test_two_files_of_one_table_in_a_folder_are_checked_apart(tmp_path: Path) -> None:
    """client.csv beside Client.csv (one table, two returns' worth): checking the samples
    against the draft took the folder for one return and stopped, 'both table Client'."""
    (tmp_path / "client.csv").write_text("person_id,age\nA1,3\nA2,4\n", encoding="utf-8")
    (tmp_path / "Client.csv").write_text("person_id,age\nA3,3\nA4,4\n", encoding="utf-8")
    if len(list(tmp_path.iterdir())) < 2:
        pytest.skip("a file system that does not tell client.csv from Client.csv")
    (tmp_path / "visits.csv").write_text("visit_id,person_id\nV1,A1\n", encoding="utf-8")
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["definitions", "infer", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [t.name for t in load_definition_file(out).tables] == ["Client", "visits"]


def test_a_workbook_of_notes_alone_is_one_line_and_no_draft(tmp_path: Path) -> None:
    """Every sheet left out (notes, or not a table): a draft of no fields was written."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Send the return by the 15th."])
    book.create_sheet("Lookup").append(["one column"])
    path = tmp_path / "notes.xlsx"
    book.save(path)
    out = tmp_path / "draft.yaml"
    result = CliRunner().invoke(app, ["definitions", "infer", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {path}: no sheet is a table of column names and rows: Notes (notes), "
        "Lookup (not two columns and a row) left out"
    ]
    assert not out.exists()
