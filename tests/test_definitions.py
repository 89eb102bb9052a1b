"""The definition format: the bundled HBYW definitions and the definition checker."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import FUZZ_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from lp_audit import DefinitionError, load_definition
from lp_audit.cli import app
from lp_audit.definitions import list_definitions, load_definition_file
from lp_audit.periods import Period

DEFINITIONS = Path(__file__).resolve().parents[1] / "definitions"

HBYW = "hbyw-quarterly-return"


def test_bundled_definitions_are_listed_with_versions_and_periods() -> None:
    infos = {i.ref: i for i in list_definitions()}
    assert set(infos) == {f"{HBYW}@1.0", f"{HBYW}@2.0", "cla-annual-return@1.0"}
    assert str(infos[f"{HBYW}@1.0"].in_force_from) == "2025-26 Q1"
    assert str(infos[f"{HBYW}@1.0"].in_force_to) == "2026-27 Q4"
    assert str(infos[f"{HBYW}@2.0"].in_force_from) == "2027-28 Q1"
    assert infos["cla-annual-return@1.0"].in_force_from is None  # any year


def test_hbyw_1_0_has_every_field_of_the_specification() -> None:
    d = load_definition(f"{HBYW}@1.0")
    assert len(d.fields) == 29
    assert d.field_names[:5] == (
        "return_period",
        "provider_code",
        "site_code",
        "referral_id",
        "person_id",
    )
    assert d.field_names[-1] == "notes"
    sensitive = {f.name for f in d.fields if f.sensitive}
    assert sensitive == {"person_id", "nhs_number", "postcode_district", "notes"}


def test_hbyw_1_0_codes_labels_and_unknown_codes() -> None:
    d = load_definition(f"{HBYW}@1.0")
    ethnicity = d.field("ethnicity")
    assert ethnicity.valid_codes == tuple("ABCDEFGHJKLMNPRS")
    assert ethnicity.unknown_codes == ("Z", "99")
    assert ethnicity.code_label("N") == "Black or Black British - African"
    assert d.field("gender").unknown_codes == ("X",)
    assert d.field("gender").normalise == ("case", "leading_zeros")
    assert len(d.field("home_la").valid_codes) == 34  # 33 London boroughs and OUT
    assert d.field("home_la").code_label("E09000028") == "Southwark"
    assert d.field("site_code").code_label("NUH") == "Newham (trust R1H)"
    assert d.field("needs_identified").exclusive_codes == ("NONE_IDENTIFIED",)
    assert "Ethnic category" in d.field("ethnicity").aliases


def test_hbyw_1_0_constraints_rules_and_severities() -> None:
    d = load_definition(f"{HBYW}@1.0")
    age = d.field("age_at_referral").constraints
    assert [(c.minimum, c.maximum, c.severity) for c in age] == [
        (5, 30, "error"),
        (10, 25, "warning"),
    ]
    nhs = d.field("nhs_number")
    assert [c.kind for c in nhs.constraints] == ["pattern", "check_digit", "pattern"]
    assert nhs.constraints[2].severity == "warning" and nhs.ignore_spaces
    rules = {r.id: r for r in d.rules}
    assert rules["first-contact-within-14-days"].severity == "warning"
    check = rules["first-contact-within-14-days"].check
    assert (check.shift, check.unit) == (14, "days")  # type: ignore[union-attr]
    assert d.field("injury_mechanism").status == "conditional"
    assert {r.id: r.kind for r in d.return_rules} == {
        "referral-id-unique": "unique",
        "possible-double-count": "duplicate",
    }


def test_hbyw_2_0_differs_from_1_0_exactly_as_specified() -> None:
    old = load_definition(f"{HBYW}@1.0")
    new = load_definition(f"{HBYW}@2.0")
    assert set(old.field_names) - set(new.field_names) == {
        "gender",
        "postcode_district",
        "contacts_count",
    }
    assert set(new.field_names) - set(old.field_names) == {
        "gender_identity",
        "injury_mechanism_other",
        "reattendance_12m",
        "contacts",
    }
    assert new.field("gender_identity").valid_codes == ("1", "2", "3", "4")
    assert new.field("gender_identity").unknown_codes == ("X", "Z")
    assert new.field("injury_mechanism").code_label("STRANGULATION") == "Strangulation"
    assert new.field("injury_mechanism_other").sensitive
    assert new.field("reattendance_12m").required
    assert "contacts_count" in new.field("contacts").aliases
    rule = next(r for r in new.rules if r.id == "contacts-zero-when-not-contacted")
    assert "contacts" in rule.fields
    unchanged = [
        f for f in old.fields if f.name in new.field_names and f.name != "injury_mechanism"
    ]
    assert all(new.field(f.name) == f for f in unchanged)


def test_default_version_is_the_one_in_force_for_the_period() -> None:
    assert load_definition(HBYW, period=Period.parse("2025-26 Q3")).version == "1.0"
    assert load_definition(HBYW, period=Period.parse("2028-29 Q1")).version == "2.0"


GOOD_HEAD = """\
name: demo
version: "1.0"
title: Demo
fields:
  - name: status
    label: Status
    type: code
    codes: {OPEN: Open, CLOSED: Closed}
  - name: start_date
    label: Start date
    type: date
