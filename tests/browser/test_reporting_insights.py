"""The insights report in a real headless browser (Debian's chromium, Playwright): the charts and the
numbers are shown without JavaScript, and the page prints.

Its screenshot is written under the test's temporary directory; with IEC_UPDATE_SCREENSHOTS=1 it also
replaces docs/screenshots/reporting-insights.png.
"""
from __future__ import annotations

from tests.integration.reporting_support import WIDE_COHORT, CohortStream, feed, settled_report
from tests.support.browser import keep_screenshots, run_scenario

SCENARIOS = "tests.browser.reporting_scenarios"


def test_the_insights_page_shows_charts_and_numbers_and_prints(reporting, amqp_uri, tenant, tmp_path):
    feed(amqp_uri, CohortStream(tenant["id"], WIDE_COHORT))
    settled_report(reporting, "I3", 4, 6)
    shot = tmp_path / "reporting-insights.png"
    seen = run_scenario(f"{SCENARIOS}:read_insights",
                        url=f"{reporting.base_url}/v1/reports/insights?suppress_below=0",
                        key=tenant["analyst"], shot=str(shot), pdf=str(tmp_path / "insights.pdf"))
    assert (seen["status"], seen["content_type"].split(";")[0]) == (200, "text/html")
    assert seen["heading"] == f"Insights report: Council {tenant['id']}"
    assert (seen["charts"], seen["charts_visible"], seen["scripts"]) == (8, True, 0)
    assert seen["first_title"] == "Satisfied with the program"
    assert seen["first_desc"].startswith("Satisfied with the program: 80% (4 of 5 participants who answered")
    assert seen["first_bar_width"] == "448.0"  # 80% of the 560-unit axis
    assert seen["first_value"] == "80%"
    assert seen["table_visible"]
    assert seen["first_row"][:4] == ["Satisfied with the program (I2)", "4", "5", "80%"]
    assert seen["print_bar_fill"] == "rgb(0, 0, 0)"  # the print stylesheet applies
    assert seen["pdf_magic"] == "%PDF-" and seen["pdf_bytes"] > 1000
    assert shot.stat().st_size > 0
    keep_screenshots(shot)
