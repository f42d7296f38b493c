"""The rules of a survey notification: which mail, who may get it, how its outcome is announced."""

from __future__ import annotations

import pytest

from services.notifications import rules
from services.notifications.storage import token_digest
from services.notifications.unsubscribe import new_token

DUE = {"invitation_id": "i1", "participant_id": "p1", "wave": "post", "attempt": 0,
       "link": "http://s.example/r/x", "closes_at": "2031-01-01T00:00:00Z"}


@pytest.mark.parametrize(("attempt", "template"), [(0, "survey_invitation"), (1, "survey_reminder"),
                                                   (2, "survey_reminder")])
def test_the_first_mail_is_the_invitation_and_every_later_one_a_reminder(attempt, template):
    assert rules.template_for(attempt) == template


@pytest.mark.parametrize(("consent", "allowed"), [
    ({"surveys": True, "contact": True}, True),
    ({"surveys": 1, "contact": 1}, True),
    ({"surveys": True, "contact": False}, False),
    ({"surveys": False, "contact": True}, False),
    ({}, False),
])
def test_a_mail_needs_consent_to_surveys_and_to_contact(consent, allowed):
    assert rules.may_mail({"consent": consent}) is allowed


def test_a_permanent_refusal_ends_at_once_and_a_transient_one_when_deliveries_run_out():
    assert rules.gives_up(transient=False, attempts=1, limit=5)
    assert not rules.gives_up(transient=True, attempts=4, limit=5)
    assert rules.gives_up(transient=True, attempts=5, limit=5)


def test_smtp_replies_lose_the_addresses_they_quote():
    detail = "recipient refused: 550 5.1.1 <amara.okafor@example.org>: unknown; also bob@x.example"
    assert rules.redact(detail) == "recipient refused: 550 5.1.1 <address>: unknown; also <address>"


def test_a_sent_notification_is_announced_with_ids_only():
    notification = rules.new_notification("n1", rules.INVITATION, DUE, "e1", "2030-01-01T00:00:00.000Z")
    announcement = rules.conclude(notification, rules.SENT, at="2030-01-01T00:00:01.000Z")

    assert announcement == ("notification.sent", {
        "notification_id": "n1", "channel": "email", "template": "survey_invitation", "participant_id": "p1",
        "invitation_id": "i1", "attempt": 0})
    assert notification["sent_at"] == "2030-01-01T00:00:01.000Z"


@pytest.mark.parametrize("status", [rules.FAILED, rules.UNCERTAIN])
def test_a_failed_or_uncertain_notification_is_announced_as_a_final_failure(status):
    notification = rules.new_notification("n1", rules.REMINDER, {**DUE, "attempt": 2}, "e1", "t")
    event_type, data = rules.conclude(notification, status, "why")
    assert event_type == "notification.failed"
    assert (data["error"], data["attempts"], data["final"], data["attempt"]) == ("why", 0, True, 2)


def test_a_skipped_notification_is_not_announced():
    notification = rules.new_notification("n1", rules.INVITATION, DUE, "e1", "t")
    assert rules.conclude(notification, rules.SKIPPED) is None


def test_an_unsubscribe_token_names_its_tenant_and_is_stored_only_as_a_hash():
    token = new_token("toronto")
    tenant, _, secret = token.partition(".")
    assert tenant == "toronto" and len(secret) == 32
    assert new_token("toronto") != token
    assert token_digest(token) == token_digest(token) and secret not in token_digest(token)
