"""The intake service: employers, programs, cohorts, participants, enrolment, attendance.

Entrypoints only translate (HTTP body -> checked input, event -> data) and delegate to the use
cases in ``registration`` and ``delivery``.
"""
from __future__ import annotations

from nameko.rpc import rpc
from werkzeug.wrappers import Request

# the module, not the class: `nameko run services.intake.service` starts every class with
# entrypoints that it finds at the top level of this module, and ServiceBase has some
from services.common import ops
from services.common.events import event_handler
from services.common.http import READERS, api, json_body
from services.intake import delivery, registration
from services.intake.schemas import (
    AttendanceSchema,
    CohortSchema,
    CompletionSchema,
    ConsentChangeSchema,
    ConsentWithdrawnSchema,
    EmployerSchema,
    EnrolmentSchema,
    ParticipantSchema,
    ProgramSchema,
)
from services.intake.storage import EMPLOYERS, PARTICIPANTS, PROGRAMS, IntakeDatabase


class IntakeService(ops.ServiceBase):
    """Who takes part in which program, and how much of it they attended."""

    name = "intake"
    db = IntakeDatabase()

    @api("POST", "/v1/employers")
    def register_employer(self, request: Request) -> tuple[int, dict]:
        """201 employer; emits ``employer.registered``."""
        return 201, registration.register_employer(self.db, EmployerSchema().load(json_body(request)))

    @api("GET", "/v1/employers/<employer_id>", roles=READERS)
    def get_employer(self, request: Request, employer_id: str) -> dict:
        """The employer."""
        return self.db.get(EMPLOYERS, employer_id)

    @api("POST", "/v1/programs")
    def create_program(self, request: Request) -> tuple[int, dict]:
        """201 program; emits ``program.created``."""
        return 201, registration.create_program(self.db, ProgramSchema().load(json_body(request)))

    @api("GET", "/v1/programs/<program_id>", roles=READERS)
    def get_program(self, request: Request, program_id: str) -> dict:
        """The program."""
        return self.db.get(PROGRAMS, program_id)

    @api("POST", "/v1/cohorts")
    def open_cohort(self, request: Request) -> tuple[int, dict]:
        """201 cohort (open); emits ``cohort.opened``."""
        return 201, delivery.open_cohort(self.db, CohortSchema().load(json_body(request)))

    @api("GET", "/v1/cohorts/<cohort_id>", roles=READERS)
    def get_cohort(self, request: Request, cohort_id: str) -> dict:
        """The cohort with its enrolments and attendance."""
        return delivery.cohort_view(self.db, cohort_id)

    @api("POST", "/v1/cohorts/<cohort_id>/enrolments")
    def enrol(self, request: Request, cohort_id: str) -> tuple[int, dict]:
        """201 enrolment; emits ``participant.enrolled``."""
        return 201, delivery.enrol(self.db, cohort_id, EnrolmentSchema().load(json_body(request)))

    @api("POST", "/v1/cohorts/<cohort_id>/attendance")
    def record_attendance(self, request: Request, cohort_id: str) -> dict:
        """200 the session's attendance; emits ``attendance.recorded``."""
        session = AttendanceSchema().load(json_body(request))
        return delivery.record_attendance(self.db, cohort_id, session["session_index"], session["present"])

    @api("POST", "/v1/cohorts/<cohort_id>/complete")
    def complete_cohort(self, request: Request, cohort_id: str) -> dict:
        """200 cohort with its completers; emits ``cohort.completed``."""
        body = json_body(request) if request.get_data() else {}  # every field is optional: so is the body
        return delivery.complete(self.db, cohort_id, CompletionSchema().load(body)["ended_on"])

    @api("POST", "/v1/participants")
    def register_participant(self, request: Request) -> tuple[int, dict]:
        """201 participant (409 for an email registered already); emits ``participant.registered``."""
        return 201, registration.register_participant(self.db, ParticipantSchema().load(json_body(request)))

    @api("GET", "/v1/participants/<participant_id>", roles=READERS)
    def get_participant(self, request: Request, participant_id: str) -> dict:
        """The participant."""
        return self.db.get(PARTICIPANTS, participant_id)

    @api("PUT", "/v1/participants/<participant_id>/consent")
    def change_consent(self, request: Request, participant_id: str) -> dict:
        """200 participant; emits ``consent.changed``."""
        choices = ConsentChangeSchema().load(json_body(request))
        return registration.change_consent(self.db, participant_id, choices)

    @event_handler("notifications", "consent.withdrawn")
    def on_consent_withdrawn(self, event: dict) -> None:
        """An unsubscribe link withdrew a consent; emits ``consent.changed``."""
        withdrawal = ConsentWithdrawnSchema().load(event["data"])
        registration.apply_consent_withdrawal(self.db, withdrawal["participant_id"], withdrawal["scope"])

    @rpc
    def get_contact(self, participant_id: str) -> dict | None:
        """Contact data of a participant, for notifications at send time; None for an unknown id."""
        return registration.contact(self.db, participant_id)
