"""What intake accepts: the bodies of its HTTP requests and the data of the events it handles.

JSON types are taken strictly (``"3"`` is not a number, ``1`` is not a boolean) so that a client's
mistake is named instead of guessed at. Rules that need no stored data run here; rules that do
(the program a cohort delivers, the ids it names) run in the use cases.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from services.common.fields import IsoDate, StrictBoolean, StrictInteger
from services.intake.cohorts import DELIVERIES, FACILITATORS
from services.intake.employers import SIZE_CLASSES, resolve_size_class
from services.intake.enrolments import WITHDRAWAL_REASONS
from services.intake.mentoring import MAX_CAPACITY, check_capacity_holder
from services.intake.participants import (
    CONSENT_SCOPES,
    LANGUAGES,
    MAX_YEARS_IN_CANADA,
    NOC_PATTERN,
    ROLES,
)
from services.intake.programs import PROGRAM_KINDS, check_program

NAME = validate.Length(min=1, max=200)
ID = validate.Length(min=1, max=64)


class EmployerSchema(Schema):
    """``POST /v1/employers``: ``size_class`` or ``employee_count`` (both must agree)."""

    name = fields.String(required=True, validate=NAME)
    sector = fields.String(required=True, validate=NAME)
    size_class = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SIZE_CLASSES))
    employee_count = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=1))
    city = fields.String(required=True, validate=NAME)

    @post_load
    def _derive_size_class(self, employer: dict, **_: object) -> dict:
        employer["size_class"] = resolve_size_class(employer["size_class"], employer["employee_count"])
        return employer


class ProgramSchema(Schema):
    """``POST /v1/programs``."""

    name = fields.String(required=True, validate=NAME)
    kind = fields.String(required=True, validate=validate.OneOf(PROGRAM_KINDS))
    sessions_planned = StrictInteger(required=True, validate=validate.Range(min=1, max=200))
    train_the_trainer = StrictBoolean(load_default=False)

    @validates_schema
    def _fits_its_kind(self, program: dict, **_: object) -> None:
        check_program(program["kind"], program["sessions_planned"])


class SessionSchema(Schema):
    """One planned session of a cohort."""

    date = IsoDate(required=True)
    topic = fields.String(required=True, validate=NAME)


class CohortSchema(Schema):
    """``POST /v1/cohorts``."""

    program_id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=NAME)
    employer_ids = fields.List(fields.String(validate=ID), required=True)
    start_date = IsoDate(required=True)
    end_date = IsoDate(required=True)
    delivery = fields.String(required=True, validate=validate.OneOf(DELIVERIES))
    sessions = fields.List(fields.Nested(SessionSchema), required=True, validate=validate.Length(min=1))
    facilitated_by = fields.String(required=True, validate=validate.OneOf(FACILITATORS))

    @validates_schema
    def _ends_after_it_starts(self, cohort: dict, **_: object) -> None:
        if cohort["end_date"] < cohort["start_date"]:
            raise ValidationError("Must not be before start_date.", "end_date")

    @post_load
    def _distinct_employers(self, cohort: dict, **_: object) -> dict:
        cohort["employer_ids"] = list(dict.fromkeys(cohort["employer_ids"]))
        return cohort


class ConsentSchema(Schema):
    """A participant's consent as first given, with the version of the text they agreed to."""

    version = fields.String(required=True, validate=validate.Length(min=1, max=50))
    surveys = StrictBoolean(required=True)
    research = StrictBoolean(required=True)
    contact = StrictBoolean(required=True)


class ParticipantSchema(Schema):
    """``POST /v1/participants``."""

    given_name = fields.String(required=True, validate=NAME)
    family_name = fields.String(required=True, validate=NAME)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))
    preferred_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    employer_id = fields.String(load_default=None, allow_none=True, validate=ID)
    occupation_noc = fields.String(required=True, validate=validate.Regexp(
        NOC_PATTERN, error="Must be a NOC code of 5 digits."))
    years_in_canada = StrictInteger(load_default=None, allow_none=True,
                                    validate=validate.Range(min=0, max=MAX_YEARS_IN_CANADA))
    consent = fields.Nested(ConsentSchema, required=True)
    # a mentor's: mentees at a time (mentoring.DEFAULT_CAPACITY when not given); stored only when given
    mentor_capacity = StrictInteger(validate=validate.Range(min=1, max=MAX_CAPACITY))

    @validates_schema
    def _capacity_is_a_mentors(self, participant: dict, **_: object) -> None:
        check_capacity_holder(participant["role"], participant.get("mentor_capacity"))


class ImportRowSchema(ParticipantSchema):
    """A row of ``POST /v1/imports/participants`` (csv_rows.py): a registration, and optionally the
    cohort to enrol the participant in (``enrolment_role`` defaults to the participant's role)."""

    cohort_id = fields.String(load_default=None, allow_none=True, validate=ID)
    enrolment_role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLES))

    @validates_schema
    def _role_needs_a_cohort(self, row: dict, **_: object) -> None:
        if row["enrolment_role"] is not None and row["cohort_id"] is None:
            raise ValidationError("Needs a cohort_id.", "enrolment_role")


class WithdrawalSchema(Schema):
    """``POST /v1/participants/{id}/withdraw``."""

    cohort_id = fields.String(required=True, validate=ID)
    reason = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_REASONS))


class ConsentChangeSchema(Schema):
    """``PUT /v1/participants/{id}/consent``: every choice, as it now stands."""

    surveys = StrictBoolean(required=True)
    research = StrictBoolean(required=True)
    contact = StrictBoolean(required=True)


class EnrolmentSchema(Schema):
    """``POST /v1/cohorts/{id}/enrolments``."""

    participant_id = fields.String(required=True, validate=ID)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class AttendanceSchema(Schema):
    """``POST /v1/cohorts/{id}/attendance``: everyone present at one session."""

    session_index = StrictInteger(required=True)
    present = fields.List(fields.String(validate=ID), required=True)

    @post_load
    def _distinct_participants(self, attendance: dict, **_: object) -> dict:
        attendance["present"] = list(dict.fromkeys(attendance["present"]))
        return attendance


class CompletionSchema(Schema):
    """``POST /v1/cohorts/{id}/complete``; ``ended_on`` defaults to the cohort's end_date."""

    ended_on = IsoDate(load_default=None, allow_none=True)


class ConsentWithdrawnSchema(Schema):
    """The data of notifications' ``consent.withdrawn``; fields added later by its producer are ignored."""

    class Meta:
        unknown = EXCLUDE

    participant_id = fields.String(required=True, validate=ID)
    scope = fields.String(required=True, validate=validate.OneOf(CONSENT_SCOPES))


class CouncilDaySchema(Schema):
    """A body whose rules need the council's calendar day: ``today`` (ISO date), decided by the caller
    (the service, in the council's time zone), so that the schema reads no clock and does no I/O.
    Built without it (for the OpenAPI document), it describes the body but loads none."""

    def __init__(self, *, today: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._today = today

    @property
    def today(self) -> str:
        """The council's calendar day the body is checked against."""
        if self._today is None:
            raise TypeError(f"{type(self).__name__} loads only with today= (the council's day)")
        return self._today
