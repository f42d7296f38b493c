"""The other mails, through the queue and a real SMTP server: mentor introductions, session reminders
the day before each session, thank-you notes after a response, and a council's own templates."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from services.common.envelope import new_event
from tests.integration.notifications_support import (
    DAY,
    deliver,
    log_of,
    mails_to,
    participant,
    queued,
    run,
    status_becomes,
    text_of,
)

pytestmark = pytest.mark.usefixtures("notifications_stand_ins")


def intake_event(tenant: dict, event_type: str, data: dict) -> dict:
    return new_event("intake", event_type, tenant["id"], data)


def test_a_mentor_match_introduces_each_side_to_the_other_in_their_language(
        notifications, mail_sink, amqp_uri, tenant):
    mentor, mentee = participant(tenant, "en"), participant(tenant, "fr")
    deliver(amqp_uri, intake_event(tenant, "mentorship.matched", {
        "match_id": "m1", "mentor_id": mentor, "mentee_id": mentee, "occupation_noc": "21231", "score": 0.9,
        "planned_end": "2031-09-30"}), source="intake")
    queued(notifications, mentor)
    queued(notifications, mentee)

    assert run(notifications, tenant) == {"sent": 2}
    messages = mail_sink.wait_for(2)
    [to_mentor], [to_mentee] = mails_to(messages, mentor), mails_to(messages, mentee)
    assert to_mentor["Subject"] == f"Council {tenant['id']}: meet your mentee, Zoë"
    assert f"{mentee}@example.org" in text_of(to_mentor) and "Zoë Okafor" in text_of(to_mentor)
    assert to_mentee["Content-Language"] == "fr"
    assert "Amara Okafor" in text_of(to_mentee) and f"{mentor}@example.org" in text_of(to_mentee)
    assert "votre mentor" in to_mentee["Subject"]


def test_a_session_reminder_goes_out_the_day_before_the_session_only(
        notifications, mail_sink, amqp_uri, tenant):
    amara, cohort = participant(tenant), f"c{secrets.token_hex(4)}"
    # enrolled before the cohort's sessions are known: events come in any order
    deliver(amqp_uri, intake_event(tenant, "participant.enrolled", {
        "participant_id": amara, "cohort_id": cohort, "role": "newcomer", "program_kind": "caip",
        "employer_id": None}), source="intake")
    deliver(amqp_uri, intake_event(tenant, "cohort.opened", {
        "cohort_id": cohort, "program_id": "p1", "program_kind": "caip", "employer_ids": [],
        "start_date": "2020-01-01", "end_date": "2031-04-30", "sessions_planned": 3,
        "facilitated_by": "council",
        "sessions": [{"date": "2020-01-01", "topic": "Long past"},
                     {"date": "2031-03-10", "topic": "Canadian workplace culture"},
                     {"date": "2031-03-17", "topic": "Networking"}]}), source="intake")
    queued(notifications, amara, count=2)  # none for the session long past

    assert run(notifications, tenant, datetime(2031, 3, 8, 15, tzinfo=UTC)) == {}  # two days before
    assert run(notifications, tenant, datetime(2031, 3, 9, 15, tzinfo=UTC)) == {"sent": 1}  # the day before
    [reminder] = mail_sink.wait_for(1)
    assert reminder["Subject"] == f"Reminder: your Council {tenant['id']} session is tomorrow"
    assert "tomorrow, March 10, 2031: Canadian workplace culture." in text_of(reminder)
    # a pass that comes only after the next session began: too late to remind anyone
    assert run(notifications, tenant, datetime(2031, 3, 17, 15, tzinfo=UTC)) == {"cancelled": 1}
    assert sorted(e["status"] for e in log_of(notifications, amara)) == ["cancelled", "sent"]


def test_a_participant_who_answers_gets_a_thank_you_in_a_councils_own_words(
        start_notifications, service_env, mail_sink, amqp_uri, tenant, tmp_path):
    own = tmp_path / tenant["id"] / "fr"
    own.mkdir(parents=True)
    (own / "thank_you.subject.txt").write_text("Un grand merci, {{ given_name }}!\n", encoding="utf-8")
    service_env.setenv("NOTIFICATIONS_TEMPLATE_DIR", str(tmp_path))
    api = start_notifications(mail_sink.port)
    amara, zoe = participant(tenant, "en"), participant(tenant, "fr")
    for who in (amara, zoe):
        deliver(amqp_uri, new_event("surveys", "response.submitted", tenant["id"], {
            "response_id": f"r{secrets.token_hex(4)}", "invitation_id": "i1", "participant_id": who,
            "cohort_id": "c1", "role": "newcomer", "wave": "post", "instrument_key": "caip_post",
            "instrument_version": 1, "answers": {"satisfaction": 5}}))
        queued(api, who)

    assert run(api, tenant, DAY) == {"sent": 2}
    messages = mail_sink.wait_for(2)
    [to_amara], [to_zoe] = mails_to(messages, amara), mails_to(messages, zoe)
    assert to_amara["Subject"] == f"Thank you for your answers, from Council {tenant['id']}"
    assert to_zoe["Subject"] == "Un grand merci, Zoë!"  # the council's own subject ...
    assert "Merci d’avoir répondu à notre questionnaire." in text_of(to_zoe)  # ... and the built-in body
    assert status_becomes(api, zoe, "sent")["template"] == "thank_you"
