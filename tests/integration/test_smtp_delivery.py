"""Delivery through a real SMTP server (aiosmtpd on a free port): what arrives, and how refusals read."""

import shutil
import socket
import ssl
import subprocess
import uuid
from contextlib import closing
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from services.cli.infra import free_port
from services.notifications import mail, rendering
from tests.support.smtp import ScriptedMailbox, smtp_server


def reaching(port: int) -> mail.SmtpSettings:
    """Settings that reach the test's SMTP server on ``port``."""
    return mail.SmtpSettings(host="127.0.0.1", port=port, timeout=5.0)


def accept_only(username: str, password: str):
    """An aiosmtpd authenticator that knows one account."""

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        known = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=known, handled=False)  # handled=False: aiosmtpd answers 535

    return authenticate


def invitation(lang: str = "en", unsubscribe_url: str | None = None,
               **names: str) -> tuple[EmailMessage, str]:
    """A composed survey invitation and its personal link."""
    link = f"https://surveys.example.org/r/{uuid.uuid4().hex}"
    context = {
        "given_name": names.get("given_name", "Amara"),
        "council_name": names.get("council_name", "TRIEC"),
        "wave": "fu12",
        "link": link,
        "closes_at": "2025-09-15T12:00:00Z",
        "timezone": "America/Toronto",
        "unsubscribe_url": unsubscribe_url or f"https://notify.example.org/u/{uuid.uuid4().hex}",
    }
    message = mail.compose(
        rendering.render("survey_invitation", lang, context),
        to_addr="participant@example.org",
        to_name=names.get("to_name", "Amara Okafor"),
        from_addr="surveys@council.example",
        from_name=names.get("council_name", "TRIEC"),
        reply_to="programs@council.example",
        unsubscribe_url=context["unsubscribe_url"],
        message_id_domain="council.example",
        notification_id=uuid.uuid4().hex,
    )
    return message, link


@pytest.mark.parametrize(("lang", "greeting"), [("en", "Hello Zoë,"), ("fr", "Bonjour Zoë,")])
def test_invitation_arrives_with_link_names_and_one_click_unsubscribe(lang: str, greeting: str) -> None:
    council = "Conseil emploi Montréal — CEIM"
    unsubscribe = f"https://notify.example.org/u/{uuid.uuid4().hex}"
    message, link = invitation(lang, unsubscribe, given_name="Zoë", to_name="Zoë Lefèvre",
                               council_name=council)
    mailbox = ScriptedMailbox()

    with smtp_server(mailbox) as port:
        mail.send(message, reaching(port))

    [received] = mailbox.accepted
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert mailbox.envelopes[0].rcpt_tos == ["participant@example.org"]
    assert received["From"].addresses[0].display_name == council
    assert received["To"].addresses[0].display_name == "Zoë Lefèvre"
    assert greeting in text and greeting in html
    assert link in text and link in html
    assert received["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["X-IEC-Notification-Id"] == message["X-IEC-Notification-Id"]


@pytest.mark.parametrize(("stage", "reply", "code", "transient"), [
    ("RCPT", "550 5.1.1 No such mailbox", 550, False),  # the recipient refused: permanent
    ("DATA", "451 4.3.0 Try again later", 451, True),  # the message deferred: transient
])
def test_a_refusal_is_permanent_or_transient_by_its_code_and_nothing_is_accepted(
        stage: str, reply: str, code: int, transient: bool) -> None:
    mailbox = ScriptedMailbox(rcpt_reply=reply) if stage == "RCPT" else ScriptedMailbox(data_replies=[reply])

    with smtp_server(mailbox) as port, pytest.raises(mail.DeliveryError) as failure:
        mail.send(invitation()[0], reaching(port))

    assert (failure.value.transient, failure.value.code) == (transient, code)
    assert reply.split(" ", 2)[2] in failure.value.detail
    assert mailbox.accepted == []


def test_nobody_listening_is_a_transient_failure() -> None:
    settings = mail.SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2.0)  # nothing listens there

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
    mailbox = ScriptedMailbox()
    auth = {"authenticator": accept_only("mailer", "s3cret"), "auth_require_tls": False}

    with smtp_server(mailbox, **auth) as port:
        settings = reaching(port)
        settings.username, settings.password = "mailer", "s3cret"
        mail.send(invitation()[0], settings)

    assert len(mailbox.accepted) == 1


def test_a_wrong_password_is_a_permanent_failure() -> None:
    auth = {"authenticator": accept_only("mailer", "s3cret"), "auth_require_tls": False}

    with smtp_server(ScriptedMailbox(), **auth) as port, pytest.raises(mail.DeliveryError) as failure:
        settings = reaching(port)
        settings.username, settings.password = "mailer", "wrong"
        mail.send(invitation()[0], settings)

    assert (failure.value.transient, failure.value.code) == (False, 535)


def test_starttls_required_but_not_offered_is_refused_rather_than_sent_in_clear() -> None:
    mailbox = ScriptedMailbox()

    with smtp_server(mailbox) as port, pytest.raises(mail.DeliveryError) as failure:
        settings = reaching(port)
        settings.starttls = True
        mail.send(invitation()[0], settings)

    assert failure.value.transient is False
    assert mailbox.accepted == []


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
    mailbox = ScriptedMailbox()
    options = {"tls_context": server_tls, "require_starttls": True, "authenticator": accept_only("u", "p")}

    with smtp_server(mailbox, **options) as port:
        settings = reaching(port)
        settings.starttls, settings.username, settings.password = True, "u", "p"
        mail.send(invitation()[0], settings)

    assert len(mailbox.accepted) == 1
