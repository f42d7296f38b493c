"""What the notifications integration tests share: intake's stand-in and a subscriber to what
notifications publishes (started by the ``notifications_stand_ins`` fixture), events that queue mail,
the sending pass run as of a chosen instant, the delivery log, and the mails as received.

The stand-in, a small nameko service named ``intake``, answers ``get_contact`` from ``CONTACTS``, per
tenant, as the real one does; the subscriber keeps what it hears in ``HEARD``.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from email.message import EmailMessage

from nameko.events import event_handler as plain_event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from services.common.envelope import new_event
from tests.support.amqp import publish_event
from tests.support.http import Api
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


def unsubscribe_link(message: EmailMessage) -> str:
    [link] = re.findall(r"<(http[^>]+)>", message["List-Unsubscribe"])
    assert link in text_of(message)
    return link
