"""The variance report: golden files, escaping, disclosure control, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.audit import audit
from lp_audit.cli import app
from lp_audit.config import AuditConfig
from lp_audit.definitions import load_definition
from lp_audit.report import build_context, render_report
from lp_audit.synthetic import make_return

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "hbyw"
ARTIFACTS = ROOT / "test-artifacts"
DEFINITION = load_definition("hbyw-quarterly-return@1.0")


@pytest.fixture(scope="module")
def examples_audit():  # type: ignore[no-untyped-def]
    import datetime as dt

    return audit(EXAMPLES, today=dt.date(2026, 1, 1))


def test_report_html_matches_golden(examples_audit, golden: Callable[[str, str], None]) -> None:  # type: ignore[no-untyped-def]
    golden("examples-report.html", render_report(examples_audit, DEFINITION, "html", charts=False))


def test_report_markdown_matches_golden(examples_audit, golden: Callable[[str, str], None]) -> None:  # type: ignore[no-untyped-def]
    golden("examples-report.md", render_report(examples_audit, DEFINITION, "markdown"))


def test_report_is_self_contained_and_reproducible(examples_audit) -> None:  # type: ignore[no-untyped-def]
    first = render_report(examples_audit, DEFINITION)
    second = render_report(examples_audit, DEFINITION)
    assert first == second
    assert first.count("<svg") >= 3
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", first)
    assert "@import" not in first and "<script" not in first


def _tiny_returns(folder: Path, marker: str | None = None) -> None:
    for seed, provider in enumerate(("RTH", "SGT", "OAS"), start=1):
        frame, _ = make_return(14, provider=provider, seed=40 + seed, defects=2)
        frame.loc[0:2, "ethnicity"] = "99"
        if marker is not None and provider == "OAS":
            frame.loc[:, "provider_code"] = marker
        frame.to_csv(folder / f"{provider.lower()}.csv", index=False)


def test_values_are_rendered_as_text_not_markup(tmp_path: Path) -> None:
    _tiny_returns(tmp_path, marker="<script>alert(1)</script>")
    names = {"RTH": "<img src=x onerror=alert(2)>", "SGT": "{{ 7*7 }} | pipe\nnewline"}
    result = audit(tmp_path, config=AuditConfig(providers=names))
    html = render_report(result, DEFINITION)
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html
    markdown = render_report(result, DEFINITION, "markdown")
    assert "<img" not in markdown and "<script" not in markdown
    assert "\\| pipe newline" in markdown
    for line in markdown.splitlines():
        if line.startswith("| ") and "SGT" not in line:
            assert line.count(" | ") == line.replace("\\|", "").count(" | ")


def _all_cells(context) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    tables = [context.scores, context.drift, context.acknowledged, *context.categories]
    tables += [f.table for f in context.funnels]
    tables += [t for p in context.providers for t in (p.capture, p.findings)]
    if context.heatmap:
        tables.append(context.heatmap.table)
    return [(t.id, row) for t in tables for row in t.rows]


def test_no_small_count_appears_and_none_can_be_recovered(tmp_path: Path) -> None:
    _tiny_returns(tmp_path)
    result = audit(tmp_path)
    context = build_context(result, DEFINITION, charts=False)
    for table_id, row in _all_cells(context):
        for cell in row[1:]:  # type: ignore[index]
            text = cell.text.replace(",", "")
            if text.isdigit():
                assert not 1 <= int(text) <= 4, (table_id, row)
        if table_id.startswith("capture-"):
            hidden = sum(1 for cell in row[1:-1] if cell.kind == "suppressed")  # type: ignore[index]
            assert hidden != 1, row  # one hidden count alone could be worked out from the total
    for text in context.highlights:
        assert not re.search(r"\b[1-4] (of|rows|cases)\b", text), text
    html = render_report(result, DEFINITION)
    assert "Counts from 1 to 4 are shown as &lt;5" in html
    shares = result.profile[
        (result.profile["provider"] == "OAS") & (result.profile["field"] == "ethnicity")
    ]
    assert 1 <= int(shares["unknown"].iloc[0]) <= 4 or int(shares["unknown"].iloc[0]) >= 5


def test_no_suppression_is_marked_not_for_sharing(tmp_path: Path) -> None:
    _tiny_returns(tmp_path)
    result = audit(tmp_path)
    html = render_report(result, DEFINITION, suppress=False)
    assert "Not for sharing" in html
    assert "Not for sharing" not in render_report(result, DEFINITION)


def test_cli_writes_reports_atomically_with_format_from_extension(tmp_path: Path) -> None:
    runner = CliRunner()
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    for out in (html, markdown):
        result = runner.invoke(
            app, ["audit", str(EXAMPLES), "--report", str(out), "--today", "2026-01-01"]
        )
        assert result.exit_code == 0, result.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert markdown.read_text().startswith("# Hospital-based youth work")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.md"]
    bad = runner.invoke(
        app, ["audit", str(EXAMPLES), "--report", str(tmp_path / "x"), "--report-format", "pdf"]
    )
    assert bad.exit_code == 2


def test_report_in_headless_chromium(examples_audit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed here")
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "report.html"
    page_path.write_text(render_report(examples_audit, DEFINITION), encoding="utf-8")
    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        page.goto(page_path.as_uri())
        assert page.locator("figure svg").count() >= 3
        assert page.locator("#heatmap svg").is_visible()
        assert page.locator("#trends svg").is_visible()
        assert page.locator("table#scores").is_visible()
        assert page.get_by_role("heading", name="What to discuss").is_visible()
        duplicate_ids = page.evaluate(
            "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
        )
        assert duplicate_ids == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        browser.close()
    assert requests == [page_path.as_uri()], requests
    assert problems == []