"""

BROKEN = {
    "yaml-syntax": ("name: demo\nversion: [1.0\n", 3, "YAML syntax error"),
    "python-tag": ("name: !!python/object:os.system {}\n", 1, "tag"),
    "alias-bomb": (
        'a: &a ["x","x","x"]\nb: &b [*a,*a,*a]\nc: [*b,*b,*b]\n',
        1,
        "anchors (&a) are not allowed",
    ),
    "unknown-key": (GOOD_HEAD + "    requried: true\n", 12, "did you mean 'required'?"),
    "unknown-type": (GOOD_HEAD.replace("type: date", "type: datetime"), 11, "did you mean 'date'?"),
    "rule-on-missing-field": (
        GOOD_HEAD
        + "rules:\n  - id: r1\n    message: m\n    check: {compare: end_date >= start_date}\n",
        13,
        "'end_date' that does not exist",
    ),
    "undefined-code": (
        GOOD_HEAD
        + "rules:\n  - id: r1\n    message: m\n    check: {field: status, equals: SHUT}\n",
        13,
        "'SHUT' is not a code of status",
    ),
    "bad-regex": (
        GOOD_HEAD + "    constraints:\n      - pattern: '([a-z'\n",
        13,
        "invalid regular expression",
    ),
    "duplicate-field": (
        GOOD_HEAD + "  - name: status\n    label: Again\n    type: text\n",
        12,
        "defined twice",
    ),
    "missing-version-chain": (
        'name: demo\nversion: "2.0"\nextends: "1.0"\ntitle: Demo\n',
        3,
        "cannot find demo version '1.0'",
    ),
    "bad-compare": (
        GOOD_HEAD
        + "rules:\n  - id: r1\n    message: m\n    check: {compare: start_date after today}\n",
        15,
        "cannot read the comparison",
    ),
    "duplicate-key": ("name: demo\nname: again\n", 2, "appears twice"),
    "not-a-mapping": ("- just\n- a list\n", 1, "expected a mapping"),
    "bad-severity": (
        GOOD_HEAD
        + "rules:\n  - id: r1\n    severity: fatal\n    message: m\n    check: {field: status, blank: true}\n",
        14,
        "severity must be error or warning",
    ),
    "code-without-codes": (
        GOOD_HEAD + "  - name: kind\n    label: Kind\n    type: code\n",
        12,
        "no codes",
    ),
    "empty-file": ("", None, "the file is empty"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_definition_gets_a_precise_located_message(case: str, tmp_path: Path) -> None:
    text, line, expected = BROKEN[case]
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as info:
        load_definition_file(path)
    messages = [str(p) for p in info.value.problems]
    match = [p for p in info.value.problems if expected in p.message]
    assert match, messages
    assert match[0].line == line, messages
    assert str(match[0]).startswith(f"{path}:{line}:" if line else f"{path}:")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD_HEAD.replace("type: date", "type: dat") + "    colour: red\n"
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as info:
        load_definition_file(path)
    assert len(info.value.problems) == 2


def test_definitions_check_cli_prints_problems_and_exits_2(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN["python-tag"][0])
    result = runner.invoke(app, ["definitions", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:1:" in result.output
    assert "Traceback" not in result.output


def test_definitions_check_cli_passes_bundled_definitions(runner) -> None:  # type: ignore[no-untyped-def]
    from lp_audit.definitions import bundled_definitions_dir

    result = runner.invoke(app, ["definitions", "check", str(bundled_definitions_dir())])
    assert result.exit_code == 0, result.output


def test_definitions_show_and_list(runner) -> None:  # type: ignore[no-untyped-def]
    shown = runner.invoke(app, ["definitions", "show", f"{HBYW}@2.0"])
    assert shown.exit_code == 0
    assert "gender_identity" in shown.output and "reattendance_12m" in shown.output
    listed = runner.invoke(app, ["definitions", "list"])
    assert "2027-28 Q1" in listed.output


def test_unknown_definition_name_suggests_the_right_one(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["definitions", "show", "hbyw-quartely-return"])
    assert result.exit_code == 2
    assert "Did you mean 'hbyw-quarterly-return'" in result.output


def test_definition_extending_another_resolves_renames_in_rules(tmp_path: Path) -> None:
    (tmp_path / "1.yaml").write_text(
        GOOD_HEAD + "rules:\n  - id: r1\n    message: m\n    check: {field: status, blank: false}\n"
    )
    (tmp_path / "2.yaml").write_text(
        textwrap.dedent(
            """\
            name: demo
            version: "2.0"
            extends: "1.0"
            title: Demo 2
            changes:
              rename_fields: {status: state}
            """
        )
    )
    d = load_definition_file(tmp_path / "2.yaml")
    assert d.field_names == ("state", "start_date")
    assert d.rules[0].fields == ("state",)


def test_versions_extending_each_other_in_a_loop_are_refused(tmp_path: Path) -> None:
    for version, base in (("1.0", "2.0"), ("2.0", "1.0")):
        (tmp_path / f"{version}.yaml").write_text(
            f'name: demo\nversion: "{version}"\nextends: "{base}"\ntitle: Demo\n'
            "changes:\n  remove_fields: []\n"
        )
    for version in ("1.0", "2.0"):  # whichever is loaded first, and again (nothing cached)
        for _ in range(2):
            with pytest.raises(DefinitionError, match="extend each other in a loop"):
                load_definition_file(tmp_path / f"{version}.yaml")


def test_a_base_loaded_for_its_extension_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lp_audit.definitions.registry as definitions

    parsed: list[str] = []
    load_located = definitions.load_located
    monkeypatch.setattr(
        definitions, "load_located", lambda text: parsed.append(text) or load_located(text)
    )
    (tmp_path / "1.yaml").write_text(GOOD_HEAD)
    (tmp_path / "2.yaml").write_text(
        'name: demo\nversion: "2.0"\nextends: "1.0"\ntitle: Demo 2\n'
        "changes:\n  remove_fields: [start_date]\n"
    )
    head = load_definition_file(tmp_path / "2.yaml")
    before = len(parsed)
    assert GOOD_HEAD in parsed  # the base was parsed for the version that extends it...
    base = load_definition_file(tmp_path / "1.yaml")
    assert len(parsed) == before  # ...and not again when asked for
    assert head.field_names == ("status",) and base.field_names == ("status", "start_date")
    (tmp_path / "1.yaml").write_text(GOOD_HEAD.replace("title: Demo", "title: Demo, edited"))
    assert load_definition_file(tmp_path / "1.yaml").title == "Demo, edited"


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_definitions_through_the_cli_exit_2_without_traceback(
    runner,  # type: ignore[no-untyped-def]
    case: str,
    tmp_path: Path,
) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text(BROKEN[case][0])
    result = runner.invoke(app, ["definitions", "check", str(path)])
    assert result.exit_code == 2
    assert BROKEN[case][2] in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_compare_flag_defaults_to_true_and_must_be_a_boolean(tmp_path: Path) -> None:
    d = load_definition(f"{HBYW}@1.0")
    assert d.field("site_code").compare is False
    assert d.field("ethnicity").compare is True
    path = tmp_path / "demo.yaml"
    path.write_text(GOOD_HEAD + "    compare: maybe\n")
    with pytest.raises(DefinitionError) as info:
        load_definition_file(path)
    assert "expected true or false" in str(info.value)


yaml_text = st.text(alphabet=list("abcdefgnrstuvy:-_ \n'\"{}[],&*!|>#@%0123456789."), max_size=300)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(head=yaml_text, tail=yaml_text)
def test_definition_loader_never_fails_except_with_definition_error(
    tmp_path_factory: pytest.TempPathFactory, head: str, tail: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "def.yaml"
    path.write_text(head + GOOD_HEAD + tail)
    try:
        load_definition_file(path)
    except DefinitionError as exc:
        assert exc.problems and all(str(p).startswith(str(path)) for p in exc.problems)


@pytest.mark.parametrize(
    "text",
    [pytest.param(BROKEN[case][0], id=case) for case in sorted(BROKEN)]
    + [pytest.param(p.read_text(), id=p.name) for p in sorted(DEFINITIONS.glob("*/*.yaml"))]
    + [pytest.param("a: 1\n  b: 2\n", id="bad-indent"), pytest.param("a: '\n", id="open-quote")],
)
def test_libyaml_and_python_yaml_read_definitions_alike(text: str) -> None:
    from lp_audit.definitions import located as _yaml

    def outcome(loader: type) -> object:
        saved = _yaml._Loader
        _yaml._Loader = loader
        try:
            located = _yaml.load_located(text)
        except _yaml.YamlProblem as exc:
            # libyaml and PyYAML word syntax errors differently; the line is what matters
            return ("problem", exc.line, exc.message.split(":")[0])
        finally:
            _yaml._Loader = saved
        return (located.data, located.lines)

    assert _yaml._Loader is not _yaml._NoAliasLoader  # libyaml is what runs here
    assert outcome(_yaml._Loader) == outcome(_yaml._NoAliasLoader)


def test_check_definitions_is_the_library_behind_definitions_check(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lp_audit.cli import app
    from lp_audit.definitions import check_definitions

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\nfields:\n  - name: a\n    type: colour\n")
    checks = check_definitions([DEFINITIONS, bad, tmp_path / "missing.yaml"])
    bundled = len(list(DEFINITIONS.glob("*/*.yaml")))
    assert [c.ok for c in checks] == [True] * bundled + [False, False]
    assert all(str(p).startswith(str(bad)) for p in checks[-2].problems)
    assert "no such definition file" in str(checks[-1].problems[0])
    result = CliRunner().invoke(app, ["definitions", "check", str(DEFINITIONS), str(bad)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [str(p) for c in checks[:-1] for p in c.problems]


def test_describe_definition_is_the_library_behind_definitions_show() -> None:
    from typer.testing import CliRunner

    from lp_audit import load_definition
    from lp_audit.cli import app
    from lp_audit.documents import describe_definition

    summary = describe_definition(load_definition("hbyw-quarterly-return@1.0"))
    assert summary.ref == "hbyw-quarterly-return@1.0" and len(summary.fields) == 29
    nhs = next(f for f in summary.fields if f.name == "nhs_number")
    assert nhs.sensitive
    period = summary.fields[0]
    assert "Q[1-4]" in period.rules  # a pattern's brackets are text, not terminal markup
    result = CliRunner().invoke(
        app, ["definitions", "show", "hbyw-quarterly-return@1.0"], env={"COLUMNS": "200"}
    )
    assert "Q[1-4]" in result.stdout
    assert (
        f"{summary.rules} cross-field rules, {summary.return_rules} return rules" in result.stdout
    )


SPEC_STYLE = """name: children-looked-after
version: "1"
title: Children looked after (an excerpt)
fields:
  - {name: CHILD, label: Child ID, type: text, required: true}
  - {name: SEX, label: Sex, type: code, codes: ["1", "2"], required: true}
  - {name: HOME_POST, label: Home postcode, type: text}
  - {name: PL_POST, label: Placement postcode, type: text}
