"""Re-make the README's report screenshots: ``python docs/screenshots.py`` (needs playwright and
Debian's chromium). The bundled examples' report, the summary section and the first funnel plot.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from lp_audit.auditing import audit
from lp_audit.definitions import load_definition
from lp_audit.reports import render_report

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    result = audit(ROOT / "examples" / "hbyw", today=dt.date(2026, 1, 1))
    html = render_report(result, load_definition(result.definition))
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "report.html"
        page_path.write_text(html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(page_path.as_uri())
            page.locator("section#summary").screenshot(path=str(ROOT / "docs/report-summary.png"))
            page.locator("figure[id^=fig-funnel]").first.screenshot(
                path=str(ROOT / "docs/report-funnel.png")
            )
            browser.close()


if __name__ == "__main__":
    main()
