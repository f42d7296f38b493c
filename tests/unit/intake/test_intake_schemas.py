"""What intake's request bodies accept, and the messages a client gets for what they do not."""

import pytest
from marshmallow import ValidationError

from services.intake.schemas import (
    AttendanceSchema,
    CohortSchema,
    ConsentChangeSchema,
    ConsentWithdrawnSchema,
    EmployerSchema,
    ParticipantSchema,
    ProgramSchema,
)


def _errors(schema, body):
    with pytest.raises(ValidationError) as refused:
        schema.load(body)
    return refused.value.messages


def test_an_employer_given_its_employee_count_gets_the_size_class():
    body = {"name": "Acme", "sector": "Retail", "employee_count": 120, "city": "Ottawa"}
    assert EmployerSchema().load(body)["size_class"] == "medium"


def test_an_employer_whose_size_class_contradicts_its_count_is_refused():
    body = {"name": "Acme", "sector": "Retail", "size_class": "large", "employee_count": 12, "city": "Ottawa"}
    assert _errors(EmployerSchema(), body) == {
        "size_class": ["Does not match employee_count 12, which is small."]}


def test_an_employee_count_must_be_a_json_integer():
    body = {"name": "Acme", "sector": "Retail", "employee_count": "120", "city": "Ottawa"}
    assert _errors(EmployerSchema(), body) == {"employee_count": ["Not a valid integer."]}


def test_an_sme_program_must_plan_four_sessions():
    body = {"name": "SME", "kind": "caip_sme", "sessions_planned": 6}
    assert _errors(ProgramSchema(), body) == {"sessions_planned": ["A caip_sme program has 4 sessions."]}


def test_train_the_trainer_is_false_unless_said_and_must_be_a_boolean():
    program = ProgramSchema().load({"name": "CAIP", "kind": "caip", "sessions_planned": 6})
    assert program["train_the_trainer"] is False
    body = {"name": "CAIP", "kind": "caip", "sessions_planned": 6, "train_the_trainer": 1}
    assert _errors(ProgramSchema(), body) == {"train_the_trainer": ["Not a valid boolean."]}


def _cohort(**changes):
    return {"program_id": "prg_1", "name": "Spring", "employer_ids": ["emp_1", "emp_1"],
            "start_date": "2026-03-01", "end_date": "2026-06-30", "delivery": "virtual",
            "sessions": [{"date": "2026-03-05", "topic": "Intro"}], "facilitated_by": "council", **changes}


def test_a_cohort_keeps_dates_as_iso_text_and_names_each_employer_once():
    cohort = CohortSchema().load(_cohort())
    assert (cohort["start_date"], cohort["employer_ids"]) == ("2026-03-01", ["emp_1"])


def test_a_cohort_that_ends_before_it_starts_is_refused_naming_end_date():
    errors = _errors(CohortSchema(), _cohort(end_date="2026-02-01"))
    assert errors == {"end_date": ["Must not be before start_date."]}


def test_a_cohort_names_each_bad_session_field():
    errors = _errors(CohortSchema(), _cohort(sessions=[{"date": "soon"}], delivery="by_post"))
    assert errors == {
        "sessions": {0: {"date": ["Not a valid date."], "topic": ["Missing data for required field."]}},
        "delivery": ["Must be one of: virtual, in_person, hybrid."]}


def _participant(**changes):
    return {"given_name": "Amina", "family_name": "Haddad", "email": "amina@example.org",
            "preferred_language": "fr", "role": "newcomer", "occupation_noc": "21231",
            "consent": {"version": "2026-01", "surveys": True, "research": False, "contact": True}, **changes}


def test_a_participants_optional_fields_default_to_none():
    participant = ParticipantSchema().load(_participant())
    optional = (participant["phone"], participant["employer_id"], participant["years_in_canada"])
    assert optional == (None, None, None)


def test_a_participant_with_bad_fields_is_refused_naming_each():
    body = _participant(occupation_noc="2123", years_in_canada=81, email="not-an-email", role="boss",
                        consent={"surveys": "yes"})
    assert _errors(ParticipantSchema(), body) == {
        "occupation_noc": ["Must be a NOC code of 5 digits."],
        "years_in_canada": ["Must be greater than or equal to 0 and less than or equal to 80."],
        "email": ["Not a valid email address."],
        "role": ["Must be one of: newcomer, manager, hr_leader, senior_leader, trainer, mentor, mentee."],
        "consent": {"version": ["Missing data for required field."], "surveys": ["Not a valid boolean."],
                    "research": ["Missing data for required field."],
                    "contact": ["Missing data for required field."]},
    }


def test_a_consent_change_needs_every_choice():
    assert _errors(ConsentChangeSchema(), {"surveys": False}) == {
        "research": ["Missing data for required field."], "contact": ["Missing data for required field."]}


def test_attendance_lists_each_participant_once():
    attendance = AttendanceSchema().load({"session_index": 0, "present": ["par_a", "par_a"]})
    assert attendance["present"] == ["par_a"]


def test_a_consent_withdrawal_ignores_fields_its_producer_adds_later():
    data = ConsentWithdrawnSchema().load({"participant_id": "par_a", "scope": "contact", "channel": "email"})
    assert data == {"participant_id": "par_a", "scope": "contact"}
