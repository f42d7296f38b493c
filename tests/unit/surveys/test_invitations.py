"""When invitations fall due and close, whom a cohort's completion invites, what the due pass decides."""
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.clock import stamp
from services.surveys.due import summary
from services.surveys.instruments import load_instrument, standard_instrument_for
from services.surveys.invitations import (
    Decision,
    closes_at_for,
    due_at_for,
    due_event,
    is_open_at,
    plan_invitations,
    public_view,
    reminded_changes,
    send_decision,
    sent_changes,
)

POST = standard_instrument_for("post")
NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def cohort(*enrolments: tuple[str, str]) -> dict:
    return {"cohort_id": "c1", "program_kind": "caip",
            "enrolments": [{"participant_id": pid, "role": role} for pid, role in enrolments]}


def test_a_wave_falls_due_at_midnight_in_the_councils_time_zone():
    assert stamp(due_at_for(date(2026, 6, 30), "America/Toronto", NOW)) == "2026-06-30T04:00:00.000Z"
    assert stamp(due_at_for(date(2026, 6, 30), "America/Vancouver", NOW)) == "2026-06-30T07:00:00.000Z"
    assert stamp(due_at_for(date(2026, 12, 30), "America/Toronto", NOW)) == "2026-12-30T05:00:00.000Z"


def test_a_wave_whose_day_has_passed_is_due_now():
    assert due_at_for(date(2026, 2, 1), "America/Toronto", NOW) == NOW
    assert due_at_for(date(2026, 3, 1), "America/Toronto", NOW) == NOW  # midnight today is past too


@pytest.mark.parametrize(("wave", "days"), [("post", 30), ("fu3", 30), ("fu12", 45)])
def test_a_waves_window_stays_open_thirty_days_and_fu12_forty_five(wave, days):
    assert closes_at_for(NOW, wave) - NOW == timedelta(days=days)


def test_every_enrolment_gets_one_scheduled_invitation():
    planned = plan_invitations(cohort(("p1", "newcomer"), ("p2", "manager"), ("p1", "newcomer")), "post",
                               POST, NOW, skip=set())
    assert [(each["participant_id"], each["role"], each["status"]) for each in planned] == [
        ("p1", "newcomer", "scheduled"), ("p2", "manager", "scheduled")]
    assert {each["instrument_key"] for each in planned} == {"caip_post"}
    assert len({each["_id"] for each in planned}) == 2
    assert planned[0]["closes_at"] == stamp(NOW + timedelta(days=30))


def test_those_already_invited_or_withdrawn_are_skipped():
    planned = plan_invitations(cohort(("p1", "newcomer"), ("p2", "newcomer")), "post", POST, NOW,
                               skip={"p1"})
    assert [each["participant_id"] for each in planned] == ["p2"]


def test_a_role_the_instrument_is_not_for_is_not_invited():
    mentoring = load_instrument({"key": "mentoring_exit", "version": 1, "wave": "post", "roles": ["mentee"],
                                 "items": [{"id": "fit", "type": "likert5", "required": True,
                                            "text": {"en": "Good fit.", "fr": "Bon jumelage."}}]})
    planned = plan_invitations(cohort(("p1", "mentee"), ("p2", "mentor")), "post", mentoring, NOW, set())
    assert [each["participant_id"] for each in planned] == ["p1"]


def test_an_unknown_participant_waits_for_their_registration():
    assert send_decision(None) is Decision.WAIT
    # consent known from consent.changed, but not registered yet: still wait
    assert send_decision({"registered": False, "consent": {"surveys": True}}) is Decision.WAIT


def test_no_survey_consent_cancels_and_consent_sends():
    assert send_decision({"registered": True, "consent": {"surveys": False}}) is Decision.CANCEL
    # MongoDB may hand booleans back as 1/0
    assert send_decision({"registered": 1, "consent": {"surveys": 0}}) is Decision.CANCEL
    assert send_decision({"registered": 1, "consent": {"surveys": 1}}) is Decision.SEND


def test_reminders_follow_seven_days_after_each_mail():
    sent = sent_changes(NOW)
    assert (sent["status"], sent["reminders"]) == ("sent", 0)
    assert sent["next_reminder_at"] == stamp(NOW + timedelta(days=7))
    later = NOW + timedelta(days=7)
    assert reminded_changes({"reminders": 0}, later) == {
        "reminders": 1, "next_reminder_at": stamp(later + timedelta(days=7))}


def test_an_invitation_is_open_until_it_closes_or_leaves_the_open_states():
    invitation = {"status": "sent", "closes_at": stamp(NOW)}
    assert is_open_at(invitation, NOW - timedelta(seconds=1))
    assert not is_open_at(invitation, NOW)
    assert not is_open_at({**invitation, "status": "responded"}, NOW - timedelta(days=1))


def test_events_and_views_carry_what_their_readers_need_and_no_token():
    [invitation] = plan_invitations(cohort(("p1", "newcomer")), "post", POST, NOW, set())
    event = due_event(invitation, "https://x/r/t.secret", 1)
    assert set(event) == {"invitation_id", "participant_id", "wave", "link", "attempt", "cohort_id",
                          "closes_at", "instrument_key"}
    assert "secret" not in str(public_view(invitation))
    assert public_view(invitation)["id"] == invitation["_id"]


def test_the_pass_counts_every_mail_as_due():
    assert summary(Counter(sent=2, reminded=3, lost=1, expired=1)) == {
        "due": 5, "sent": 2, "reminded": 3, "expired": 1, "cancelled": 0, "waiting": 0}
