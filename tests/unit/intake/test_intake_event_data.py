"""What intake's events carry: ids and coded facts, never a participant's name, email or phone."""

from services.intake import event_data
from services.intake.storage import PERSONAL_FIELDS

PARTICIPANT = {
    "id": "par_1", "given_name": "Amina", "family_name": "Haddad", "email": "amina@example.org",
    "phone": "+1 613 555 0101", "preferred_language": "fr", "role": "newcomer", "employer_id": "emp_1",
    "occupation_noc": "21231", "years_in_canada": 3,
    "consent": {"version": "2026-01", "surveys": True, "research": False, "contact": True, "updated_at": "x"},
}


def test_participant_registered_carries_the_coded_profile_only():
    assert event_data.participant_registered(PARTICIPANT) == {
        "participant_id": "par_1", "role": "newcomer", "employer_id": "emp_1", "occupation_noc": "21231",
        "years_in_canada": 3, "preferred_language": "fr",
        "consent": {"surveys": True, "research": False, "contact": True},
    }


def test_no_event_about_a_participant_contains_their_personal_data():
    cohort = {"id": "coh_1", "program_id": "prg_1", "program_kind": "caip", "employer_ids": ["emp_1"],
              "sessions_planned": 4}
    enrolment = {"participant_id": "par_1", "role": "newcomer"}
    events = [event_data.participant_registered(PARTICIPANT),
              event_data.participant_enrolled(enrolment, cohort, PARTICIPANT),
              event_data.consent_changed("par_1", PARTICIPANT["consent"])]
    for data in events:
        assert not set(data) & set(PERSONAL_FIELDS)
        for personal in ("Amina", "Haddad", "amina@example.org", "+1 613 555 0101"):
            assert personal not in repr(data)


def test_participant_enrolled_names_the_program_and_the_participants_employer():
    cohort = {"id": "coh_1", "program_id": "prg_1", "program_kind": "caip_2"}
    enrolment = {"participant_id": "par_1", "role": "trainer"}
    assert event_data.participant_enrolled(enrolment, cohort, PARTICIPANT) == {
        "participant_id": "par_1", "cohort_id": "coh_1", "role": "trainer", "program_kind": "caip_2",
        "employer_id": "emp_1", "program_id": "prg_1"}


def test_cohort_completed_carries_each_enrolments_result_and_the_programs_facts():
    cohort = {"id": "coh_1", "program_id": "prg_1", "program_kind": "caip_sme", "employer_ids": ["emp_1"],
              "sessions_planned": 4}
    results = [{"participant_id": "par_1", "role": "manager", "sessions_attended": 3, "completed": True}]
    assert event_data.cohort_completed(cohort, "2026-06-30", results) == {
        "cohort_id": "coh_1", "program_kind": "caip_sme", "ended_on": "2026-06-30", "enrolments": results,
        "program_id": "prg_1", "employer_ids": ["emp_1"], "sessions_planned": 4}
