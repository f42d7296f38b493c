"""Notification email: render a template, compose the MIME message, hand it to an SMTP server.

A plain module (no nameko, no database) so the rules of what a participant receives can be read and
tested on their own.

Templates live in ``templates/<lang>/<name>.subject.txt``, ``<name>.txt`` and ``<name>.html``; the
HTML parts extend ``layout.html`` and the text parts ``layout.txt``, which add the footer with the
unsubscribe link from ``<lang>/footer.*``. All wording, including wave phrases and dates, is in the
templates, so adding a language is adding a folder. Templates run with ``StrictUndefined``: a missing
context key fails loudly instead of mailing a blank.

Language choice (``choose_language``): a participant gets their own language when the tenant offers
it; a language the tenant does not offer falls back to English. A language the tenant offers but that
has no templates is a configuration error and raises ``UnknownLanguage``; English is never refused.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from services.common.templates import environment

TEMPLATE_DIR = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"
_PART_SUFFIXES = {"subject": ".subject.txt", "text": ".txt", "html": ".html"}
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_MESSAGE_ID_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class MailError(Exception):
    """Base of every error this module raises."""


class UnknownTemplate(MailError, LookupError):
    """No template of that name exists (in the requested language)."""


class UnknownLanguage(MailError, LookupError):
    """The tenant offers a language for which no templates exist."""


class TemplateContextError(MailError, ValueError):
    """The context lacks a key the template needs, or holds a value it cannot use."""


class DeliveryError(MailError):
    """The SMTP server did not take the message.

    ``transient`` is true when trying again later may work (no connection, timeout, 4xx reply) and
    false when the server refused for good (5xx reply, or it lacks STARTTLS/AUTH we were told to use).
    ``code`` is the SMTP reply code when there was one.
    """

    def __init__(self, transient: bool, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.transient = transient
        self.detail = detail
        self.code = code

    def __reduce__(self) -> tuple:
        return type(self), (self.transient, self.detail, self.code)


@dataclass(frozen=True)
class RenderedMail:
    """One rendered mail: its subject line, plain-text part and HTML part, in language ``lang``."""

    template: str
    lang: str
    subject: str
    text: str
    html: str


@dataclass
class SmtpSettings:
    """Where and how to hand mail over: the submission server, and whether to use STARTTLS and login."""

    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


# --- rendering -------------------------------------------------------------------------------------


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
        return aware.astimezone(_zone(ctx.get("timezone") or "UTC")).date()
    if isinstance(value, date):
        return value
    raise ValueError(f"expected a date or a time, got {value!r}")


def _parse_iso(text: str) -> date | datetime:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


# --- composing -------------------------------------------------------------------------------------


class _OneLineHeader(UnstructuredHeader):
    """A header written unfolded: folding turns a long URL into an RFC 2047 encoded word that mail
    clients cannot use as a link. RFC 5322 allows lines up to 998 characters."""

    def fold(self, *, policy: email_policy.Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def _message_policy() -> email_policy.EmailPolicy:
    headers = HeaderRegistry()
    headers.map_to_type("list-unsubscribe", _OneLineHeader)
    return email_policy.default.clone(header_factory=headers)


_POLICY = _message_policy()


def compose(
    rendered: RenderedMail,
    *,
    to_addr: str,
    to_name: str | None,
    from_addr: str,
    from_name: str,
    reply_to: str | None,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
    message_id_domain: str,
    notification_id: str | None = None,
) -> EmailMessage:
    """Build the multipart/alternative message (text, then HTML) with the headers mail clients use.

    ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` follow RFC 8058 (one-click unsubscribe).
    With a ``notification_id`` the ``Message-ID`` is derived from it, so a retry of the same
    notification carries the same id and receiving systems can drop the duplicate.
    """
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(display_name=from_name, addr_spec=from_addr)
    message["To"] = Address(display_name=to_name or "", addr_spec=to_addr)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = _message_id(notification_id, message_id_domain)
    message["List-Unsubscribe"] = _list_unsubscribe(unsubscribe_url, unsubscribe_mailto)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if notification_id:
        message["X-IEC-Notification-Id"] = notification_id
    # Quoted-printable keeps the body 7-bit, so no server needs 8BITMIME to relay it.
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = rendered.lang  # after the parts: making them moves Content-* down
    return message


def _message_id(notification_id: str | None, domain: str) -> str:
    if notification_id and _MESSAGE_ID_PART.fullmatch(notification_id):
        return f"<{notification_id}@{domain}>"
    return make_msgid(domain=domain)


def _list_unsubscribe(url: str, mailto: str | None) -> str:
    """RFC 2369 value; RFC 8058 one-click needs the web URL (mail clients honour https only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"the unsubscribe URL must be an absolute http(s) URL, got {url!r}")
    targets = [f"<{url}>"]
    if mailto:
        targets.append(f"<{mailto if mailto.startswith('mailto:') else 'mailto:' + mailto}>")
    return ", ".join(targets)


# --- sending ---------------------------------------------------------------------------------------


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Hand ``message`` to the SMTP server; raise ``DeliveryError`` saying whether to try again."""
    try:
        refused = _submit(message, settings)
    except smtplib.SMTPRecipientsRefused as exc:
        raise _refusal(exc.recipients) from exc
    except smtplib.SMTPResponseException as exc:
        raise _reply_error(exc.smtp_code, exc.smtp_error) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise DeliveryError(True, f"server closed the connection: {exc}") from exc
    except smtplib.SMTPException as exc:
        # Raised without a reply code when the server lacks STARTTLS or a usable AUTH: retrying will
        # not change its capabilities, and sending in clear or unauthenticated instead is not an option.
        raise DeliveryError(False, f"server cannot do what the settings require: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(True, f"cannot reach {settings.host}:{settings.port}: {exc}") from exc
    if refused:
        raise _refusal(refused)


def _submit(message: EmailMessage, settings: SmtpSettings) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as client:
        if settings.starttls:
            client.starttls(context=ssl.create_default_context())
        if settings.username:
            client.login(settings.username, settings.password or "")
        return client.send_message(message)


def _refusal(recipients: Mapping[str, tuple[int, bytes]]) -> DeliveryError:
    """One error for refused recipients: transient if any refusal was temporary."""
    replies = list(recipients.values())
    code, reason = next((reply for reply in replies if _is_transient(reply[0])), replies[0])
    return _reply_error(code, reason, what="recipient refused")


def _reply_error(code: int, reason: bytes | str, what: str = "server replied") -> DeliveryError:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else reason
    return DeliveryError(_is_transient(code), f"{what}: {code} {text}", code=code)


def _is_transient(code: int) -> bool:
    """5xx replies are permanent; 4xx (and anything odd) may succeed later."""
    return not 500 <= code <= 599
