"""The intake service: employers, programs, cohorts, participants, enrolment, attendance, the CSV
import, withdrawal, erasure, mentoring, and organisational change at employers.

Entrypoints only translate (HTTP body -> checked input, event -> data) and delegate to the use
cases: ``registration``, ``delivery``, ``imports``, ``withdrawal``, ``attendance_history``,
``erasure``, ``matching`` and ``organisation``. Dates are the council's: "today" is its calendar day
in its time zone (``_today``), not the machine's.
"""
from __future__ import annotations

from nameko.rpc import rpc
from werkzeug.wrappers import Request

# the module, not the class: `nameko run services.intake.service` starts every class with
# entrypoints that it finds at the top level of this module, and ServiceBase has some
from services.common import ops
from services.common.clock import local_day, now
from services.common.council import Council
from services.common.events import event_handler
from services.common.http import ADMIN, READERS, api, json_body
from services.intake import answer_schemas as a
from services.intake import (
    attendance_history,
    delivery,
    erasure,
    imports,
    matching,
    organisation,
    registration,
    withdrawal,
)
from services.intake.csv_upload import csv_text
from services.intake.mentoring_schemas import EndMatchSchema, MatchSchema, SuggestionQuerySchema
from services.intake.org_change_schemas import AssessmentSchema, CertificationSchema, ChangeSchema
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
    WithdrawalSchema,
)
from services.intake.storage import PARTICIPANTS, PROGRAMS, IntakeDatabase


