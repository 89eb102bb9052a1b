"""Privacy as a property: values of sensitive fields never reach any output of any command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.definitions import load_definition
from lp_audit.reports.formats import FORMATS
from lp_audit.synthetic import make_return

SENSITIVE = [f.name for f in load_definition("hbyw-quarterly-return@1.0").fields if f.sensitive]
marker = st.text(alphabet="QWXZJK", min_size=6, max_size=10).map(lambda s: f"M{s}")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    markers=st.lists(marker, min_size=len(SENSITIVE), max_size=len(SENSITIVE), unique=True),
    defects=st.integers(0, 8),
    seed=st.integers(0, 1000),
)
def test_no_output_contains_a_sensitive_value(
    tmp_path_factory: pytest.TempPathFactory, markers: list[str], defects: int, seed: int
) -> None:
    folder = tmp_path_factory.mktemp("returns")
    for i, provider in enumerate(("RTH", "SGT")):
        frame, _ = make_return(15, provider=provider, seed=seed + i, defects=defects)
        for name, value in zip(SENSITIVE, markers, strict=True):
            frame.loc[i::3, name] = value  # planted in some rows: valid or not, they must not leak
        frame.to_csv(folder / f"{provider.lower()}.csv", index=False)
    runner = CliRunner()
    outputs = []
    for fmt in FORMATS:
        outputs.append(
            runner.invoke(
                app, ["validate", *map(str, sorted(folder.glob("*.csv"))), "--format", fmt]
            ).output
        )
    outputs.append(runner.invoke(app, ["audit", str(folder)]).output)
    audit_json = runner.invoke(app, ["audit", str(folder), "--format", "json"]).stdout
    json.loads(audit_json)
    outputs.append(audit_json)
    feedback = folder.parent / "feedback.xlsx"
    runner.invoke(
        app, ["validate", str(folder / "rth.csv"), "--format", "xlsx", "--output", str(feedback)]
    )
    from openpyxl import load_workbook

    book = load_workbook(feedback)
    outputs.append(
        "\n".join(
            f"{cell.value} {cell.comment.text if cell.comment else ''}"
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
        )
    )
    for report in ("r.html", "r.md"):
        target = folder.parent / report
        runner.invoke(app, ["audit", str(folder), "--report", str(target), "--no-suppression"])
        outputs.append(target.read_text())
    for text in outputs:
        for value in markers:
            assert value not in text


def test_markers_would_be_found_if_they_leaked(tmp_path: Path) -> None:
    """The property above can fail: a non-sensitive field's values do appear."""
    frame, _ = make_return(5, seed=1)
    frame.loc[0, "ethnicity"] = "MQWXZJKQ"
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    output = CliRunner().invoke(app, ["validate", str(path), "--format", "json"]).stdout
    assert "MQWXZJKQ" in output


@settings(max_examples=200, deadline=None)
@given(
    markers=st.lists(marker, min_size=len(SENSITIVE), max_size=len(SENSITIVE), unique=True),
    defects=st.integers(0, 4),
    seed=st.integers(0, 10_000),
    rows=st.integers(1, 8),
)
def test_no_validation_output_contains_a_sensitive_value(
    markers: list[str], defects: int, seed: int, rows: int
) -> None:
    """The fast half of the property, run 200 times: every validate format, through the library."""
    from lp_audit.reports.formats import render, to_text
    from lp_audit.validation import validate_return

    frame, _ = make_return(rows + 1, seed=seed, defects=min(defects, rows))
    for name, value in zip(SENSITIVE, markers, strict=True):
        frame.loc[seed % (rows + 1), name] = value
        frame.loc[0, name] = value[:3] + " " + value  # also in an invalid form
    result = validate_return(frame, "hbyw-quarterly-return@1.0")
    outputs = [render([result], fmt) for fmt in FORMATS if fmt != "text"] + [to_text([result])]
    outputs.append(repr(result.findings.to_dict("records")))
    for text in outputs:
        for value in markers:
            assert value not in text


def test_no_output_of_a_return_of_several_tables_contains_a_sensitive_value(
    tmp_path: Path,
) -> None:
    """The second bundled definition's sensitive fields (the child, dates of birth, pupil
    numbers, postcodes), planted in the examples' tables, reach no output of validate, of the
    audit of tables, or of its report."""
    import csv
    import shutil

    cla = load_definition("cla-annual-return")
    sensitive = {f.name for f in cla.fields if f.sensitive}
    assert sensitive >= {"CHILD", "DOB", "UPN", "HOME_POST"}
    folder = tmp_path / "cla"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "cla", folder)
    planted = []
    for path in sorted(folder.glob("*/*.csv")):
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        for column, name in enumerate(header):
            if name in sensitive:
                for number, row in enumerate(rows[1:4], start=1):
                    marker = f"MQZ{len(planted):04d}K"
                    planted.append(marker)
                    row[column] = marker if number != 2 else f"{marker[:3]} {marker}"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    runner = CliRunner()
    outputs = [
        runner.invoke(
            app, ["validate", *map(str, sorted(folder.glob("*-*/"))), "--format", fmt]
        ).output
        for fmt in FORMATS
    ]
    outputs.append(runner.invoke(app, ["audit", str(folder)]).output)
    outputs.append(runner.invoke(app, ["audit", str(folder), "--format", "json"]).stdout)
    for report in ("r.html", "r.md"):
        target = tmp_path / report
        made = runner.invoke(
            app, ["audit", str(folder), "--report", str(target), "--no-suppression"]
        )
        assert made.exit_code == 0, made.output
        outputs.append(target.read_text(encoding="utf-8"))
    assert any("rule-failed" in text or "Rule not met" in text for text in outputs)
    for text in outputs:
        for value in planted:
            assert value not in text, value
