"""Mail through the queue over real RabbitMQ, the Mongo server and a local SMTP server.

A small nameko service named ``intake`` stands in for intake at the edge of ours: its
``get_contact`` answers from ``CONTACTS``, per tenant, as the real one does (the consent tests and
the e2e tests use the real one). A subscriber service records what notifications publishes.
Events only queue mail; each test runs the sending pass itself, as of an instant it chooses
(``POST /v1/notifications/run``), so sending hours and the rate limit are under its control.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from services.common.tenancy import database_name
from tests.integration.notifications_support import (
    CONTACTS,
    DAY,
    deliver,
    deliver_and_run,
    heard,
    invitation_due,
    log_of,
    mails_to,
    participant,
    queued,
    run,
    status_becomes,
    text_of,
    unsubscribe_link,
)
from tests.support.http import Api
from tests.support.smtp import ScriptedMailbox, smtp_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("notifications_stand_ins")


@pytest.fixture(autouse=True)
def retries(service_env) -> None:
    """Every notifications of this module retries a refused mail after a minute or more, three times."""
    service_env.setenv("NOTIFICATIONS_RETRY_BASE_SECONDS", "60")
    service_env.setenv("NOTIFICATIONS_RETRY_CAP_SECONDS", "600")
    service_env.setenv("NOTIFICATIONS_MAX_ATTEMPTS", "3")


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


def test_the_unsubscribe_link_of_a_mail_starts_with_the_configured_public_url(start_notifications, mail_sink,
                                                                             amqp_uri, tenant):
    notifications = start_notifications(mail_sink.port, public_url="https://notices.council.example/iec/")
    amara = participant(tenant)
    deliver_and_run(notifications, amqp_uri, tenant, invitation_due(tenant, amara))
    link = unsubscribe_link(mail_sink.wait_for(1)[0])
    assert link.startswith(f"https://notices.council.example/iec/u/{tenant['id']}.")


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
