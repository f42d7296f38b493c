"""The insights report from an indicators answer: which figures, their bases, CSV and HTML renderings."""
from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree

from werkzeug.datastructures import MIMEAccept

from services.reporting import insights, insights_render

AS_OF = "2026-03-02T14:05:11.120Z"
I2 = {"id": "I2", "name": "Satisfaction", "numerator": 2, "denominator": 3, "rate": 0.6667,
      "ci95": [0.2077, 0.9385], "invited": 5, "response_rate": 0.6, "suppressed": False}
I9_SUPPRESSED = {"id": "I9", "name": "Managers more prepared", "numerator": None, "denominator": 2,
                 "rate": None, "ci95": None, "invited": 4, "response_rate": 0.5, "suppressed": True}
OTHER = {"id": "I13", "name": "Response rate", "numerator": 9, "denominator": 12, "rate": 0.75,
         "ci95": [0.47, 0.91], "invited": 12, "response_rate": 0.75, "suppressed": False}


def report(rows=(I2, I9_SUPPRESSED, OTHER), query=None) -> dict:
    return insights.build({"indicators": list(rows), "as_of": AS_OF}, query or {"program_kind": "caip"},
                          council="Council of Ottawa")


def by_id(built: dict) -> dict[str, dict]:
    return {figure["indicator_id"]: figure for figure in built["figures"]}


def test_the_report_lists_the_published_figures_in_order_each_with_its_base():
    built = report()
    assert [f["indicator_id"] for f in built["figures"]] == ["I2", "I3", "I5", "I4", "I6", "I7", "I9", "I11"]
    assert by_id(built)["I2"] == {
        "indicator_id": "I2", "label": "Satisfied with the program",
        "base": "participants who answered at the end of the program", "available": True,
        "numerator": 2, "denominator": 3, "rate": 0.6667, "ci95": [0.2077, 0.9385], "invited": 5,
        "response_rate": 0.6, "suppressed": False}
    assert built["scope"] == {"program_kind": "caip"}
    assert (built["as_of"], built["kind"], built["council"]) == (AS_OF, "insights", "Council of Ottawa")


def test_a_figure_the_indicators_do_not_have_yet_is_marked_unavailable_without_numbers():
    figure = by_id(report())["I11"]
    assert figure["available"] is False
    assert figure["numerator"] is None and figure["denominator"] is None and figure["suppressed"] is False


def test_the_report_asks_for_its_own_figures_and_a_public_export_suppresses_below_five():
    own = insights.indicators_query({"program_kind": "caip", "format": "csv", "suppress_below": 0})
    assert own == {"program_kind": "caip", "suppress_below": 0,
                   "indicator": ("I2", "I3", "I5", "I4", "I6", "I7", "I9", "I11")}
    assert insights.indicators_query({"suppress_below": 0}, public=True)["suppress_below"] == 5
    assert insights.indicators_query({"suppress_below": 8}, public=True)["suppress_below"] == 8
    assert insights.indicators_query({}, public=True)["suppress_below"] == 5


def test_the_announcement_carries_the_report_id_kind_scope_and_url():
    assert insights.announcement(report(), "rpt-1", "http://r/v1/reports/rpt-1") == {
        "report_id": "rpt-1", "kind": "insights", "scope": {"program_kind": "caip"},
        "url": "http://r/v1/reports/rpt-1"}


def test_the_csv_has_a_header_and_one_row_a_figure_with_suppressed_numbers_left_empty():
    rows = list(csv.DictReader(io.StringIO(insights_render.to_csv(report()))))
    assert len(rows) == 8
    assert rows[0] == {"indicator_id": "I2", "label": "Satisfied with the program",
                       "base": "participants who answered at the end of the program", "numerator": "2",
                       "denominator": "3", "rate": "0.6667", "ci95_low": "0.2077", "ci95_high": "0.9385",
                       "invited": "5", "response_rate": "0.6", "suppressed": "false", "available": "true"}
    managers = next(row for row in rows if row["indicator_id"] == "I9")
    assert (managers["numerator"], managers["rate"], managers["denominator"], managers["suppressed"]) == (
        "", "", "2", "true")


def test_the_html_page_draws_a_bar_a_figure_with_accessible_titles_and_a_table_of_the_numbers():
    page = insights_render.to_html(report())
    assert "<script" not in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert len(svgs) == 8
    ns = {"s": "http://www.w3.org/2000/svg"}
    satisfaction = ElementTree.fromstring(svgs[0].replace("<svg ", f'<svg xmlns="{ns["s"]}" ', 1))
    assert satisfaction.get("role") == "img"
    assert satisfaction.find("s:title", ns).text == "Satisfied with the program"
    assert "66.7% (2 of 3 participants who answered" in satisfaction.find("s:desc", ns).text
    fill = satisfaction.find("s:rect[@class='fill']", ns)
    assert float(fill.get("width")) == round(0.6667 * insights_render.BAR_WIDTH, 1)
    assert "@media print" in page
    assert re.search(r"<td>2</td>\s*<td>3</td>\s*<td>66.7%</td>", page)


def test_a_suppressed_figure_draws_no_bar_and_says_so():
    page = insights_render.to_html(report())
    managers = re.search(r'<li class="figure" id="figure-I9">.*?</li>', page, flags=re.S).group(0)
    assert 'class="fill"' not in managers
    assert "suppressed" in managers


def test_the_html_escapes_what_it_is_given():
    page = insights_render.to_html(insights.build({"indicators": [], "as_of": AS_OF}, {}, council="<b>x</b>"))
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_format_comes_from_the_query_or_else_the_accept_header():
    built = report()
    assert insights_render.response(built, "csv", MIMEAccept()).mimetype == "text/csv"
    browser = MIMEAccept([("text/html", 1), ("application/xhtml+xml", 1), ("*/*", 0.8)])
    assert insights_render.response(built, None, browser).mimetype == "text/html"
    assert insights_render.response(built, None, MIMEAccept([("*/*", 1)])).mimetype == "application/json"
    assert insights_render.response(built, None, MIMEAccept()).mimetype == "application/json"
    assert insights_render.response(built, "json", browser).mimetype == "application/json"
    assert insights_render.response(built, None, MIMEAccept([("text/csv", 1)])).mimetype == "text/csv"
