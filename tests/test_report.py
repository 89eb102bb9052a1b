"""The variance report: golden files, escaping, disclosure control, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lp_audit.auditing import audit
from lp_audit.auditing.config import AuditConfig
from lp_audit.cli import app
from lp_audit.definitions import load_definition
from lp_audit.reports import build_context, render_report
from lp_audit.reports.disclosure import plan_for
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
    for text in context.highlights:
        assert not re.search(r"\b[1-4] (of|rows|cases)\b", text), text
    html = render_report(result, DEFINITION)
    assert "Counts from 1 to 4 are shown as &lt;5" in html
    small = _recoverable_small_counts(result, context)
    assert small == [], small


def test_the_reader_attack_finds_counts_that_primary_suppression_alone_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: without secondary suppression, small counts come out."""
    from lp_audit.reports.disclosure import Plan

    _tiny_returns(tmp_path)
    result = audit(tmp_path)
    monkeypatch.setattr(Plan, "_protect", lambda self: None)
    context = build_context(result, DEFINITION, charts=False)
    assert len(_recoverable_small_counts(result, context)) >= 5


def _recoverable_small_counts(result, context) -> list[tuple[str, str, str, int]]:  # type: ignore[no-untyped-def]
    """Play the reader: work out every capture count the report lets one solve for exactly.

    Independent of how the report decides what to hide: it reads the rendered cells (capture
    tables, heatmap shares, funnel rates, category mixes), turns each into what it pins down,
    adds the sums a reader knows (a field's classes add up to its rows, its codes to its coded
    rows), and solves the lot. Returns the small counts (1 to 4) that come out exactly.
    """
    import numpy as np

    latest = context.latest
    by_label = {f.label: f.name for f in DEFINITION.fields}
    names = {result.config.provider_name(p): p for p in {r.provider for r in result.returns}}
    classes = ["valid", "unknown", "invalid", "missing", "not_applicable"]
    truth = result.profile[result.profile["period"] == latest]

    variables: dict[tuple[str, ...], int] = {}  # (provider, field, class) and (provider, "rows")
    known: dict[tuple[str, ...], float] = {}
    equations: list[dict[tuple[str, ...], float]] = []  # sum(coef * var) == 0

    def var(*key: str) -> tuple[str, ...]:
        variables.setdefault(key, len(variables))
        return key

    def number(text: str) -> float | None:
        text = text.replace(",", "").removesuffix("%")
        try:
            return float(text)
        except ValueError:
            return None

    def pin(key: tuple[str, ...], shown: float, of: tuple[str, ...] | int, digits: int) -> None:
        """A percentage shown to ``digits`` decimals of a known denominator pins its count."""
        den = known.get(of) if isinstance(of, tuple) else of
        if den is None or den <= 0:
            return
        fits = [k for k in range(int(den) + 1) if round(100 * k / den, digits) == shown]
        if len(fits) == 1:
            known[key] = fits[0]

    for part in context.providers:
        for row in part.capture.rows:
            fname = by_label[row[0].text]
            for cls, cell in zip(classes, row[1:6], strict=True):
                var(part.code, fname, cls)
                if number(cell.text) is not None:
                    known[(part.code, fname, cls)] = number(cell.text)  # type: ignore[assignment]
            var(part.code, "rows")
            if number(row[6].text) is not None:
                known[(part.code, "rows")] = number(row[6].text)  # type: ignore[assignment]
            sums = {(part.code, fname, c): 1.0 for c in classes}
            sums[(part.code, "rows")] = -1.0
            equations.append(sums)
    for _ in range(2):  # shares pin counts once their denominators are known, and vice versa
        for fname in {k[1] for k in variables if len(k) == 3}:
            for provider in names.values():
                rows = known.get((provider, "rows"))
                na = known.get((provider, fname, "not_applicable"))
                if rows is not None and na is not None:
                    known[(provider, fname, "applicable")] = rows - na
        if context.heatmap is not None:
            labels = context.heatmap.table.headers[1:]
            for row in context.heatmap.table.rows:
                who, cls = row[0].text.rsplit(": ", 1)
                cls = {"not known": "unknown"}.get(cls, cls)
                for label, cell in zip(labels, row[1:], strict=True):
                    shown = number(cell.text)
                    if shown is not None:
                        fname = by_label[label]
                        pin((names[who], fname, cls), shown, (names[who], fname, "applicable"), 0)
        for figure in context.funnels:
            _, fname, measure = figure.table.id.split("-", 2)
            if measure not in ("missing", "unknown", "invalid"):
                continue
            for row in figure.table.rows:
                den, shown = number(row[1].text), number(row[2].text)
                if den is not None and shown is not None and fname in DEFINITION.labels():
                    pin((names[row[0].text], fname, measure), shown, int(den), 1)
        for table in context.categories:
            fname = table.id.removeprefix("mix-")
            field = DEFINITION.field(fname)
            codes = [h.split(" ", 1)[0] for h in table.headers[1:-1]]
            for row in table.rows:
                if row[0].text not in names:
                    continue
                provider, total = names[row[0].text], number(row[-1].text)
                if total is None or field.type != "code":
                    continue
                # one code per row: the codes add up to the valid and not-known rows
                equations.append(
                    {
                        (provider, fname, "valid"): 1.0,
                        (provider, fname, "unknown"): 1.0,
                        (provider, "codes", fname): -1.0,
                    }
                )
                var(provider, "codes", fname)
                known[(provider, "codes", fname)] = total
                unknown = [c for c in codes if c in field.unknown_codes]
                if len(unknown) == 1:
                    cell = row[1 + codes.index(unknown[0])]
                    if number(cell.text) is not None:
                        pin((provider, fname, "unknown"), number(cell.text), int(total), 0)  # type: ignore[arg-type]

    unknowns = sorted(k for k in variables if k not in known)
    column = {k: i for i, k in enumerate(unknowns)}
    matrix = np.array(
        [[eq.get(k, 0.0) for k in unknowns] for eq in equations if any(k in column for k in eq)]
    )
    if not len(unknowns) or not len(matrix):
        determined = set(unknowns)
    else:
        _, singular, vt = np.linalg.svd(matrix)
        null = vt[int((singular > 1e-9).sum()) :]
        free = np.abs(null).max(axis=0) > 1e-9 if len(null) else np.zeros(len(unknowns), bool)
        determined = {k for k, f in zip(unknowns, free, strict=True) if not f}
    out = []
    for key in sorted(set(known) | determined):
        if len(key) != 3 or key[2] not in classes:
            continue
        provider, fname, cls = key
        value = int(truth[(truth["provider"] == provider) & (truth["field"] == fname)][cls].iloc[0])
        if 1 <= value <= 4:
            out.append((provider, fname, cls, value))
    return out


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
        app, ["audit", str(EXAMPLES), "--report", str(tmp_path / "x"), "--report-format", "docx"]
    )
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()


