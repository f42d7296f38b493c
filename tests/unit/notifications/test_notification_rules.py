"""The rules of a notification, with no I/O: consent, announcements, hours, backoff, webhook outcomes."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime

import pytest

from services.common.config import ConfigError, load_settings
from services.common.tokens import new_public_token
from services.notifications import causes, rules, schedule, webhooks
from services.notifications.storage import token_document


@pytest.mark.parametrize(("attempt", "template"), [(0, "survey_invitation"), (1, "survey_reminder"),
                                                   (2, "survey_reminder")])
def test_the_first_mail_is_the_invitation_and_every_later_one_a_reminder(attempt, template):
    assert rules.template_for(attempt) == template


@pytest.mark.parametrize(("template", "consent", "allowed"), [
    ("survey_invitation", {"surveys": True, "contact": True}, True),
    ("survey_invitation", {"surveys": 1, "contact": 1}, True),
    ("survey_invitation", {"surveys": False, "contact": True}, False),
    ("thank_you", {"surveys": False, "contact": True}, False),
    ("mentor_match", {"surveys": False, "contact": True}, True),
    ("session_reminder", {"surveys": True, "contact": False}, False),
    ("mentor_match", {}, False),
])
def test_every_mail_needs_contact_consent_and_survey_mail_surveys_consent_too(template, consent, allowed):
    assert rules.may_mail(template, {"consent": consent}) is allowed


def test_smtp_replies_lose_the_addresses_they_quote():
    detail = "recipient refused: 550 5.1.1 <amara.okafor@example.org>: unknown; also bob@x.example"
    assert rules.redact(detail) == "recipient refused: 550 5.1.1 <address>: unknown; also <address>"


def test_a_sent_mail_is_announced_with_ids_only_and_a_retry_as_a_non_final_failure():
    mail = rules.new_notification("n1", rules.INVITATION, "p1", "e1", "t", invitation_id="i1")
    ids = {"notification_id": "n1", "channel": "email", "template": "survey_invitation",
           "participant_id": "p1", "invitation_id": "i1", "attempt": 0}
    assert rules.announcement({**mail, "status": rules.SENT}) == ("notification.sent", ids)
    retried = {**mail, "status": rules.QUEUED, "error": "451 try later", "attempts": 1}  # queued again
    assert rules.announcement(retried) == ("notification.failed", {**ids, "error": "451 try later",
                                                                   "attempts": 1, "final": False})
    failed = {**mail, "status": rules.FAILED, "error": "550 no such mailbox", "attempts": 1}
    assert rules.announcement(failed) == ("notification.failed", {**ids, "error": "550 no such mailbox",
                                                                  "attempts": 1, "final": True})
    assert rules.announcement({**mail, "status": rules.SKIPPED}) is None
    assert rules.announcement({**mail, "status": rules.CANCELLED}) is None


def test_a_webhook_retry_is_announced_as_a_non_final_failure_and_a_dead_letter_as_a_final_one():
    delivery = webhooks.new_delivery("d1", {"_id": "s1"}, {"id": "e1", "type": "cohort.completed"}, "t")
    ids = {"notification_id": "d1", "channel": "webhook", "template": "cohort.completed",
           "participant_id": None, "invitation_id": None, "subscription_id": "s1", "event_id": "e1"}
    assert webhooks.announcement({**delivery, "status": webhooks.DELIVERED}) == ("notification.sent", ids)
    retried = {**delivery, "status": webhooks.QUEUED, "error": "HTTP 503: {}", "attempts": 1}
    assert webhooks.announcement(retried) == ("notification.failed", {**ids, "error": "HTTP 503: {}",
                                                                      "attempts": 1, "final": False})
    dead = {**delivery, "status": webhooks.DEAD, "error": "HTTP 500: {}", "attempts": 4}
    assert webhooks.announcement(dead) == ("notification.failed", {**ids, "error": "HTTP 500: {}",
                                                                   "attempts": 4, "final": True})


@pytest.mark.parametrize(("hours", "local", "allowed"), [
    ("08:00-20:00", (7, 59), False), ("08:00-20:00", (8, 0), True), ("08:00-20:00", (19, 59), True),
    ("08:00-20:00", (20, 0), False), ("00:00-24:00", (23, 59), True), ("22:00-06:00", (23, 0), True),
    ("22:00-06:00", (5, 59), True), ("22:00-06:00", (12, 0), False),
])
def test_sending_hours_are_read_in_the_councils_time_zone(hours, local, allowed):
    toronto_winter = datetime(2031, 1, 15, local[0] + 5, local[1], tzinfo=UTC) if local[0] < 19 else \
        datetime(2031, 1, 16, local[0] - 19, local[1], tzinfo=UTC)
    assert load_settings({"NOTIFICATIONS_SENDING_HOURS": hours}).notifications_sending_hours == hours
    assert schedule.SendingHours.parse(hours).allow(toronto_winter, "America/Toronto") is allowed


@pytest.mark.parametrize("hours", ["08:00-24:30", "24:00-08:00", "8:00-20:00", "08:00-20:60", "08:00",
                                   "08:00-20:00 ", "eight to eight"])
def test_sending_hours_the_service_cannot_read_stop_it_at_start_naming_the_variable(hours):
    with pytest.raises(ConfigError, match=f"NOTIFICATIONS_SENDING_HOURS: expected HH:MM-HH:MM from 00:00 "
                                          f"to 24:00, got '{hours}'"):
        load_settings({"NOTIFICATIONS_SENDING_HOURS": hours})
    with pytest.raises(ValueError):
        schedule.SendingHours.parse(hours)


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600),
                                                 (20, 3600)])
def test_backoff_is_full_jitter_under_a_doubling_ceiling_and_a_cap(attempt, ceiling):
    rng = random.Random(7)
    delays = [schedule.backoff_seconds(attempt, 30, 3600, rng) for _ in range(500)]
    assert all(0 <= delay <= ceiling for delay in delays)
    # spread over the whole range, not a fixed delay: some near nothing, some near the ceiling
    assert min(delays) < 0.05 * ceiling and max(delays) > 0.95 * ceiling
    assert 0.4 * ceiling < sum(delays) / len(delays) < 0.6 * ceiling


def test_a_session_reminder_is_due_the_day_before_and_none_is_queued_for_a_past_session():
    queued = causes.session_reminders("c1", [{"date": "2031-03-10", "topic": "T"}, {"date": "2020-01-01"}],
                                      ["p1"], "America/Toronto", lambda: "n", "2031-01-01T00:00:00.000Z")
    [reminder] = queued
    # midnight in Toronto: EST on the 9th, EDT (DST began that night) on the 10th
    assert (reminder["not_before"], reminder["expires_at"]) == ("2031-03-09T05:00:00.000Z",
                                                                "2031-03-10T04:00:00.000Z")
    assert reminder["cause_event_id"] == "c1#0"


@pytest.mark.parametrize(("code", "verdict"), [
    (200, "delivered"), (204, "delivered"), (None, "retry"), (408, "retry"), (429, "retry"), (500, "retry"),
    (503, "retry"), (400, "refused"), (404, "refused"), (410, "refused"), (301, "refused"),
])
def test_webhook_outcomes_retry_timeouts_5xx_408_and_429_only(code, verdict):
    assert webhooks.outcome(code) == verdict


def test_an_unsubscribe_link_is_stored_under_the_sha256_of_its_token_and_never_the_token():
    token = new_public_token("toronto")
    document = token_document(token, "p1", "n1", "fr")
    assert document["_id"] == hashlib.sha256(token.encode()).hexdigest()
    secret = token.partition(".")[2]
    assert token not in str(document) and secret not in str(document)


def test_a_webhook_signature_is_the_hmac_sha256_of_the_body():
    body = webhooks.body_of({"id": "e1", "type": "cohort.completed"})
    assert webhooks.signature("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


