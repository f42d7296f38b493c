"""Browser scenarios of reporting's pages, run by tests/support/browser.py in a child process with a
Playwright page (no eventlet or nameko here)."""
from __future__ import annotations

from pathlib import Path


def read_insights(page, url: str, key: str, shot: str, pdf: str) -> dict:
    """Open the insights report as a browser does (its own Accept header, a staff member's key), read
    what is shown, keep a screenshot, and print it."""
    page.set_extra_http_headers({"Authorization": f"Bearer {key}"})
    response = page.goto(url)
    charts = page.locator("svg[role=img]")
    first = charts.first
    seen = {
        "status": response.status,
        "content_type": response.headers.get("content-type", ""),
        "heading": page.locator("h1").inner_text(),
        "charts": charts.count(),
        "charts_visible": all(charts.nth(i).is_visible() for i in range(charts.count())),
        "first_title": first.locator("title").text_content(),
        "first_desc": first.locator("desc").text_content(),
        "first_bar_width": first.locator("rect.fill").get_attribute("width"),
        "first_value": page.locator("#figure-I2 .value").inner_text(),
        "first_row": page.locator("tbody tr").first.inner_text().split("\t"),
        "table_visible": page.locator("table").is_visible(),
        "scripts": page.locator("script").count(),
    }
    page.screenshot(path=shot, full_page=True)
    page.emulate_media(media="print")
    seen["print_bar_fill"] = page.evaluate(
        "getComputedStyle(document.querySelector('svg.bar rect.fill')).fill")
    seen["pdf_bytes"] = len(page.pdf(path=pdf, format="A4"))
    seen["pdf_magic"] = Path(pdf).read_bytes()[:5].decode("latin-1")
    return seen
