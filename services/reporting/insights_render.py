"""The insights report as people read it: a CSV, or an HTML page with server-rendered SVG charts.

The page needs no JavaScript: each chart is an inline SVG with a `<title>` and `<desc>` (read by
screen readers), every number is also in a table, and a print stylesheet lays it out on paper.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, Undefined
from werkzeug.datastructures import MIMEAccept
from werkzeug.wrappers import Response

from services.common.http import html_response, json_response
from services.common.templates import environment
from services.reporting.insights import percent

JSON, HTML, CSV = "application/json", "text/html", "text/csv"
TEMPLATES = Path(__file__).with_name("templates")
CSV_COLUMNS = ("indicator_id", "label", "base", "numerator", "denominator", "rate", "ci95_low", "ci95_high",
               "invited", "response_rate", "suppressed", "available")
# Chart geometry (SVG user units): one bar a figure, rates on a 0-100% axis.
BAR_WIDTH, BAR_HEIGHT = 560, 22


def response(report: Mapping[str, Any], fmt: str | None, accept: MIMEAccept) -> Response:
    """The report in the format asked for: `fmt` (json, csv, html) wins, else the Accept header."""
    if fmt is None:
        best = accept.best_match([JSON, HTML, CSV])  # `*/*` or no Accept: JSON, the API's default
        fmt = {HTML: "html", CSV: "csv"}.get(best, "json")
    if fmt == "csv":
        disposition = f'attachment; filename="{csv_filename(report)}"'
        return Response(to_csv(report), mimetype=CSV, headers={"Content-Disposition": disposition})
    if fmt == "html":
        return html_response(200, to_html(report))
    return json_response(200, report)


def to_csv(report: Mapping[str, Any]) -> str:
    """One row a figure, with a header; suppressed and unavailable numbers are empty cells."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for figure in report["figures"]:
        low, high = figure.get("ci95") or (None, None)
        writer.writerow({**{key: figure.get(key) for key in CSV_COLUMNS},
                         "ci95_low": low, "ci95_high": high,
                         "suppressed": str(bool(figure["suppressed"])).lower(),
                         "available": str(bool(figure["available"])).lower()})
    return out.getvalue()


def csv_filename(report: Mapping[str, Any]) -> str:
    """`insights-<date>.csv`, the date of the figures."""
    return f"insights-{(report.get('as_of') or 'now')[:10]}.csv"


def bars(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chart's bars: position, length and the words that describe each (for `<title>`)."""
    drawn = []
    for figure in report["figures"]:
        rate, ci95 = figure.get("rate"), figure.get("ci95")
        drawn.append({
            **figure, "length": round((rate or 0) * BAR_WIDTH, 1),
            "ci": [round(bound * BAR_WIDTH, 1) for bound in ci95] if ci95 else None,
            "percent": percent(rate), "words": describe(figure),
        })
    return drawn


def describe(figure: Mapping[str, Any]) -> str:
    """A figure in one sentence: `66.7% (2 of 3 participants who answered ...)`."""
    if not figure["available"]:
        return f"{figure['label']}: not available yet."
    if figure["suppressed"]:
        return f"{figure['label']}: not shown, fewer than the minimum number of answers ({figure['base']})."
    if figure["rate"] is None:
        return f"{figure['label']}: no answers yet ({figure['base']})."
    return (f"{figure['label']}: {percent(figure['rate'])} "
            f"({figure['numerator']} of {figure['denominator']} {figure['base']}).")


@cache
def _environment() -> Environment:
    # not strict: a report not yet published has no `report_id`, and the template asks whether it has one
    return environment(TEMPLATES, undefined=Undefined, filters={"percent": percent})


def to_html(report: Mapping[str, Any]) -> str:
    """The report as a standalone HTML page (inline CSS and SVG, no script)."""
    template = _environment().get_template("insights.html")
    return template.render(report=report, bars=bars(report), width=BAR_WIDTH, bar_height=BAR_HEIGHT,
                           ticks=(0, 25, 50, 75, 100))
