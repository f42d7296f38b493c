"""How an ``invitation.due`` event ends, with hand-written fakes for the log, intake and the SMTP edge."""

from __future__ import annotations

import email
import uuid
from email import policy
from email.message import EmailMessage

import pytest
from marshmallow import ValidationError

from services.notifications import rules
from services.notifications.delivery import deliver_invitation
from services.notifications.mail import DeliveryError
from services.notifications.rules import Council
from services.notifications.storage import ClaimLost

TENANT = "calgary"


class FakeLog:
    def __init__(self) -> None:
        self.stored: dict[str, dict] = {}
        self.events: list[tuple[str, dict]] = []

    def find(self, template, participant_id, cause_event_id):
        key = (template, participant_id, cause_event_id)
        found = [n for n in self.stored.values()
                 if (n["template"], n["participant_id"], n["cause_event_id"]) == key]
        return dict(found[0]) if found else None

    def claim(self, notification):
        if notification["status"] == rules.NEW and notification["_id"] in self.stored:
            raise ClaimLost(notification["_id"])
        notification.update(status=rules.SENDING, attempts=notification["attempts"] + 1)
        self.stored[notification["_id"]] = dict(notification)

    def release(self, notification, error):
        notification.update(status=rules.PENDING, error=error)
        self.stored[notification["_id"]] = dict(notification)

    def finish(self, notification, announcement):
        self.stored[notification["_id"]] = dict(notification)
        if announcement:
            self.events.append(announcement)


class FakeTokens:
    def __init__(self) -> None:
        self.saved: list[tuple[str, str, str, str]] = []

    def save(self, token, participant_id, notification_id, lang):
        self.saved.append((token, participant_id, notification_id, lang))


class FakeIntake:
    def __init__(self, contact: dict | None) -> None:
        self.contact = contact

    def get_contact(self, participant_id):
        return self.contact


class FakePost:
    """The SMTP edge: refuses with ``refusals`` first, then accepts."""

    sender, domain, delivery_limit = "surveys@calgary.example", "calgary.example", 3

    def __init__(self, refusals: list[DeliveryError] | None = None, languages=("en", "fr")) -> None:
        self.refusals, self.sent = list(refusals or []), []
        self.languages = languages

    def council(self, tenant_id):
        return Council(name="Calgary Council", timezone="America/Edmonton", languages=self.languages)

    def unsubscribe_url(self, token):
        return f"http://notify.example/u/{token}"

    def send(self, message: EmailMessage):
        if self.refusals:
            raise self.refusals.pop(0)
        self.sent.append(email.message_from_bytes(message.as_bytes(), policy=policy.default))


def contact(lang="en", surveys=True, contact_ok=True) -> dict:
    return {"participant_id": "p1", "given_name": "Amara", "family_name": "Okafor",
            "email": "amara@example.org", "preferred_language": lang,
            "consent": {"surveys": surveys, "research": False, "contact": contact_ok}}


def due_event(attempt=0) -> dict:
    return {"id": str(uuid.uuid4()), "tenantid": TENANT, "type": "invitation.due",
            "data": {"invitation_id": "i1", "participant_id": "p1", "wave": "fu3", "attempt": attempt,
                     "link": "http://surveys.example/r/calgary.abc", "closes_at": "2031-03-01T12:00:00Z",
                     "cohort_id": "c1", "instrument_key": "caip_fu3"}}


def run(event, log, post, who=None, tokens=None):
    intake = FakeIntake(contact() if who is None else who)
    return deliver_invitation(event, log=log, tokens=tokens or FakeTokens(), intake=intake, post=post)


