"""Hostile values and labels are inert in every output format: no raw escapes, formulas or markup."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.cli import app
from lp_audit.reports.formats import FORMATS
from lp_audit.synthetic import make_return

ANSI = "\x1b[31mRED\x1b[0m"
FORMULA = '=HYPERLINK("http://x","y")'
PIPE = "a|b\nc"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame, _ = make_return(12, seed=91)
    frame.loc[1, "referral_source"] = ANSI  # invalid codes: their values are shown
    frame.loc[2, "referral_source"] = FORMULA
    frame.loc[3, "referral_source"] = PIPE
    frame["<b>extra</b>" + ANSI] = "x"  # an unknown column whose header is echoed
    path = tmp_path_factory.mktemp("hostile") / "return.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_validate_format_neutralises_hostile_values(hostile: Path, fmt: str) -> None:
    output = CliRunner().invoke(app, ["validate", str(hostile), "--format", fmt]).stdout
    if fmt == "json":
        values = {f["value"] for f in json.loads(output)["returns"][0]["findings"]}
        assert {ANSI, FORMULA, PIPE} <= values  # faithful data for machines, escaped by JSON
        assert "\x1b" not in output
        return
    assert "\x1b" not in output  # no raw terminal escape in any text format
    if fmt == "csv":
        cells = [cell for row in csv.reader(io.StringIO(output)) for cell in row]
        assert "'" + FORMULA in cells and FORMULA not in cells
        assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    if fmt == "markdown":
        for line in output.splitlines():
            if line.startswith(("| error", "| warning")):
                assert line.replace("\\|", "").count("|") == 7  # six cells, none broken
        assert "<b>" not in output
    if fmt == "junit":
        ET.fromstring(output)  # still well-formed XML
    if fmt == "github":
        assert all(line.startswith(("::error ", "::warning ")) for line in output.splitlines())


def test_audit_text_and_reports_neutralise_hostile_values(hostile: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["audit", str(hostile.parent)]).stdout
    assert "\x1b" not in text
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    for out in (html, markdown):
        runner.invoke(app, ["audit", str(hostile.parent), "--report", str(out), "--no-suppression"])
    assert "<b>extra" not in html.read_text() and "\x1b" not in html.read_text()
    assert "<b>" not in markdown.read_text()


def test_a_provider_name_with_markup_stays_text_in_every_chart(tmp_path: Path) -> None:
    """Charts keep their text as SVG text: matplotlib's writer must escape it like the page."""
    import shutil

    folder = tmp_path / "returns"
    shutil.copytree(Path(__file__).parents[1] / "examples" / "hbyw", folder)
    config = folder / "lp-audit.yaml"
    hostile_name = '<img src=x onerror="alert(1)"> & Co'
    config.write_text(
        config.read_text().replace("RTH: Redthread", f"RTH: '{hostile_name}'"), encoding="utf-8"
    )
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["audit", str(folder), "--report", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<img" not in html
    charts = html.split("<svg")[1:]
    escaped = '&lt;img src=x onerror="alert(1)"&gt; &amp; Co'
    assert len(charts) >= 3 and sum(escaped in chart for chart in charts) >= 2
