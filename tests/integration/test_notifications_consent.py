"""Consent and erasure end to end, with the real intake service: unsubscribing, and ``participant.erased``.

Intake and notifications run in-process on real RabbitMQ and the Mongo server; surveys' part is
played by publishing its ``invitation.due`` events. Contact data and consent come from intake
by RPC when each mail is sent.
"""

from __future__ import annotations

from services.common.tenancy import database_name
from tests.integration import intake_support
from tests.integration.notifications_support import (
    deliver,
    invitation_due,
    log_of,
    queued,
    run,
    status_becomes,
    text_of,
    unsubscribe_link,
)
from tests.support.http import Api
from tests.support.waiting import eventually


def register(intake: Api, lang: str = "en") -> dict:
    return intake_support.participant(intake, given_name="Zoë" if lang == "fr" else "Amara",
                                      family_name="Okafor", preferred_language=lang)


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
    link = unsubscribe_link(mail)

    assert "Me désabonner" in Api(link).get("").text  # the page asks first
    assert intake.get(f"/v1/participants/{zoe['id']}").json()["consent"]["contact"] is True
    answer = Api(link).post("", data={"List-Unsubscribe": "One-Click"})
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
    link = unsubscribe_link(mail_sink.wait_for(1)[0])
    deliver(amqp_uri, invitation_due(tenant, amara["id"], attempt=1))
    queued(notifications, amara["id"], count=2)  # a reminder waits in the queue

    erased = intake.with_key(tenant["admin"]).delete(f"/v1/participants/{amara['id']}")
    assert erased.status_code == 204, erased.text

    reminder = status_becomes(notifications, amara["id"], "cancelled")
    assert (reminder["template"], reminder["error"]) == ("survey_reminder", "participant erased")
    assert Api(link).get("").status_code == 404
    late = deliver(amqp_uri, invitation_due(tenant, amara["id"], attempt=2))
    processed = mongo_client[database_name(tenant["id"], "notifications")]["processed_events"]
    eventually(lambda: processed.find_one({"_id": f"{late['id']}/on_invitation_due"}),
               what="the late event handled")
    deliver(amqp_uri, invitation_due(tenant, marker["id"]))
    queued(notifications, marker["id"])
    assert run(notifications, tenant) == {"sent": 1}
    assert [e["status"] for e in log_of(notifications, amara["id"])] == ["sent", "cancelled"]
    assert len(mails_to(mail_sink, amara)) == 1 and len(mails_to(mail_sink, marker)) == 1
