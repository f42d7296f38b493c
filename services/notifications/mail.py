"""Notification email, sent: compose the MIME message of a rendered mail (``rendering``), hand it to an
SMTP server.

A plain module (no nameko, no database) so what a participant's mail client receives can be read
and tested on its own.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from services.notifications.rendering import RenderedMail

_MESSAGE_ID_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class DeliveryError(Exception):
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


@dataclass
class SmtpSettings:
    """Where and how to hand mail over: the submission server, and whether to use STARTTLS and login."""

    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


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
    message["List-Unsubscribe"] = _list_unsubscribe(unsubscribe_url)
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


def _list_unsubscribe(url: str) -> str:
    """RFC 2369 value; RFC 8058 one-click needs the web URL (mail clients honour https only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"the unsubscribe URL must be an absolute http(s) URL, got {url!r}")
    return f"<{url}>"


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
