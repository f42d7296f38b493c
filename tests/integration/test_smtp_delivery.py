"""Delivery through a real SMTP server (aiosmtpd on a free port): what arrives, and how refusals read."""

import email
import shutil
import socket
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.notifications import mail

ACCEPTED = "250 OK"


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and answers RCPT and DATA as told."""

    def __init__(self, rcpt_reply: str = ACCEPTED, data_reply: str = ACCEPTED) -> None:
        self.rcpt_reply, self.data_reply = rcpt_reply, data_reply
        self.envelopes: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if self.rcpt_reply == ACCEPTED:
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.data_reply == ACCEPTED:
            self.envelopes.append(envelope)
        return self.data_reply

    def received(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: Mailbox, **smtp_options: object) -> Iterator[mail.SmtpSettings]:
    """Run aiosmtpd with `handler` for the duration; yields settings that reach it."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    try:
        yield mail.SmtpSettings(host="127.0.0.1", port=controller.port, timeout=5.0)
    finally:
        controller.stop()


def accept_only(username: str, password: str):
    """An aiosmtpd authenticator that knows one account."""

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        known = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=known, handled=False)  # handled=False: aiosmtpd answers 535

    return authenticate


def invitation(lang: str = "en", **names: str) -> tuple[EmailMessage, str]:
    """A composed survey invitation and its personal link."""
    link = f"https://surveys.example.org/r/{uuid.uuid4().hex}"
    context = {
        "given_name": names.get("given_name", "Amara"),
        "council_name": names.get("council_name", "TRIEC"),
        "wave": "fu12",
        "link": link,
        "closes_at": "2025-09-15T12:00:00Z",
        "timezone": "America/Toronto",
        "unsubscribe_url": f"https://notify.example.org/u/{uuid.uuid4().hex}",
    }
    message = mail.compose(
        mail.render("survey_invitation", lang, context),
        to_addr="participant@example.org",
        to_name=names.get("to_name", "Amara Okafor"),
        from_addr="surveys@council.example",
        from_name=names.get("council_name", "TRIEC"),
        reply_to="programs@council.example",
        unsubscribe_url=context["unsubscribe_url"],
        unsubscribe_mailto="unsubscribe@council.example",
        message_id_domain="council.example",
        notification_id=uuid.uuid4().hex,
    )
    return message, link


@pytest.mark.parametrize(("lang", "greeting"), [("en", "Hello Zoë,"), ("fr", "Bonjour Zoë,")])
def test_invitation_arrives_with_link_names_and_one_click_unsubscribe(lang: str, greeting: str) -> None:
    council = "Conseil emploi Montréal — CEIM"
    message, link = invitation(lang, given_name="Zoë", to_name="Zoë Lefèvre", council_name=council)
    mailbox = Mailbox()

    with smtp_server(mailbox) as settings:
        mail.send(message, settings)

    [received] = mailbox.received()
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert mailbox.envelopes[0].rcpt_tos == ["participant@example.org"]
    assert received["From"].addresses[0].display_name == council
    assert received["To"].addresses[0].display_name == "Zoë Lefèvre"
    assert greeting in text and greeting in html
    assert link in text and link in html
    assert received["List-Unsubscribe"] == f"{message['List-Unsubscribe']}"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["X-IEC-Notification-Id"] == message["X-IEC-Notification-Id"]


def test_recipient_refused_with_550_is_a_permanent_failure() -> None:
    mailbox = Mailbox(rcpt_reply="550 5.1.1 No such mailbox")

    with smtp_server(mailbox) as settings, pytest.raises(mail.DeliveryError) as failure:
        mail.send(invitation()[0], settings)

    assert failure.value.transient is False
    assert failure.value.code == 550
    assert "No such mailbox" in failure.value.detail
    assert mailbox.envelopes == []


def test_message_deferred_with_451_is_a_transient_failure() -> None:
    mailbox = Mailbox(data_reply="451 4.3.0 Try again later")

    with smtp_server(mailbox) as settings, pytest.raises(mail.DeliveryError) as failure:
        mail.send(invitation()[0], settings)

    assert failure.value.transient is True
    assert failure.value.code == 451


def test_nobody_listening_is_a_transient_failure() -> None:
    settings = mail.SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2.0)

    with pytest.raises(mail.DeliveryError) as failure:
        mail.send(invitation()[0], settings)

    assert failure.value.transient is True
    assert failure.value.code is None


def test_a_server_that_never_greets_is_a_transient_failure() -> None:
    with closing(socket.socket()) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = mail.SmtpSettings(host="127.0.0.1", port=silent.getsockname()[1], timeout=0.5)

        with pytest.raises(mail.DeliveryError) as failure:
            mail.send(invitation()[0], settings)

    assert failure.value.transient is True


def test_login_with_the_configured_account_delivers() -> None:
    mailbox = Mailbox()
    auth = {"authenticator": accept_only("mailer", "s3cret"), "auth_require_tls": False}

    with smtp_server(mailbox, **auth) as settings:
        settings.username, settings.password = "mailer", "s3cret"
        mail.send(invitation()[0], settings)

    assert len(mailbox.received()) == 1


def test_a_wrong_password_is_a_permanent_failure() -> None:
    auth = {"authenticator": accept_only("mailer", "s3cret"), "auth_require_tls": False}

    with smtp_server(Mailbox(), **auth) as settings, pytest.raises(mail.DeliveryError) as failure:
        settings.username, settings.password = "mailer", "wrong"
        mail.send(invitation()[0], settings)

    assert (failure.value.transient, failure.value.code) == (False, 535)


def test_starttls_required_but_not_offered_is_refused_rather_than_sent_in_clear() -> None:
    mailbox = Mailbox()

    with smtp_server(mailbox) as settings, pytest.raises(mail.DeliveryError) as failure:
        settings.starttls = True
        mail.send(invitation()[0], settings)

    assert failure.value.transient is False
    assert mailbox.envelopes == []


@pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command for a test certificate"
)
def test_starttls_then_login_delivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(certificate, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the client trusts only this certificate
    mailbox = Mailbox()
    options = {"tls_context": server_tls, "require_starttls": True, "authenticator": accept_only("u", "p")}

    with smtp_server(mailbox, **options) as settings:
        settings.starttls, settings.username, settings.password = True, "u", "p"
        mail.send(invitation()[0], settings)

    assert len(mailbox.received()) == 1
