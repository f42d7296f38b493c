"""What each event received changes in the projections, whatever order the events come in."""

import pytest
from marshmallow import ValidationError

from services.common.envelope import new_event
from services.reporting.projection import Change, changes_for, log_entry


def event(service, event_type, data, **kwargs):
    return new_event(service, event_type, "toronto", data, **kwargs)


def apply(events):
    """The projection documents the events build, applied in the given order as storage would."""
    docs: dict[tuple[str, str], dict] = {}
    for received in events:
        for change in changes_for(received):
            docs.setdefault((change.collection, change.doc_id), {}).update(change.fields)
    return docs


def test_an_enrolment_is_one_document_per_participant_and_cohort():
    enrolled = event("intake", "participant.enrolled", {
        "participant_id": "p1", "cohort_id": "c1", "role": "newcomer", "program_kind": "caip",
        "employer_id": "e1", "program_id": "g1"})
    [change] = changes_for(enrolled)
    assert change == Change("enrolments", "c1:p1", {
        "participant_id": "p1", "cohort_id": "c1", "role": "newcomer", "program_kind": "caip",
        "employer_id": "e1", "program_id": "g1", "enrolled_at": enrolled["time"]})


def test_a_response_marks_its_invitation_responded_and_keeps_the_coded_answers():
    submitted = event("surveys", "response.submitted", {
        "response_id": "r1", "invitation_id": "i1", "participant_id": "p1", "cohort_id": "c1",
        "role": "manager", "wave": "post", "instrument_key": "caip_post", "instrument_version": 2,
        "answers": {"satisfaction": 4}})
    invitation, response = changes_for(submitted)
    assert invitation == Change("invitations", "i1", {
        "participant_id": "p1", "cohort_id": "c1", "wave": "post", "role": "manager",
        "responded_at": submitted["time"]})
    assert response.collection == "responses" and response.doc_id == "r1"
    assert response.fields["answers"] == {"satisfaction": 4}
    assert response.fields["submitted_at"] == submitted["time"]


def test_cohort_events_merge_in_either_order_and_a_missing_field_erases_nothing():
    opened = event("intake", "cohort.opened", {
        "cohort_id": "c1", "program_id": "g1", "program_kind": "caip", "employer_ids": ["e1"],
        "start_date": "2025-04-01", "end_date": "2025-06-30", "facilitated_by": "council"})
    completed = event("intake", "cohort.completed", {
        "cohort_id": "c1", "program_kind": "caip", "ended_on": "2025-06-27", "program_id": None,
        "enrolments": []})
    in_order, reversed_order = apply([opened, completed]), apply([completed, opened])
    assert in_order == reversed_order
    cohort = in_order[("cohorts", "c1")]
    assert (cohort["program_id"], cohort["ended_on"]) == ("g1", "2025-06-27")


def test_invitation_events_record_their_own_times_whatever_their_order():
    scheduled = event("surveys", "invitation.scheduled", {
        "invitation_id": "i1", "participant_id": "p1", "cohort_id": "c1", "wave": "post", "role": "newcomer",
        "program_kind": "caip", "instrument_key": "caip_post", "due_at": "x", "closes_at": "y"})
    due = event("surveys", "invitation.due", {
        "invitation_id": "i1", "participant_id": "p1", "wave": "post", "link": "http://s/r/toronto.secret",
        "attempt": 0, "cohort_id": "c1"})
    docs = apply([due, scheduled])
    invitation = docs[("invitations", "i1")]
    assert invitation["scheduled_at"] == scheduled["time"] and invitation["last_sent_at"] == due["time"]
    assert invitation["role"] == "newcomer"
    assert "link" not in invitation


def test_fields_other_producers_add_are_ignored_and_events_not_projected_change_nothing():
    registered = event("intake", "employer.registered", {
        "employer_id": "e1", "name": "Acme", "sector": "it", "size_class": "small", "city": "Toronto",
        "new_field": 1})
    assert changes_for(registered) == [Change("employers", "e1", {
        "employer_id": "e1", "size_class": "small", "sector": "it", "city": "Toronto"})]
    assert changes_for(event("intake", "attendance.recorded", {"cohort_id": "c1", "present": []})) == []


def test_an_event_without_the_id_it_is_about_is_refused():
    with pytest.raises(ValidationError) as refused:
        changes_for(event("surveys", "response.submitted", {"invitation_id": "i1", "answers": {}}))
    assert "response_id" in refused.value.messages


def test_the_log_keeps_the_envelope_as_received_without_the_respondents_link():
    due = event("surveys", "invitation.due", {"invitation_id": "i1", "link": "http://s/r/x.y", "attempt": 1},
                subject="i1")
    entry = log_entry(due)
    assert entry["_id"] == due["id"]
    assert (entry["type"], entry["time"], entry["subject"]) == ("invitation.due", due["time"], "i1")
    assert entry["data"] == {"invitation_id": "i1", "attempt": 1}
    assert due["data"]["link"]  # the event itself is left as it was