rules:
  - id: "178"
    message: The placement postcode is the same as the home postcode.
    check: {compare: HOME_POST != PL_POST}
"""


def test_a_definition_can_be_written_as_a_specification_writes_it(tmp_path: Path) -> None:
    """Upper-case field names matched exactly (no alias warning), rule ids as numbered, codes
    as a list without labels, and text fields compared with != (issue: real returns)."""
    from lp_audit import validate_return

    path = tmp_path / "cla.yaml"
    path.write_text(SPEC_STYLE)
    definition = load_definition_file(path)
    assert definition.field_names == ("CHILD", "SEX", "HOME_POST", "PL_POST")
    assert [c.label for c in definition.field("SEX").codes] == ["1", "2"]
    data = tmp_path / "cla.csv"
    data.write_text("CHILD,SEX,HOME_POST,PL_POST\nC1,1,AB1,AB1\nC2,3,AB1,CD2\nC3,2,,CD2\n")
    result = validate_return(data, definition)
    found = {(f.code, f.line, f.rule) for f in result.finding_objects()}
    assert found == {("rule-failed", 2, "178"), ("invalid-code", 3, None)}
    messages = " ".join(result.findings["message"])
    assert "Use one of: 1, 2." in messages and "1 1" not in messages


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("name: CHILD", "name: 9CHILD"),
            "'9CHILD' cannot be a field name: it starts with a letter",
        ),
        (('id: "178"', 'id: "17 8"'), "'17 8' cannot be a rule id"),
        (
            ("HOME_POST != PL_POST", "HOME_POST < PL_POST"),
            "cannot compare Home postcode is before Placement postcode: a compare takes two numbers",
        ),
    ],
)
def test_a_specification_style_mistake_says_what_is_allowed(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "cla.yaml"
    path.write_text(SPEC_STYLE.replace(*edit))
    with pytest.raises(DefinitionError) as caught:
        load_definition_file(path)
    assert any(expected in str(p) for p in caught.value.problems), caught.value.problems


def test_a_compare_can_name_a_date(tmp_path: Path) -> None:
    """'episodes that start before 2015-04-01 are out of scope': a date literal in a compare."""
    from lp_audit import validate_return

    text = SPEC_STYLE.replace(
        "  - {name: PL_POST, label: Placement postcode, type: text}\n",
        "  - {name: PL_POST, label: Placement postcode, type: text}\n"
        "  - {name: DECOM, label: Date episode commenced, type: date}\n",
    ) + (
        '  - id: "103"\n    message: The episode started before 1 April 2015.\n'
        "    check: {compare: DECOM >= 2015-04-01}\n"
    )
    path = tmp_path / "cla.yaml"
    path.write_text(text)
    definition = load_definition_file(path)
    data = tmp_path / "cla.csv"
    data.write_text("CHILD,SEX,HOME_POST,PL_POST,DECOM\nC1,1,A,B,2015-03-31\nC2,1,A,B,2015-04-01\n")
    found = [(f.rule, f.line) for f in validate_return(data, definition).finding_objects()]
    assert found == [("103", 2)]
    path.write_text(text.replace("2015-04-01}", "2015-02-30}"))
    with pytest.raises(DefinitionError, match="'2015-02-30' is not a real date"):
        load_definition_file(path)