def _chromium() -> str:
    """Debian's chromium: skipped here when missing, a failure in CI (.ci/run installs it)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed here")
    return chromium


def test_report_in_headless_chromium(examples_audit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "report.html"
    page_path.write_text(render_report(examples_audit, DEFINITION), encoding="utf-8")
    with sync_playwright() as p:
        browser, page = _chromium_page(p, chromium, 1280)
        requests, problems = _watched(page)
        page.goto(page_path.as_uri())
        assert page.locator("figure svg").count() >= 3
        assert page.locator("#heatmap-table td.shade-9").first.is_visible()
        assert page.locator("#trends svg").is_visible()
        assert page.locator("table#scores").is_visible()
        assert page.get_by_role("heading", name="What to discuss").is_visible()
        assert _duplicate_ids(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
        browser.close()
    assert requests == [page_path.as_uri()], requests
    assert problems == []


def test_the_report_of_a_return_of_several_tables_in_headless_chromium(tmp_path: Path) -> None:
    """One document, a part per table: every id unique, every contents link landing in its
    own table's part, nothing fetched, no console errors."""
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "cla.html"
    page_path.write_text(render_report(audit(ROOT / "examples" / "cla")), encoding="utf-8")
    with sync_playwright() as p:
        browser, page = _chromium_page(p, chromium, 1280)
        requests, problems = _watched(page)
        page.goto(page_path.as_uri())
        assert page.locator("article.table-report").count() == 2
        assert page.locator("#episodes-scores").is_visible()
        page.locator("#table-episodes a[href='#episodes-methods']").click()
        assert page.evaluate("() => location.hash") == "#episodes-methods"
        assert page.locator("#episodes-methods").is_visible()
        assert _duplicate_ids(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-tables.png"), full_page=False)
        browser.close()
    assert requests == [page_path.as_uri()], requests
    assert problems == []


def _watched(page) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """What the page asks for (anything but a local file is refused) and what it reports as
    an error or a warning, as it happens."""
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    return requests, problems


def _duplicate_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Every element id the page uses more than once."""
    return list(
        page.evaluate(
            "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
            " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
        )
    )


def _chromium_page(p, chromium: str, width: int):  # type: ignore[no-untyped-def]
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
    return browser, browser.new_page(viewport={"width": width, "height": 900})


@pytest.mark.parametrize("width", [1366, 390])
def test_report_fits_the_screen_at_desktop_and_phone_widths(
    examples_audit,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    width: int,
) -> None:
    """Nothing makes the page scroll sideways; wide tables and charts scroll in their own box,
    and every caption and heading stays inside the screen, wrapped rather than clipped."""
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "report.html"
    page_path.write_text(render_report(examples_audit, DEFINITION), encoding="utf-8")
    with sync_playwright() as p:
        browser, page = _chromium_page(p, chromium, width)
        page.goto(page_path.as_uri())
        overflow = page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              const out = [];
              if (document.documentElement.scrollWidth > width) out.push('page scrolls sideways');
              for (const e of document.querySelectorAll('caption, figcaption, h1, h2, h3, p, li')) {
                const r = e.getBoundingClientRect();
                if (r.width > 0 && (r.left < -0.5 || r.right > width + 0.5))
                  out.push(e.tagName + ': ' + e.textContent.slice(0, 40) + ' ' + r.left + '-' + r.right);
              }
              return out;
            }"""
        )
        # charts keep their size, so their legends and labels stay readable on a phone
        chart = page.evaluate(
            "() => document.querySelector('#trends svg').getBoundingClientRect().width"
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{width}.png"), full_page=False)
        browser.close()
    assert overflow == []
    assert chart >= 500  # the trend chart's own width, at either screen width


def test_pdf_report_is_a4_and_keeps_the_last_column_of_the_widest_table(
    examples_audit,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from lp_audit.reports import write_report

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed: .ci/run installs Debian's poppler-utils")
        pytest.skip("pdftotext is not installed here")
    target = tmp_path / "report.pdf"
    write_report(examples_audit, target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    info = subprocess.run(
        [shutil.which("pdfinfo") or "pdfinfo", "-l", "1000", str(target)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = set(re.findall(r"Page +\d+ size: +(.*)", info))
    assert sizes == {"595.276 x 841.89 pts (A4)"}, sizes
    text = subprocess.run(
        [pdftotext, "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    context = build_context(examples_audit, DEFINITION)
    tables = [
        context.scores,
        context.drift,
        context.acknowledged,
        *context.categories,
        *(f.table for f in (context.heatmap, context.trends, *context.funnels) if f is not None),
        *(t for part in context.providers for t in (part.findings, part.capture)),
    ]
    widest = max(tables, key=lambda t: len(t.headers))
    assert len(widest.headers) > 20
    last = widest.headers[-1]
    part = text.split(f"{widest.caption} (part")[-1]
    assert last in part
    assert "<5" in text and "Page 1 of" in text


def test_a_share_and_its_rows_never_show_a_small_complement(tmp_path: Path) -> None:
    """ "Share engaged 67% of 12" tells a reader that 4 were not engaged: the rest of a share
    is a count too, and the disclosure plan hides it like any other."""
    engaged = {"RTH": 8, "SGT": 9, "OAS": 12}
    for seed, (provider, n) in enumerate(engaged.items(), start=1):
        frame, _ = make_return(12, provider=provider, seed=60 + seed)
        frame.loc[:, "engagement_status"] = "SHORT_TERM"
        frame.loc[n:, "engagement_status"] = "DECLINED"
        frame.to_csv(tmp_path / f"{provider.lower()}.csv", index=False)
    result = audit(tmp_path)
    context = build_context(result, DEFINITION, charts=False)
    shown = 0
    for row in context.drift.rows:
        if row[0].text != "Share engaged" or not row[2].text.endswith("%"):
            continue
        rows = row[3].text.replace(",", "")
        if not rows.isdigit():
            continue
        n = int(rows)
        share = float(row[2].text.removesuffix("%")) / 100
        fits = {k for k in range(n + 1) if round(100 * k / n) == round(100 * share)}
        # whatever the count in the share, neither it nor the rest may be 1 to 4
        assert all(not 1 <= k <= 4 and not 1 <= n - k <= 4 for k in fits), (row[1].text, fits)
        shown += 1
    assert shown >= 1  # OAS (12 of 12) and the network stay shown


def test_below_the_limits_is_not_coloured_as_a_warning(examples_audit) -> None:  # type: ignore[no-untyped-def]
    context = build_context(examples_audit, DEFINITION, charts=False)
    positions = [row[-1] for f in context.funnels for row in f.table.rows]
    assert any(p.text.startswith("above") for p in positions)
    for cell in positions:
        assert (cell.kind == "flag") == cell.text.startswith("above"), cell


def test_an_acknowledged_issue_never_heads_what_to_discuss(examples_audit) -> None:  # type: ignore[no-untyped-def]
    """The examples' config acknowledges St Giles Trust's Excel dates until 2027-03-31."""
    texts = [h.text for h in examples_audit.highlights]
    acknowledged = [i for i, t in enumerate(texts) if "(acknowledged: Excel export" in t]
    assert acknowledged, texts
    others = [i for i, t in enumerate(texts) if "acknowledged" not in t]
    assert min(acknowledged) > max(others)
    assert all("non-standard form" in texts[i] for i in acknowledged)


def test_the_report_says_what_it_was_made_from_and_is_dated_only_when_asked(
    examples_audit,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    import hashlib

    html = render_report(examples_audit, DEFINITION)
    assert "Made from" in html and "hbyw-quarterly-return@1.0" in html
    for path in [*sorted(EXAMPLES.glob("*.csv")), EXAMPLES / "lp-audit.yaml"]:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        assert f"{path.name} (SHA-256 {digest}…)" in html
    assert not re.search(r"20\d\d-\d\d-\d\d \d\d:\d\d", html)  # no date: reproducible
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["audit", str(EXAMPLES), "--report", str(out), "--stamp"])
    assert result.exit_code == 0
    assert re.search(r"Made with lp_audit on 20\d\d-\d\d-\d\d \d\d:\d\d", out.read_text())


def test_a_score_is_rounded_more_coarsely_rather_than_hidden_and_still_protects(
    examples_audit,  # type: ignore[no-untyped-def]
) -> None:
    """Two of three Q1 scores of the examples were '*': a whole number would have narrowed a
    hidden count in a field with few applicable rows. Shown to the nearest 5 they protect it.

    The reader knows every other valid count, so a hidden one is pinned to the counts whose
    score rounds to what is shown: there must be at least min_count of them."""
    import math

    context = build_context(examples_audit, DEFINITION, charts=False)
    shown = {
        (row[0].text, period): cell.text
        for row in context.scores.rows
        for period, cell in zip(context.scores.headers[1:4], row[1:4], strict=True)
    }
    assert shown[("Oasis", "2025-26 Q1")].startswith("≈")
    assert sum(text == "*" for text in shown.values()) == 0
    plan = plan_for(examples_audit, DEFINITION)
    min_count = examples_audit.config.suppression.min_count
    profile = examples_audit.profile
    names = {examples_audit.config.provider_name(p): p for p in profile["provider"].unique()}
    for (provider_name, period), text in shown.items():
        if not text.lstrip("≈").isdigit():
            continue
        points = plan.rounding(("score", names[provider_name], period))
        assert text.startswith("≈") == (points > 1), (provider_name, period, text)
        group = profile[
            (profile["provider"] == names[provider_name])
            & (profile["period"] == period)
            & (profile["weight"] > 0)
            & (profile["applicable"] > 0)
        ]
        total = float(group["weight"].sum())
        for rec in group.to_dict("records"):
            if plan.shown(("class", names[provider_name], period, rec["field"], "valid")):
                continue
            weight = rec["weight"] / rec["applicable"] / total * 100  # score points per count
            # counts consistent with the shown score, the others fixed: a band of width points
            assert math.floor(points / weight) + 1 >= min_count, (provider_name, period, rec)


def test_charts_drawn_ahead_in_a_helper_make_the_same_report(examples_audit) -> None:  # type: ignore[no-untyped-def]
    """``audit --report`` draws the charts in a helper process; the page is the same."""
    from lp_audit.reports.charts import Painter

    result = examples_audit
    here = render_report(result)
    with Painter(ahead=True) as painter:
        ahead = render_report(result, painter=painter)
    assert ahead == here and here.count("<svg") >= 3
    with Painter(ahead=True) as painter:
        painter._pool.submit(os._exit, 1)  # the helper dies: the charts are drawn here instead
        assert render_report(result, painter=painter) == here


def test_targets_from_the_settings_are_shown_against_each_provider(tmp_path: Path) -> None:
    from lp_audit.reports import render_report

    folder = tmp_path / "returns"
    shutil.copytree(EXAMPLES, folder)
    config = folder / "lp-audit.yaml"
    config.write_text(config.read_text() + "targets: {nhs_number: 65%, unknown_field: 50%}\n")
    result = audit(folder)
    assert result.config.targets == {"nhs_number": 0.65, "unknown_field": 0.5}
    markdown = render_report(result, fmt="markdown", suppress=False)
    profile = result.profile
    latest = profile[(profile["period"] == "2025-26 Q3") & (profile["field"] == "nhs_number")]
    row = next(line for line in markdown.splitlines() if line.startswith("| NHS number | 65% |"))
    for provider, name in (("OAS", "Oasis"), ("RTH", "Redthread"), ("SGT", "St Giles Trust")):
        rec = latest[latest["provider"] == provider].iloc[0]
        share = rec["valid"] / rec["applicable"]
        shown = f"{100 * share:.0f}%" + (" below" if share < 0.65 else "")
        assert f"| {shown} |" in row, (name, shown, row)
    html = render_report(result, suppress=False, charts=False)
    assert 'id="targets"' in html and "unknown_field" in html  # said to be left out


def test_a_target_that_is_not_a_share_is_a_config_problem(tmp_path: Path) -> None:
    config = tmp_path / "lp-audit.yaml"
    config.write_text("targets: {ethnicity: most, gender: 120%}\n")
    result = CliRunner().invoke(app, ["audit", str(EXAMPLES), "--config", str(config)])
    assert result.exit_code == 2
    assert "targets.ethnicity: 'most' is not a target" in result.output
    assert "targets.gender: '120%' is not a target" in result.output


def test_the_capture_grid_is_shaded_by_each_shown_share_and_reads_on_its_shade(
    examples_audit,  # type: ignore[no-untyped-def]
) -> None:
    """The capture grid is a table whose cells are shaded by the tenth of the share they
    show; the shades are matplotlib's "Blues", and each cell's text has a WCAG contrast of at
    least 4.5:1 on its shade. A hidden or suppressed cell has no shade."""
    import re

    import matplotlib

    from lp_audit.reports.build import build_context
    from lp_audit.reports.context import LIGHT_TEXT_FROM, SHADES

    blues = matplotlib.colormaps["Blues"]
    assert tuple(matplotlib.colors.to_hex(blues((i + 0.5) / 10)) for i in range(10)) == SHADES

    def luminance(colour: str) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(v) for v in matplotlib.colors.to_rgb(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for i, shade in enumerate(SHADES):
        text = "#fff" if i >= LIGHT_TEXT_FROM else "#111"
        light, dark = sorted((luminance(shade), luminance(text)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (i, shade, text)

    context = build_context(examples_audit, DEFINITION, charts=False)
    assert context.heatmap is not None
    shaded = 0
    for row in context.heatmap.table.rows:
        for cell in row[1:]:
            if cell.kind != "num":
                assert cell.shade is None, cell
                continue
            share = float(cell.text.rstrip("%"))
            assert cell.shade == min(9, int(share // 10)), cell
            shaded += 1
    assert shaded > 100
    html = render_report(examples_audit, DEFINITION, charts=False)
    for i, shade in enumerate(SHADES):
        assert re.search(rf"td\.shade-{i} {{ background: {shade};", html)
