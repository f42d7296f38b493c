"""When invitations fall due and close, what the due pass decides, and what the events carry."""
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.clock import stamp
from services.surveys.due import summary
from services.surveys.instrument_schema import load_instrument
from services.surveys.invitations import (
    Enrolment,
    SendContext,
    closes_at_for,
    cohort_has_ended,
    due_at_for,
    due_event,
    is_open_at,
    new_invitation,
    next_reminder_at,
    public_view,
    reminded_changes,
    send_decision,
    sent_changes,
)
from services.surveys.standard import standard_instrument_for

POST = standard_instrument_for("post")
TORONTO = "America/Toronto"
NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 10:00 in Toronto
CONSENTING = {"registered": True, "consent": {"surveys": True}}


def invitation(wave="post", role="newcomer", status="scheduled", due=NOW) -> dict:
    instrument = standard_instrument_for(wave)
    made = new_invitation(Enrolment("p1", "c1", role, "caip"), wave, instrument, due, TORONTO)
    return {**made, "status": status}


def test_post_and_baseline_go_out_at_once_when_their_day_has_come():
    assert due_at_for("post", date(2026, 3, 1), TORONTO, NOW) == NOW
    assert due_at_for("post", date(2026, 1, 5), TORONTO, NOW) == NOW
    assert due_at_for("baseline", date(2026, 3, 1), TORONTO, NOW) == NOW


def test_a_post_wave_for_a_cohort_ending_later_goes_out_at_nine_that_morning():
    assert stamp(due_at_for("post", date(2026, 6, 30), TORONTO, NOW)) == "2026-06-30T13:00:00.000Z"
    vancouver = due_at_for("post", date(2026, 6, 30), "America/Vancouver", NOW)
    assert stamp(vancouver) == "2026-06-30T16:00:00.000Z"


def test_follow_ups_go_out_at_nine_local_ninety_and_three_hundred_sixty_five_days_after_the_end():
    ended = date(2026, 1, 10)  # winter: EST, UTC-5
    # 2026-04-10 is summer time (EDT, UTC-4): 09:00 local is 13:00 UTC, not 14:00
    assert stamp(due_at_for("fu3", ended, TORONTO, NOW)) == "2026-04-10T13:00:00.000Z"
    assert stamp(due_at_for("fu12", ended, TORONTO, NOW)) == "2027-01-10T14:00:00.000Z"


def test_a_follow_up_whose_day_passed_is_due_now():
    assert due_at_for("fu3", date(2025, 6, 1), TORONTO, NOW) == NOW


@pytest.mark.parametrize(("wave", "days"), [("post", 30), ("fu3", 30), ("fu12", 45)])
def test_a_waves_window_stays_open_thirty_days_and_fu12_forty_five(wave, days):
    due = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # no DST change within 45 days
    assert closes_at_for(due, wave, TORONTO) - due == timedelta(days=days)


def test_a_window_across_the_dst_change_closes_at_the_same_wall_clock_time():
    due = datetime(2026, 10, 20, 13, 0, tzinfo=UTC)  # 09:00 EDT; clocks go back on 2026-11-01
    closes = closes_at_for(due, "fu3", TORONTO)
    assert stamp(closes) == "2026-11-19T14:00:00.000Z"  # 09:00 EST
    assert closes - due == timedelta(days=30, hours=1)


def test_reminders_go_out_at_nine_local_seven_days_after_the_previous_mail():
    sent = sent_changes(NOW, TORONTO, "newcomer")
    assert (sent["status"], sent["reminders"], sent["role"]) == ("sent", 0, "newcomer")
    assert sent["next_reminder_at"] == "2026-03-08T13:00:00.000Z"  # DST began on 2026-03-08
    later = datetime(2026, 3, 8, 13, 0, 5, tzinfo=UTC)
    assert reminded_changes({"reminders": 0}, later, TORONTO) == {
        "reminders": 1, "next_reminder_at": "2026-03-15T13:00:00.000Z"}
    assert next_reminder_at(datetime(2026, 3, 2, 4, 30, tzinfo=UTC), TORONTO).day == 8  # 23:30 on the 1st