class IntakeService(ops.ServiceBase):
    """Who takes part in which program, and how much of it they attended."""

    name = "intake"
    db = IntakeDatabase()
    council = Council()

    def _today(self) -> str:
        """The council's calendar day now, in its time zone (ISO date): what "today" means to its rules."""
        return local_day(now(), self.council.timezone).isoformat()

    # Every write may answer 409 (a concurrent change to the same records, or an Idempotency-Key reused
    # for another request): /openapi.json says so for every idempotent write. `answer_schemas` describe
    # the answers.
    @api("POST", "/v1/employers", body=EmployerSchema, answer=a.EmployerAnswer, status=201)
    def register_employer(self, request: Request) -> tuple[int, dict]:
        """201 employer; emits ``employer.registered``."""
        return 201, registration.register_employer(self.db, EmployerSchema().load(json_body(request)))

    @api("GET", "/v1/employers/<employer_id>", roles=READERS, answer=a.EmployerAnswer)
    def get_employer(self, request: Request, employer_id: str) -> dict:
        """The employer, with its assessments, adopted changes and certified trainers."""
        return organisation.employer_view(self.db, employer_id)

    @api("POST", "/v1/programs", body=ProgramSchema, answer=a.ProgramAnswer, status=201)
    def create_program(self, request: Request) -> tuple[int, dict]:
        """201 program; emits ``program.created``."""
        return 201, registration.create_program(self.db, ProgramSchema().load(json_body(request)))

    @api("GET", "/v1/programs/<program_id>", roles=READERS, answer=a.ProgramAnswer)
    def get_program(self, request: Request, program_id: str) -> dict:
        """The program."""
        return self.db.get(PROGRAMS, program_id)

    @api("POST", "/v1/cohorts", body=CohortSchema, answer=a.CohortAnswer, status=201)
    def open_cohort(self, request: Request) -> tuple[int, dict]:
        """201 cohort (open); emits ``cohort.opened``."""
        return 201, delivery.open_cohort(self.db, CohortSchema().load(json_body(request)))

    @api("GET", "/v1/cohorts/<cohort_id>", roles=READERS, answer=a.CohortAnswer)
    def get_cohort(self, request: Request, cohort_id: str) -> dict:
        """The cohort with its enrolments and attendance."""
        return delivery.cohort_view(self.db, cohort_id)

    @api("POST", "/v1/cohorts/<cohort_id>/enrolments", body=EnrolmentSchema, answer=a.EnrolmentAnswer,
         status=201)
    def enrol(self, request: Request, cohort_id: str) -> tuple[int, dict]:
        """201 enrolment; emits ``participant.enrolled``."""
        return 201, delivery.enrol(self.db, cohort_id, EnrolmentSchema().load(json_body(request)))

    @api("POST", "/v1/cohorts/<cohort_id>/attendance", body=AttendanceSchema,
         answer=a.AttendanceSessionAnswer)
    def record_attendance(self, request: Request, cohort_id: str) -> dict:
        """200 the session's attendance; emits ``attendance.recorded``."""
        session = AttendanceSchema().load(json_body(request))
        return delivery.record_attendance(self.db, cohort_id, session["session_index"], session["present"])

    @api("POST", "/v1/cohorts/<cohort_id>/complete", body=CompletionSchema, answer=a.CohortAnswer)
    def complete_cohort(self, request: Request, cohort_id: str) -> dict:
        """200 cohort with its completers; emits ``cohort.completed``."""
        body = json_body(request) if request.get_data() else {}  # every field is optional: so is the body
        return delivery.complete(self.db, cohort_id, CompletionSchema().load(body)["ended_on"])

    @api("POST", "/v1/participants", body=ParticipantSchema, answer=a.ParticipantAnswer, status=201)
    def register_participant(self, request: Request) -> tuple[int, dict]:
        """201 participant (409 for an email registered already); emits ``participant.registered``."""
        return 201, registration.register_participant(self.db, ParticipantSchema().load(json_body(request)))

    @api("GET", "/v1/participants/<participant_id>", roles=READERS, answer=a.ParticipantAnswer)
    def get_participant(self, request: Request, participant_id: str) -> dict:
        """The participant."""
        return self.db.get(PARTICIPANTS, participant_id)

    @api("DELETE", "/v1/participants/<participant_id>", roles=ADMIN, status=204)
    def erase_participant(self, request: Request, participant_id: str) -> tuple[int, None]:
        """204; erases the participant's personal data (admin only); emits ``participant.erased``."""
        erasure.erase_participant(self.db, participant_id)
        return 204, None

    @api("PUT", "/v1/participants/<participant_id>/consent", body=ConsentChangeSchema,
         answer=a.ParticipantAnswer)
    def change_consent(self, request: Request, participant_id: str) -> dict:
        """200 participant; emits ``consent.changed``."""
        choices = ConsentChangeSchema().load(json_body(request))
        return registration.change_consent(self.db, participant_id, choices)

    @api("POST", "/v1/participants/<participant_id>/withdraw", body=WithdrawalSchema,
         answer=a.WithdrawnEnrolmentAnswer)
    def withdraw(self, request: Request, participant_id: str) -> dict:
        """200 withdrawn enrolment (400: not enrolled there; 409: cohort completed, withdrawn already);
        emits ``participant.withdrawn``."""
        return withdrawal.withdraw(self.db, participant_id, WithdrawalSchema().load(json_body(request)))

    @api("GET", "/v1/participants/<participant_id>/attendance", roles=READERS,
         answer=a.AttendanceHistoryAnswer)
    def participant_attendance(self, request: Request, participant_id: str) -> dict:
        """The participant's cohorts, each with the sessions they were present at."""
        return attendance_history.attendance_history(self.db, participant_id)

    # streamed: no Idempotency-Key fingerprint (it would read the body whole); a re-upload is
    # idempotent anyway, registered emails being skipped as duplicates
    # the body is text/csv, which the kernel's generator cannot declare (it knows JSON bodies only)
    @api("POST", "/v1/imports/participants", max_body=imports.MAX_BODY, idempotent=False,
         answer=a.ImportAnswer, conflicts=(409,))
    def import_participants(self, request: Request) -> dict:
        """200 {accepted, rejected [{row, errors}], duplicates} for a ``text/csv`` body; emits
        ``participant.registered`` (and ``participant.enrolled``) for each row written."""
        return imports.import_participants(self.db, csv_text(request))

    @api("GET", "/v1/mentoring/suggestions", query=SuggestionQuerySchema, answer=a.SuggestionsAnswer)
    def suggest_mentors(self, request: Request) -> dict:
        """The best available mentors for ``mentee_id``: ``{mentee_id, items [{mentor_id, score, reasons}],
        scoring}``."""
        query = SuggestionQuerySchema().load(request.args.to_dict())
        return matching.suggestions(self.db, query["mentee_id"], query["limit"])

    @api("POST", "/v1/mentoring/matches", body=MatchSchema, answer=a.MatchAnswer, status=201)
    def match_mentor(self, request: Request) -> tuple[int, dict]:
        """201 match (409: mentor at capacity, mentee matched already); emits ``mentorship.matched``."""
        return 201, matching.match(self.db, MatchSchema(today=self._today()).load(json_body(request)))

    @api("GET", "/v1/mentoring/matches/<match_id>", roles=READERS, answer=a.MatchAnswer)
    def get_match(self, request: Request, match_id: str) -> dict:
        """The match."""
        return matching.get_match(self.db, match_id)

    @api("POST", "/v1/mentoring/matches/<match_id>/end", body=EndMatchSchema, answer=a.EndedMatchAnswer)
    def end_match(self, request: Request, match_id: str) -> dict:
        """200 ended match (409 if it ended already); emits ``mentorship.ended``."""
        return matching.end(self.db, match_id, EndMatchSchema().load(json_body(request)), self._today())

    @api("POST", "/v1/employers/<employer_id>/assessments", body=AssessmentSchema, answer=a.AssessmentAnswer,
         status=201)
    def deliver_assessment(self, request: Request, employer_id: str) -> tuple[int, dict]:
        """201 assessment, its recommendations with ids; emits ``assessment.delivered``."""
        assessment = AssessmentSchema(today=self._today()).load(json_body(request))
        return 201, organisation.deliver_assessment(self.db, employer_id, assessment)

    @api("POST", "/v1/employers/<employer_id>/changes", body=ChangeSchema, answer=a.ChangeAnswer, status=201)
    def record_org_change(self, request: Request, employer_id: str) -> tuple[int, dict]:
        """201 change; emits ``org_change.recorded``."""
        change = ChangeSchema(today=self._today()).load(json_body(request))
        return 201, organisation.record_change(self.db, employer_id, change)

    @api("POST", "/v1/participants/<participant_id>/certifications", body=CertificationSchema,
         answer=a.CertificationAnswer, status=201)
    def certify(self, request: Request, participant_id: str) -> tuple[int, dict]:
        """201 certification (400: no employer; 409: certified already); emits ``trainer.certified``."""
        certification = CertificationSchema(today=self._today()).load(json_body(request))
        return 201, organisation.certify(self.db, participant_id, certification)

    @event_handler("notifications", "consent.withdrawn")
    def on_consent_withdrawn(self, event: dict) -> None:
        """An unsubscribe link withdrew a consent; emits ``consent.changed``."""
        withdrawal = ConsentWithdrawnSchema().load(event["data"])
        registration.apply_consent_withdrawal(self.db, withdrawal["participant_id"], withdrawal["scope"])

    @rpc
    def get_contact(self, participant_id: str) -> dict | None:
        """Contact data of a participant, for notifications at send time; None for an unknown id."""
        return registration.contact(self.db, participant_id)
