"""The respondent's link, as HTTP: the form, its submission, and the pages for bad or closed links.

A browser gets HTML pages (errors next to their items, answers kept); a JSON client gets JSON
answers and the error body of API.md. The language is ``?lang=`` if given, else the participant's.
"""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common.clock import now
from services.common.errors import BadRequest, Gone, NotFound
from services.common.http import html_response, json_body, json_response
from services.common.mongo import TenantStore
from services.surveys import responses
from services.surveys.council import CouncilView
from services.surveys.forms import GONE, NOT_FOUND, language, render_form, render_notice, render_thanks
from services.surveys.instruments import LANGUAGES
from services.surveys.participants import language_of
from services.surveys.responses import LinkClosed, Opened


def show_form(store: TenantStore, council: CouncilView, request: Request, token: str) -> Response:
    """``GET /r/<token>``: the form, or the 404 / 410 page."""
    try:
        opened = responses.open_by_token(store, token, now())
    except (NotFound, LinkClosed) as refused:
        return _refusal_page(refused, request)
    return _form_page(200, opened, request, token, council)


def submit(store: TenantStore, council: CouncilView, request: Request, token: str) -> Response:
    """``POST /r/<token>``: record valid answers, or show what is wrong with them."""
    as_json = request.is_json
    try:
        opened = responses.open_by_token(store, token, now())
    except (NotFound, LinkClosed) as refused:
        return _refuse(refused, request, as_json)
    lang = page_language(request, opened)
    raw = json_body(request) if as_json else request.form.to_dict(flat=False)
    clean, errors = responses.check(opened, raw, lang)
    if errors and as_json:
        raise BadRequest("some answers are not valid", fields=errors)
    if errors:
        return _form_page(400, opened, request, token, council, raw, errors)
    try:
        response_id = responses.record(store, opened, clean, channel="web", lang=lang, now=now())
    except Gone as refused:  # answered in another tab a moment ago
        return _refuse(refused, request, as_json)
    if as_json:
        return json_response(200, {"response_id": response_id})
    return html_response(200, render_thanks(lang, council.name))


def page_language(request: Request, opened: Opened | None) -> str:
    """``?lang=`` when it names one of ours, else the participant's language, else English."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return language(language_of(opened.participant) if opened else None)


def _form_page(status: int, opened: Opened, request: Request, token: str, council: CouncilView,
               answers: dict | None = None, errors: dict | None = None) -> Response:
    lang = page_language(request, opened)
    # the action keeps the language, so a French respondent's errors come back in French
    action = f"/r/{token}?lang={lang}"
    html = render_form(opened.instrument, opened.role, lang, action, council.name, answers, errors)
    return html_response(status, html)


def _refuse(refused: Exception, request: Request, as_json: bool) -> Response:
    if as_json:
        raise refused
    return _refusal_page(refused, request)


def _refusal_page(refused: Exception, request: Request) -> Response:
    if isinstance(refused, NotFound):
        return html_response(404, render_notice(NOT_FOUND, page_language(request, None)))
    opened = refused.opened if isinstance(refused, LinkClosed) else None
    return html_response(410, render_notice(GONE, page_language(request, opened)))