def test_a_sent_invitation_names_the_council_and_carries_its_unsubscribe_link():
    log, post, tokens = FakeLog(), FakePost(), FakeTokens()
    assert run(due_event(), log, post, tokens=tokens) == rules.SENT

    [message] = post.sent
    [(token, participant_id, notification_id, lang)] = tokens.saved
    assert token.startswith(f"{TENANT}.") and len(token.partition(".")[2]) == 32
    assert (participant_id, lang) == ("p1", "en")
    assert str(message["From"]) == "Calgary Council <surveys@calgary.example>"
    assert message["Reply-To"] == "surveys@calgary.example"
    assert message["List-Unsubscribe"] == f"<http://notify.example/u/{token}>"
    assert message["Message-ID"] == f"<{notification_id}@calgary.example>"
    assert [event_type for event_type, _ in log.events] == ["notification.sent"]


def test_a_language_the_council_does_not_offer_falls_back_to_english():
    post = FakePost(languages=("en",))
    run(due_event(), FakeLog(), post, who=contact("fr"))
    assert "Hello Amara," in post.sent[0].get_body(preferencelist=("plain",)).get_content()


def test_a_transient_refusal_with_deliveries_left_is_raised_for_a_retry_without_the_address():
    log = FakeLog()
    refusal = DeliveryError(True, "recipient refused: 452 <amara@example.org> mailbox full", 452)
    with pytest.raises(DeliveryError) as raised:
        run(due_event(), log, FakePost([refusal]))

    assert "amara@example.org" not in str(raised.value) and raised.value.transient
    [stored] = log.stored.values()
    assert (stored["status"], stored["attempts"]) == (rules.PENDING, 1)
    assert log.events == []


def test_the_retry_after_a_transient_refusal_sends_with_the_same_message_id():
    log, event = FakeLog(), due_event()
    post = FakePost([DeliveryError(True, "server replied: 451 later", 451)])
    with pytest.raises(DeliveryError):
        run(event, log, post)
    assert run(event, log, post) == rules.SENT
    [stored] = log.stored.values()
    assert stored["attempts"] == 2
    assert post.sent[0]["Message-ID"] == f"<{stored['_id']}@calgary.example>"


def test_transient_refusals_on_the_last_delivery_fail_the_notification_for_good():
    log, event = FakeLog(), due_event()
    post = FakePost([DeliveryError(True, "server replied: 421 busy", 421)] * 3)
    for _ in range(2):
        with pytest.raises(DeliveryError):
            run(event, log, post)

    assert run(event, log, post) == rules.FAILED
    [(event_type, data)] = log.events
    assert event_type == "notification.failed"
    assert (data["attempts"], data["final"], data["error"]) == (3, True, "server replied: 421 busy")


def test_a_redelivered_event_after_the_mail_left_sends_nothing():
    log, post, event = FakeLog(), FakePost(), due_event()
    run(event, log, post)
    assert run(event, log, post) == rules.SENT
    assert len(post.sent) == 1 and len(log.events) == 1


def test_a_notification_left_sending_is_reported_uncertain_and_not_resent():
    log, post, event = FakeLog(), FakePost(), due_event()
    log.stored["n1"] = {**rules.new_notification("n1", rules.INVITATION, event["data"], event["id"], "t"),
                        "status": rules.SENDING, "attempts": 1}

    assert run(event, log, post) == rules.UNCERTAIN
    assert post.sent == []
    [(event_type, data)] = log.events
    assert (event_type, data["error"], data["final"]) == ("notification.failed", rules.INTERRUPTED, True)


@pytest.mark.parametrize("who", [contact(surveys=False), contact(contact_ok=False)])
def test_without_both_consents_the_notification_is_skipped_silently(who):
    log, post = FakeLog(), FakePost()
    assert run(due_event(), log, post, who=who) == rules.SKIPPED
    assert post.sent == [] and log.events == []


def test_an_event_without_the_fields_a_mail_needs_is_refused_before_anything_happens():
    event = due_event()
    del event["data"]["closes_at"]
    with pytest.raises(ValidationError) as raised:
        run(event, FakeLog(), FakePost())
    assert "closes_at" in raised.value.messages
