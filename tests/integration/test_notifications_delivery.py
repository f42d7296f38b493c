"""Mail through the queue over real RabbitMQ, the Mongo server and a local SMTP server.

A small nameko service named ``intake`` stands in for intake at the edge of ours: its
``get_contact`` answers from ``CONTACTS``, per tenant, as the real one does (the consent tests and
the e2e tests use the real one). A subscriber service records what notifications publishes.
Events only queue mail; each test runs the sending pass itself, as of an instant it chooses
(``POST /v1/notifications/run``), so sending hours and the rate limit are under its control.
"""

from __future__ import annotations

import email
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from nameko.events import event_handler as plain_event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from services.cli.infra import free_port
from services.common.envelope import new_event
from services.common.tenancy import database_name
from services.notifications.service import NotificationsService
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually

CONTACTS: dict[tuple[str, str], dict] = {}
HEARD: list[dict] = []


class TenantOfCall(DependencyProvider):
    def get_dependency(self, worker_ctx) -> str | None:
        return worker_ctx.context_data.get("tenant_id")


class IntakeDouble:
    name = "intake"
    tenant_id = TenantOfCall()

    @rpc
    def get_contact(self, participant_id: str) -> dict | None:
        return CONTACTS.get((self.tenant_id, participant_id))


class Subscriber:
    name = "notifications_test_subscriber"

    @plain_event_handler("notifications", "notification.sent")
    def on_sent(self, event: dict) -> None:
        HEARD.append(event)

    @plain_event_handler("notifications", "notification.failed")
    def on_failed(self, event: dict) -> None:
        HEARD.append(event)

    @plain_event_handler("notifications", "consent.withdrawn")
    def on_withdrawn(self, event: dict) -> None:
        HEARD.append(event)


class ScriptedMailbox:
    """An aiosmtpd handler that answers DATA from ``data_replies`` first (then accepts) and refuses
    every recipient with ``rcpt_reply`` when one is given."""

    def __init__(self, data_replies: list[str] | None = None, rcpt_reply: str | None = None) -> None:
        self.data_replies, self.rcpt_reply = list(data_replies or []), rcpt_reply
        self.accepted: list[EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        self.accepted.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextmanager
def smtp_server(handler: ScriptedMailbox) -> Iterator[int]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def start_notifications(service_env, container_factory, amqp_uri, tenant):
    """Starts intake's stand-in, the subscriber and notifications mailing through ``smtp_port``."""
    service_env.setenv("NOTIFICATIONS_RETRY_BASE_SECONDS", "60")
    service_env.setenv("NOTIFICATIONS_RETRY_CAP_SECONDS", "600")
    service_env.setenv("NOTIFICATIONS_MAX_ATTEMPTS", "3")

    def start(smtp_port: int) -> Api:
        service_env.setenv("SMTP_HOST", "127.0.0.1")
        service_env.setenv("SMTP_PORT", str(smtp_port))
        start_service(container_factory, IntakeDouble, amqp_uri)
        start_service(container_factory, Subscriber, amqp_uri)
        return Api(start_service(container_factory, NotificationsService, amqp_uri), tenant["staff"])


    return start


@pytest.fixture
def notifications(start_notifications, mail_sink) -> Api:
    return start_notifications(mail_sink.port)


def participant(tenant: dict, lang: str = "en", surveys: bool = True, contact: bool = True) -> str:
    """A participant intake knows, with a unique id and address."""
    participant_id = f"p{secrets.token_hex(5)}"
    given = {"en": "Amara", "fr": "Zoë"}[lang]
    CONTACTS[(tenant["id"], participant_id)] = {
        "participant_id": participant_id, "given_name": given, "family_name": "Okafor",
        "email": f"{participant_id}@example.org", "preferred_language": lang,
        "consent": {"surveys": surveys, "research": False, "contact": contact}}
    return participant_id


def invitation_due(tenant: dict, participant_id: str, attempt: int = 0) -> dict:
    invitation_id = f"inv{secrets.token_hex(5)}"
    data = {"invitation_id": invitation_id, "participant_id": participant_id, "wave": "post",
            "link": f"http://127.0.0.1:8002/r/{tenant['id']}.{secrets.token_urlsafe(16)}", "attempt": attempt,
            "cohort_id": "c1", "closes_at": "2031-06-30T23:59:00Z", "instrument_key": "caip_post"}
    return new_event("surveys", "invitation.due", tenant["id"], data, subject=invitation_id)


def deliver(amqp_uri: str, event: dict, source: str = "surveys") -> dict:
    publish_event(amqp_uri, source, event)
    return event


# 10:00 in Toronto (the test councils' time zone), after anything a test queues
DAY = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)


