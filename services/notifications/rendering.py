"""Notification email, rendered: a template in the participant's language, as subject, text and HTML.

Templates live in ``templates/<lang>/<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``; the
HTML parts extend ``layout.html`` and the text parts ``layout.txt``, which add the footer with the
unsubscribe link from ``<lang>/footer.*``. All wording, including wave phrases and dates, is in the
templates, so adding a language is adding a folder. Templates run with ``StrictUndefined``: a missing
context key fails loudly instead of mailing a blank.

Language choice (``choose_language``): a participant gets their own language when the tenant offers
it; a language the tenant does not offer falls back to English. A language the tenant offers but that
has no templates is a configuration error and raises ``UnknownLanguage``; English is never refused.

A plain module (no nameko, no database, no SMTP: ``mail`` composes and sends).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from services.common.clock import local_day
from services.common.templates import environment

TEMPLATE_DIR = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
_PART_SUFFIXES = {"subject": ".subject.txt", "text": ".txt", "html": ".html"}
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")


class RenderError(Exception):
    """Base of every error this module raises: this mail cannot be written."""


class UnknownTemplate(RenderError, LookupError):
    """No template of that name exists (in the requested language)."""


class UnknownLanguage(RenderError, LookupError):
    """The tenant offers a language for which no templates exist."""


class TemplateContextError(RenderError, ValueError):
    """The context lacks a key the template needs, or holds a value it cannot use."""


@dataclass(frozen=True)
class RenderedMail:
    """One rendered mail: its subject line, plain-text part and HTML part, in language ``lang``."""

    template: str
    lang: str
    subject: str
    text: str
    html: str


def available_languages(overrides: Path | None = None) -> frozenset[str]:
    """The languages that have templates."""
    return frozenset(_catalogue(overrides))


def available_templates(overrides: Path | None = None) -> frozenset[str]:
    """The template names that exist in at least one language."""
    return frozenset().union(*_catalogue(overrides).values())


def choose_language(lang: str, tenant_languages: Collection[str] | None = None) -> str:
    """The language to write in: ``lang`` when the tenant offers it, otherwise English.

    ``tenant_languages`` defaults to every language that has templates. Raises ``UnknownLanguage``
    when the tenant offers ``lang`` but no templates exist for it.
    """
    offered = available_languages() if tenant_languages is None else frozenset(tenant_languages)
    if lang not in offered or lang == FALLBACK_LANGUAGE:
        return FALLBACK_LANGUAGE
    if lang not in available_languages():
        raise UnknownLanguage(f"the tenant offers {lang!r} but there are no {lang!r} templates")
    return lang


def render(
    template: str,
    lang: str,
    context: Mapping[str, Any],
    *,
    tenant_languages: Collection[str] | None = None,
    overrides: Path | None = None,
) -> RenderedMail:
    """Render ``template`` in the participant's language (see ``choose_language``).

    ``overrides`` is a council's own template folder (``<lang>/<name>.*``, the same layout):
    a file there replaces the built-in file of the same name; the rest stay built-in.
    The keys ``lang`` and ``subject`` are set here for the templates; any given are replaced.
    Raises ``UnknownTemplate``, ``UnknownLanguage`` or ``TemplateContextError``.
    """
    if template not in available_templates(overrides):
        raise UnknownTemplate(f"no template named {template!r}; known: {sorted(available_templates())}")
    chosen = choose_language(lang, tenant_languages)
    if template not in _catalogue(overrides)[chosen]:
        raise UnknownTemplate(f"template {template!r} has no {chosen!r} version")
    values = {**context, "lang": chosen}
    env = _environment(overrides)
    # A subject is one line; a line break in it would end the header.
    values["subject"] = _LINE_BREAKS.sub(" ", _render_part(env, template, chosen, "subject", values)).strip()
    return RenderedMail(
        template=template,
        lang=chosen,
        subject=values["subject"],
        text=_render_part(env, template, chosen, "text", values).strip() + "\n",
        html=_render_part(env, template, chosen, "html", values).strip() + "\n",
    )


def _render_part(env: jinja2.Environment, template: str, lang: str, part: str,
                 values: Mapping[str, Any]) -> str:
    name = f"{lang}/{template}{_PART_SUFFIXES[part]}"
    try:
        return env.get_template(name).render(values)
    except (jinja2.UndefinedError, ValueError) as exc:
        raise TemplateContextError(f"{name}: {exc}") from exc


@cache
def _environment(overrides: Path | None = None) -> jinja2.Environment:
    # the council's folder first: FileSystemLoader takes the first match along its search path
    search = [overrides, TEMPLATE_DIR] if overrides is not None and overrides.is_dir() else [TEMPLATE_DIR]
    return environment(search, filters={"local_date": _local_date}, escape_strings=False)


@cache
def _catalogue(overrides: Path | None = None) -> dict[str, frozenset[str]]:
    """Each language folder with the template names that have all three parts in it."""
    files = set(_environment(overrides).list_templates())
    catalogue: dict[str, set[str]] = {}
    for name in files:
        lang, _, file = name.partition("/")
        stem = file.removesuffix(_PART_SUFFIXES["subject"])
        if stem != file and all(f"{lang}/{stem}{suffix}" in files for suffix in _PART_SUFFIXES.values()):
            catalogue.setdefault(lang, set()).add(stem)
    return {lang: frozenset(names) for lang, names in catalogue.items()}


@jinja2.pass_context
def _local_date(ctx: jinja2.runtime.Context, value: date | datetime | str) -> date:
    """The calendar date of ``value`` where the tenant is (context key ``timezone``, default UTC).

    Takes a ``date``, a ``datetime`` (naive means UTC) or their ISO 8601 / RFC 3339 text.
    """
    if isinstance(value, str):
        value = _parse_iso(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return local_day(aware, _known_zone(ctx.get("timezone") or "UTC"))
    if isinstance(value, date):
        return value
    raise ValueError(f"expected a date or a time, got {value!r}")


def _parse_iso(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text)


def _known_zone(name: str) -> str:
    """``name`` if it is an IANA time zone; a ``ValueError`` (a template's complaint) otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc
    return name
