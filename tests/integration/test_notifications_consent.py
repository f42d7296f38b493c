"""Consent and erasure end to end, with the real intake service: unsubscribing, and ``participant.erased``.

Intake and notifications run in-process on real RabbitMQ and the Mongo server; surveys' part is
played by publishing its ``invitation.due`` events. Contact data and consent come from intake
by RPC when each mail is sent.
"""

from __future__ import annotations

import re
import secrets

import pytest
import requests

from services.common.tenancy import database_name
from services.notifications.service import NotificationsService
from tests.integration.test_notifications_delivery import (
    deliver,
    invitation_due,
    log_of,
    queued,
    run,
    status_becomes,
    text_of,
)
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually


@pytest.fixture
def notifications(intake, service_env, container_factory, amqp_uri, tenant, mail_sink) -> Api:
    service_env.setenv("SMTP_PORT", str(mail_sink.port))
    return Api(start_service(container_factory, NotificationsService, amqp_uri), tenant["staff"])


def register(intake: Api, lang: str = "en") -> dict:
    answer = intake.post("/v1/participants", {
        "given_name": "Zoë" if lang == "fr" else "Amara", "family_name": "Okafor",
        "email": f"p{secrets.token_hex(5)}@example.org", "preferred_language": lang, "role": "newcomer",
        "occupation_noc": "21231", "years_in_canada": 2,
        "consent": {"version": "2026-01", "surveys": True, "research": False, "contact": True}})
    assert answer.status_code == 201, answer.text
    return answer.json()


def mails_to(mail_sink, person: dict) -> list:
    return [m for m in mail_sink.messages if m["To"].addresses[0].addr_spec == person["email"]]


def test_one_click_unsubscribe_withdraws_contact_consent_in_intake_and_stops_mail(
        notifications, intake, mail_sink, amqp_uri, tenant):
    zoe = register(intake, "fr")
    deliver(amqp_uri, invitation_due(tenant, zoe["id"]))
    queued(notifications, zoe["id"])
    run(notifications, tenant)
    [mail] = mail_sink.wait_for(1)
    assert "Bonjour Zoë," in text_of(mail)
    [link] = re.findall(r"<(http[^>]+)>", mail["List-Unsubscribe"])

    assert "Me désabonner" in requests.get(link, timeout=10).text  # the page asks first
    assert intake.get(f"/v1/participants/{zoe['id']}").json()["consent"]["contact"] is True
    answer = requests.post(link, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert answer.status_code == 200

    eventually(lambda: intake.get(f"/v1/participants/{zoe['id']}").json()["consent"]["contact"] is False,
               what="intake to withdraw contact consent")
    deliver(amqp_uri, invitation_due(tenant, zoe["id"], attempt=1))
    queued(notifications, zoe["id"], count=2)
    assert run(notifications, tenant) == {"skipped": 1}
    assert len(mails_to(mail_sink, zoe)) == 1


def test_an_erased_participant_is_never_mailed_again_and_their_links_stop_working(
        notifications, intake, mail_sink, amqp_uri, tenant, mongo_client):
    amara, marker = register(intake), register(intake)
    deliver(amqp_uri, invitation_due(tenant, amara["id"]))
    queued(notifications, amara["id"])
    run(notifications, tenant)
    [link] = re.findall(r"<(http[^>]+)>", mail_sink.wait_for(1)[0]["List-Unsubscribe"])
    deliver(amqp_uri, invitation_due(tenant, amara["id"], attempt=1))
    queued(notifications, amara["id"], count=2)  # a reminder waits in the queue

    erased = requests.delete(f"{intake.base_url}/v1/participants/{amara['id']}",
                             headers={"Authorization": f"Bearer {tenant['admin']}"}, timeout=10)
    assert erased.status_code == 204, erased.text

    reminder = status_becomes(notifications, amara["id"], "cancelled")
    assert (reminder["template"], reminder["error"]) == ("survey_reminder", "participant erased")
    assert requests.get(link, timeout=10).status_code == 404
    late = deliver(amqp_uri, invitation_due(tenant, amara["id"], attempt=2))
    processed = mongo_client[database_name(tenant["id"], "notifications")]["processed_events"]
    eventually(lambda: processed.find_one({"_id": f"{late['id']}/on_invitation_due"}),
               what="the late event handled")
    deliver(amqp_uri, invitation_due(tenant, marker["id"]))
    queued(notifications, marker["id"])
    assert run(notifications, tenant) == {"sent": 1}
    assert [e["status"] for e in log_of(notifications, amara["id"])] == ["sent", "cancelled"]
    assert len(mails_to(mail_sink, amara)) == 1 and len(mails_to(mail_sink, marker)) == 1