def run(api: Api, tenant: dict, as_of: datetime = DAY) -> dict:
    """Run the sending pass as of ``as_of``; returns what it did (email counts)."""
    answer = api.with_key(tenant["admin"]).post("/v1/notifications/run", {"as_of": as_of.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()["email"]


def queued(api: Api, participant_id: str, count: int = 1) -> list[dict]:
    """Wait until ``count`` mails to the participant are queued (their events were consumed)."""
    return eventually(lambda: len(entries := log_of(api, participant_id)) >= count and entries,
                      what=f"{count} queued mail(s)")


def deliver_and_run(api: Api, amqp_uri: str, tenant: dict, event: dict, as_of: datetime = DAY) -> dict:
    deliver(amqp_uri, event)
    queued(api, event["data"]["participant_id"])
    return run(api, tenant, as_of)


def log_of(api: Api, participant_id: str) -> list[dict]:
    answer = api.get("/v1/notifications", params={"participant_id": participant_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def status_becomes(api: Api, participant_id: str, status: str) -> dict:
    entries = eventually(lambda: [e for e in log_of(api, participant_id) if e["status"] == status],
                         what=f"a {status} notification")
    return entries[0]


def heard(tenant: dict, event_type: str, participant_id: str) -> list[dict]:
    return [e for e in HEARD if e["tenantid"] == tenant["id"] and e["type"] == event_type
            and e["data"]["participant_id"] == participant_id]


def mails_to(messages: list[EmailMessage], participant_id: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"].addresses[0].addr_spec == f"{participant_id}@example.org"]


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --- sending -----------------------------------------------------------------------------------


def test_an_english_participant_gets_one_invitation_with_their_link(notifications, mail_sink, amqp_uri,
                                                                    tenant):
    amara = participant(tenant, "en")
    event = invitation_due(tenant, amara)
    assert deliver_and_run(notifications, amqp_uri, tenant, event) == {"sent": 1}

    [received] = mail_sink.wait_for(1)
    council = f"Council {tenant['id']}"
    assert received["To"].addresses[0].addr_spec == f"{amara}@example.org"
    assert received["From"].addresses[0].display_name == council
    assert received["From"].addresses[0].addr_spec == "no-reply@iec.example.org"
    assert received["Reply-To"] == "no-reply@iec.example.org"
    assert received["Subject"] == f"{council} would like your feedback"
    assert "Hello Amara," in text_of(received)
    assert event["data"]["link"] in text_of(received)
    entry = status_becomes(notifications, amara, "sent")
    assert (entry["template"], entry["lang"], entry["attempts"]) == ("survey_invitation", "en", 1)
    [sent] = eventually(lambda: heard(tenant, "notification.sent", amara), what="notification.sent")
    assert sent["data"] == {"notification_id": entry["notification_id"], "channel": "email",
                            "template": "survey_invitation", "participant_id": amara,
                            "invitation_id": event["data"]["invitation_id"], "attempt": 0}


def test_a_french_participant_gets_the_invitation_in_french(notifications, mail_sink, amqp_uri, tenant):
    zoe = participant(tenant, "fr")
    deliver_and_run(notifications, amqp_uri, tenant, invitation_due(tenant, zoe))

    [received] = mail_sink.wait_for(1)
    assert received["Subject"] == f"Council {tenant['id']} aimerait connaître votre avis"
    assert "Bonjour Zoë," in text_of(received)
    assert received["Content-Language"] == "fr"


@pytest.mark.parametrize("refused", ["surveys", "contact"])
def test_without_consent_nothing_is_sent_and_the_log_says_skipped(notifications, mail_sink, amqp_uri, tenant,
                                                                  refused):
    who = participant(tenant, "en", **{refused: False})
    assert deliver_and_run(notifications, amqp_uri, tenant, invitation_due(tenant, who)) == {"skipped": 1}

    assert status_becomes(notifications, who, "skipped")["attempts"] == 0
    assert mail_sink.messages == []


def test_consent_is_read_when_the_mail_is_sent_not_when_it_is_queued(notifications, mail_sink, amqp_uri,
                                                                     tenant):
    amara = participant(tenant)
    deliver(amqp_uri, invitation_due(tenant, amara))
    queued(notifications, amara)
    CONTACTS[(tenant["id"], amara)]["consent"]["contact"] = False  # withdrawn meanwhile

    assert run(notifications, tenant) == {"skipped": 1}
    assert mail_sink.messages == []


def test_the_same_event_delivered_twice_sends_one_mail(notifications, mail_sink, amqp_uri, tenant):
    amara, marker = participant(tenant), participant(tenant)
    event = invitation_due(tenant, amara)
    deliver(amqp_uri, event)
    deliver(amqp_uri, event)
    queued(notifications, amara)
    run(notifications, tenant)
    deliver(amqp_uri, event)  # and once more after it was sent
    deliver(amqp_uri, invitation_due(tenant, marker))  # queued after the copies: they were consumed by then
    queued(notifications, marker)
    run(notifications, tenant)

    messages = mail_sink.wait_for(2)
    assert len(mails_to(messages, amara)) == 1
    assert [e["status"] for e in log_of(notifications, amara)] == ["sent"]
    eventually(lambda: heard(tenant, "notification.sent", marker), what="the marker's notification.sent")
    assert len(heard(tenant, "notification.sent", amara)) == 1


def test_a_cohorts_invitations_falling_due_together_are_each_sent_once(notifications, mail_sink, amqp_uri,
                                                                        tenant):
    cohort = [participant(tenant, lang) for lang in ("en", "fr") * 6]
    for each in cohort:
        deliver(amqp_uri, invitation_due(tenant, each))
    for each in cohort:
        queued(notifications, each)

    assert run(notifications, tenant) == {"sent": len(cohort)}
    messages = mail_sink.wait_for(len(cohort))
    addressees = sorted(m["To"].addresses[0].addr_spec for m in messages)
    assert addressees == sorted(f"{each}@example.org" for each in cohort)
    assert run(notifications, tenant) == {}


def test_a_reminder_uses_the_reminder_mail(notifications, mail_sink, amqp_uri, tenant):
    amara = participant(tenant)
    event = invitation_due(tenant, amara, attempt=1)
    deliver_and_run(notifications, amqp_uri, tenant, event)

    [received] = mail_sink.wait_for(1)
    assert received["Subject"] == f"Reminder: Council {tenant['id']} would like your feedback"
    assert "A quick reminder" in text_of(received)
    assert event["data"]["link"] in text_of(received)
    assert status_becomes(notifications, amara, "sent")["template"] == "survey_reminder"


# --- sending hours and the rate limit ---------------------------------------------------------


def test_mail_waits_for_the_councils_sending_hours(notifications, mail_sink, amqp_uri, tenant):
    amara = participant(tenant)
    late_evening = datetime(2031, 3, 5, 1, 30, tzinfo=UTC)  # 20:30 in Toronto
    early_morning = datetime(2031, 3, 5, 12, 59, tzinfo=UTC)  # 07:59
    opening = datetime(2031, 3, 5, 13, 0, tzinfo=UTC)  # 08:00

    assert deliver_and_run(notifications, amqp_uri, tenant, invitation_due(tenant, amara), late_evening) == {
        "held": 1}
    assert run(notifications, tenant, early_morning) == {"held": 1}
    assert mail_sink.messages == []
    assert status_becomes(notifications, amara, "queued")

    assert run(notifications, tenant, opening) == {"sent": 1}
    assert len(mail_sink.wait_for(1)) == 1


def test_a_council_sends_at_most_its_rate_per_minute(start_notifications, service_env, mail_sink, amqp_uri,
                                                     tenant):
    service_env.setenv("NOTIFICATIONS_PER_MINUTE", "2")
    api = start_notifications(mail_sink.port)
    people = [participant(tenant) for _ in range(3)]
    for each in people:
        deliver(amqp_uri, invitation_due(tenant, each))
    for each in people:
        queued(api, each)

    assert run(api, tenant, DAY) == {"sent": 2, "held": 1}
    assert run(api, tenant, DAY + timedelta(seconds=30)) == {"held": 1}
    assert run(api, tenant, DAY + timedelta(seconds=60)) == {"sent": 1}
    assert len(mail_sink.wait_for(3)) == 3


# --- refusals and crashes ---------------------------------------------------------------------


def test_a_temporary_smtp_refusal_is_retried_later_and_the_mail_sent_once(start_notifications, amqp_uri,
                                                                            tenant):
    mailbox = ScriptedMailbox(data_replies=["451 4.3.0 Try again later"])
    with smtp_server(mailbox) as port:
        api = start_notifications(port)
        amara = participant(tenant)
        assert deliver_and_run(api, amqp_uri, tenant, invitation_due(tenant, amara)) == {"retried": 1}
        assert status_becomes(api, amara, "queued")["not_before"] <= (DAY + timedelta(seconds=60)).isoformat()
        assert run(api, tenant, DAY + timedelta(seconds=600)) == {"sent": 1}

        entry = status_becomes(api, amara, "sent")
    assert len(mailbox.accepted) == 1
    assert entry["attempts"] == 2
    [retry] = eventually(lambda: heard(tenant, "notification.failed", amara), what="the retry announced")
    assert retry["data"]["final"] is False and retry["data"]["attempts"] == 1
    assert "451" in retry["data"]["error"]


def test_a_mail_refused_every_time_fails_after_the_last_attempt(start_notifications, amqp_uri, tenant):
    mailbox = ScriptedMailbox(data_replies=["451 4.3.0 Try again later"] * 3)
    with smtp_server(mailbox) as port:
        api = start_notifications(port)
        amara = participant(tenant)
        deliver_and_run(api, amqp_uri, tenant, invitation_due(tenant, amara))
        assert run(api, tenant, DAY + timedelta(seconds=600)) == {"retried": 1}
        assert run(api, tenant, DAY + timedelta(seconds=1200)) == {"failed": 1}
        assert run(api, tenant, DAY + timedelta(seconds=1800)) == {}
    assert mailbox.accepted == []
    finals = eventually(lambda: [e for e in heard(tenant, "notification.failed", amara)
                                 if e["data"]["final"]], what="the final failure")
    assert finals[0]["data"]["attempts"] == 3


def test_a_permanent_smtp_refusal_fails_for_good_and_is_announced(start_notifications, amqp_uri, tenant):
    amara = participant(tenant)
    mailbox = ScriptedMailbox(rcpt_reply=f"550 5.1.1 <{amara}@example.org>: Recipient address rejected")
    with smtp_server(mailbox) as port:
        api = start_notifications(port)
        assert deliver_and_run(api, amqp_uri, tenant, invitation_due(tenant, amara)) == {"failed": 1}

        entry = status_becomes(api, amara, "failed")
        [failed] = eventually(lambda: heard(tenant, "notification.failed", amara), what="notification.failed")
    assert mailbox.accepted == []
    assert failed["data"]["final"] is True
    assert failed["data"]["attempts"] == 1
    assert failed["data"]["notification_id"] == entry["notification_id"]
    assert "550" in failed["data"]["error"] and "@" not in failed["data"]["error"]
    assert "@" not in entry["error"]


def test_an_unknown_participant_fails_without_a_mail(notifications, mail_sink, amqp_uri, tenant):
    stranger = f"p{secrets.token_hex(5)}"
    deliver_and_run(notifications, amqp_uri, tenant, invitation_due(tenant, stranger))

    assert status_becomes(notifications, stranger, "failed")["error"] == "unknown participant"
    [failed] = eventually(lambda: heard(tenant, "notification.failed", stranger), what="notification.failed")
    assert failed["data"]["final"] is True
    assert mail_sink.messages == []


def test_a_mail_left_sending_past_its_lease_is_not_resent_but_reported_uncertain(
        notifications, mail_sink, amqp_uri, tenant, mongo_client):
    # The state a process killed between its claim and the outcome leaves behind.
    amara = participant(tenant)
    deliver(amqp_uri, invitation_due(tenant, amara))
    [entry] = queued(notifications, amara)
    mongo_client[database_name(tenant["id"], "notifications")]["notifications"].update_one(
        {"_id": entry["notification_id"]},
        {"$set": {"status": "sending", "attempts": 1, "lease_until": "2020-01-01T00:00:00.000Z",
                  "claim": "x"}})

    assert run(notifications, tenant) == {"uncertain": 1}
    status_becomes(notifications, amara, "uncertain")
    [failed] = eventually(lambda: heard(tenant, "notification.failed", amara), what="notification.failed")
    assert failed["data"]["error"] == "interrupted while sending; not resent to avoid a duplicate"
    assert failed["data"]["final"] is True
    assert mail_sink.messages == []


# --- unsubscribing -----------------------------------------------------------------------------


def unsubscribe_link(message: EmailMessage) -> str:
    [link] = re.findall(r"<(http[^>]+)>", message["List-Unsubscribe"])
    assert link in text_of(message)
    return link


def test_the_unsubscribe_link_of_a_mail_withdraws_consent_once(notifications, mail_sink, amqp_uri, tenant,
                                                               mongo_client):
    zoe = participant(tenant, "fr")
    deliver_and_run(notifications, amqp_uri, tenant, invitation_due(tenant, zoe))
    message = mail_sink.wait_for(1)[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_link(message)
    assert link.startswith(f"{notifications.base_url}/u/{tenant['id']}.")
    page = Api(link).get("")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.text.index(">Me désabonner<") < page.text.index(">Unsubscribe<")  # hers first, both there
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text

    first = Api(link).post("", data={"List-Unsubscribe": "One-Click"})
    again = Api(link).post("", data={"List-Unsubscribe": "One-Click"})

    assert first.status_code == 200 and "Votre désabonnement est confirmé" in first.text
    assert again.status_code == 200 and "You were already unsubscribed" in again.text
    [withdrawn] = eventually(lambda: heard(tenant, "consent.withdrawn", zoe), what="consent.withdrawn")
    assert withdrawn["data"] == {"participant_id": zoe, "scope": "contact"}
    outbox = mongo_client[database_name(tenant["id"], "notifications")]["outbox"]
    assert outbox.count_documents({"type": "consent.withdrawn"}) == 1
    assert "already unsubscribed" in Api(link).get("").text


def test_an_unknown_unsubscribe_link_is_a_404_page(notifications, tenant):
    visitor = notifications.with_key(None)
    for token in (f"{tenant['id']}.{secrets.token_urlsafe(24)}", f"nobody.{secrets.token_urlsafe(24)}"):
        for answer in (visitor.get(f"/u/{token}"),
                       visitor.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})):
            assert answer.status_code == 404
            assert "This link is not valid" in answer.text


# --- the delivery log and the pass endpoint ----------------------------------------------------


def test_the_delivery_log_shows_statuses_and_never_an_address(notifications, mail_sink, amqp_uri, tenant):
    sent, skipped = participant(tenant), participant(tenant, surveys=False)
    deliver(amqp_uri, invitation_due(tenant, sent))
    deliver(amqp_uri, invitation_due(tenant, skipped))
    queued(notifications, sent)
    queued(notifications, skipped)
    run(notifications, tenant)

    analyst = notifications.with_key(tenant["analyst"])
    everything = analyst.get("/v1/notifications")
    assert everything.status_code == 200
    assert sorted(e["status"] for e in everything.json()["items"]) == ["sent", "skipped"]
    assert "@" not in everything.text and "Amara" not in everything.text
    only_skipped = analyst.get("/v1/notifications", params={"status": "skipped"}).json()["items"]
    assert [e["participant_id"] for e in only_skipped] == [skipped]
    first = analyst.get("/v1/notifications", params={"limit": 1}).json()
    second = analyst.get("/v1/notifications", params={"limit": 1, "after": first["next"]}).json()
    assert {first["items"][0]["participant_id"], second["items"][0]["participant_id"]} == {sent, skipped}
    assert second["next"] is None


def test_the_delivery_log_rejects_a_bad_filter_and_a_missing_key(notifications):
    answer = notifications.get("/v1/notifications", params={"status": "lost", "limit": 0})
    assert answer.status_code == 400
    assert set(answer.json()["fields"]) == {"status", "limit"}
    assert notifications.with_key(None).get("/v1/notifications").status_code == 401


def test_the_pass_endpoint_is_for_admins_and_wants_an_instant(notifications, tenant):
    for bad in ({}, {"as_of": "tomorrow"}, {"as_of": "2031-03-04T10:00:00"}):
        answer = notifications.with_key(tenant["admin"]).post("/v1/notifications/run", bad)
        assert answer.status_code == 400, bad
        assert answer.json()["fields"].keys() == {"as_of"}
    assert notifications.post("/v1/notifications/run", {"as_of": DAY.isoformat()}).status_code == 403