def test_every_role_the_instrument_asks_something_gets_an_invitation_and_others_none():
    mentoring = load_instrument({
        "key": "mentoring_exit", "version": 1, "wave": "baseline", "roles": ["mentee"],
        "items": [{"id": "fit", "type": "likert5", "required": True,
                   "text": {"en": "Good fit.", "fr": "Bon jumelage."}},
                  *[dict(id=i.id, type=i.type, text={"en": i.text.en, "fr": i.text.fr})
                    for i in standard_instrument_for("baseline").items if i.shown_to("mentee")]]})
    assert new_invitation(Enrolment("p1", "c1", "mentor"), "baseline", mentoring, NOW, TORONTO) is None
    made = new_invitation(Enrolment("p1", "c1", "mentee", "mentoring"), "baseline", mentoring, NOW, TORONTO)
    assert (made["instrument_key"], made["instrument_version"], made["status"]) == ("mentoring_exit", 1,
                                                                                   "scheduled")


def test_an_unknown_participant_waits_for_their_registration():
    assert send_decision(invitation(), SendContext(None), NOW, TORONTO) == "wait"
    # consent known from consent.changed, but not registered yet: still wait
    pending = {"registered": False, "consent": {"surveys": True}}
    assert send_decision(invitation(), SendContext(pending), NOW, TORONTO) == "wait"


def test_what_is_known_at_send_time_decides():
    assert send_decision(invitation(), SendContext(CONSENTING), NOW, TORONTO) == "send"
    # MongoDB may hand booleans back as 1/0
    assert send_decision(invitation(), SendContext({"registered": 1, "consent": {"surveys": 0}}),
                         NOW, TORONTO) == "consent"
    assert send_decision(invitation(), SendContext(CONSENTING, withdrawn=True), NOW, TORONTO) == "withdrawn"
    assert send_decision(invitation(), SendContext({"state": "erased"}), NOW, TORONTO) == "erased"


def test_a_baseline_is_not_sent_once_the_cohort_has_ended():
    ended = {"end_date": "2026-03-01"}
    assert cohort_has_ended(ended, NOW, TORONTO)
    assert not cohort_has_ended({"end_date": "2026-03-02"}, NOW, TORONTO)
    assert cohort_has_ended({"end_date": "2026-05-01", "ended_on": "2026-02-27"}, NOW, TORONTO)
    assert not cohort_has_ended({"end_date": "2026-02-01", "ended_on": "2026-03-05"}, NOW, TORONTO)
    context = SendContext(CONSENTING, cohort=ended)
    assert send_decision(invitation("baseline"), context, NOW, TORONTO) == "cohort_ended"
    assert send_decision(invitation("post"), context, NOW, TORONTO) == "send"


def test_an_invitation_is_open_until_it_closes_or_leaves_the_open_states():
    open_one = {"status": "sent", "closes_at": stamp(NOW)}
    assert is_open_at(open_one, NOW - timedelta(seconds=1))
    assert not is_open_at(open_one, NOW)
    assert not is_open_at({**open_one, "status": "responded"}, NOW - timedelta(days=1))


def test_events_and_views_carry_what_their_readers_need_and_no_token():
    made = invitation()
    event = due_event(made, "https://x/r/t.secret", 1)
    assert set(event) == {"invitation_id", "participant_id", "wave", "link", "attempt", "cohort_id",
                          "closes_at", "instrument_key", "role", "program_kind"}
    assert "secret" not in str(public_view(made))
    assert public_view(made)["id"] == made["_id"]


def test_the_pass_counts_every_mail_as_due():
    assert summary(Counter(sent=2, reminded=3, expired=1)) == {
        "due": 5, "sent": 2, "reminded": 3, "expired": 1, "cancelled": 0, "waiting": 0}
