"""The surveys service: instruments, invitations and reminders, response collection.

Entrypoints translate and delegate; the rules live in ``invitations``, ``due``, ``projections``,
``responses`` and ``catalog``.
"""
from __future__ import annotations

from services.common import ops
from services.common.clock import now
from services.common.events import event_handler
from services.common.http import ADMIN, READERS, STAFF, api, json_body
from services.common.mongo import TenantDatabase
from services.common.openapi import Page
from services.common.timers import tenant_timer
from services.surveys import (
    catalog,
    invitations,
    projections,
    respondent,
    responses,
    schemas,
    storage,
)
from services.surveys.council import Council
from services.surveys.due import run_due_pass
from services.surveys.instrument_schema import InstrumentSchema


# `ops.ServiceBase`, not the bare name: `nameko run services.surveys.service` runs every class with
# entrypoints found at the top level of this module, and the base class would run as a service of its own.
class SurveysService(ops.ServiceBase):
    """Surveys (port 8002)."""

    name = "surveys"
    db = TenantDatabase(indexes=storage.INDEXES)
    council = Council()

    # --- intake's events -------------------------------------------------------------------------

    @event_handler("intake", "participant.registered")
    def on_participant_registered(self, event: dict) -> None:
        data = schemas.ParticipantRegisteredSchema().load(event["data"])
        projections.participant_registered(self.db, data, event["time"])

    @event_handler("intake", "consent.changed")
    def on_consent_changed(self, event: dict) -> None:
        data = schemas.ConsentChangedSchema().load(event["data"])
        projections.consent_changed(self.db, data, event["time"], now())

    @event_handler("intake", "cohort.opened")
    def on_cohort_opened(self, event: dict) -> None:
        projections.cohort_opened(self.db, schemas.CohortOpenedSchema().load(event["data"]))

    @event_handler("intake", "participant.enrolled")
    def on_participant_enrolled(self, event: dict) -> None:
        data = schemas.ParticipantEnrolledSchema().load(event["data"])
        projections.participant_enrolled(self.db, data, self.council.timezone, now())

    @event_handler("intake", "cohort.completed")
    def on_cohort_completed(self, event: dict) -> None:
        cohort = schemas.CohortCompletedSchema().load(event["data"])
        projections.cohort_completed(self.db, cohort, self.council.timezone, now())

    @event_handler("intake", "mentorship.matched")
    def on_mentorship_matched(self, event: dict) -> None:
        projections.mentorship_matched(self.db, schemas.MentorshipMatchedSchema().load(event["data"]))

    @event_handler("intake", "mentorship.ended")
    def on_mentorship_ended(self, event: dict) -> None:
        data = schemas.MentorshipEndedSchema().load(event["data"])
        projections.mentorship_ended(self.db, data, event["time"], self.council.timezone, now())

    @event_handler("intake", "participant.withdrawn")
    def on_participant_withdrawn(self, event: dict) -> None:
        data = schemas.ParticipantWithdrawnSchema().load(event["data"])
        projections.participant_withdrawn(self.db, data, now())

    @event_handler("intake", "participant.erased")
    def on_participant_erased(self, event: dict) -> None:
        data = schemas.ParticipantErasedSchema().load(event["data"])
        projections.participant_erased(self.db, data["participant_id"], now())

    # --- due work --------------------------------------------------------------------------------

    @tenant_timer()
    def run_due_work(self) -> dict:
        """The due-work pass as of now, for each served tenant."""
        return self._due_pass(now())

    @api("POST", "/v1/scheduler/run", roles=ADMIN, body=schemas.SchedulerRunSchema, answer=schemas.RunAnswer)
    def run_scheduler(self, request):
        """Run the due-work pass as of an instant (``as_of``), as the timer does with the current time.

        It sends what fell due (or cancels it, as of what is known then), reminds who has not
        answered, and expires what closed."""
        as_of = schemas.SchedulerRunSchema().load(json_body(request))["as_of"]
        return 200, self._due_pass(as_of)

    def _due_pass(self, as_of) -> dict:
        return run_due_pass(self.db, as_of, base_url=self.council.base_url, timezone=self.council.timezone)

    # --- instruments and invitations -------------------------------------------------------------

    @api("GET", "/v1/instruments", roles=READERS, answer=schemas.InstrumentsAnswer)
    def list_instruments(self, request):
        """The standard CAIP instruments and the council's own."""
        return 200, {"items": catalog.listing(self.db), "next": None}

    @api("POST", "/v1/instruments", roles=STAFF, body=InstrumentSchema, answer=schemas.InstrumentAnswer,
         status=201)
    def create_instrument(self, request):
        """Add one of the council's own instruments (409: a standard key, or a version it has).

        It keeps the standard items of its wave that the indicators read, and from then on replaces
        the standard instrument for new invitations of that wave and its roles."""
        return 201, catalog.add(self.db, json_body(request))

    @api("GET", "/v1/invitations", roles=STAFF, query=schemas.InvitationQuerySchema,
         answer=schemas.InvitationsAnswer)
    def list_invitations(self, request):
        """Invitations, filtered and paged in id order (never with their links)."""
        query = schemas.InvitationQuerySchema().load(request.args.to_dict())
        limit, after = query.pop("limit"), query.pop("after")
        found = storage.invitation_page(self.db, query, limit, after)
        return 200, {**found, "items": [invitations.public_view(doc) for doc in found["items"]]}

    # --- responses -------------------------------------------------------------------------------

    # a respondent's link (`<tenant>.<secret>`): pages in the participant's language, or `?lang=`
    @api("GET", "/r/<token>", token_arg="token", answer=Page, conflicts=(410,))
    def respondent_form(self, request, token: str):
        """The survey form (HTML); 404 for no such link, 410 for one used or expired."""
        return respondent.show_form(self.db, self.council, request, token)

    @api("POST", "/r/<token>", token_arg="token", body=schemas.RespondentAnswersSchema,
         answer=schemas.SubmittedPage, conflicts=(410,))
    def respondent_submit(self, request, token: str):
        """Submit the answers, from the form or as JSON: the thank-you page, or (400) the errors.

        A browser gets the form again with each error by its item and the answers kept."""
        return respondent.submit(self.db, self.council, request, token)

    @api("POST", "/v1/responses", roles=STAFF, body=schemas.PaperResponseSchema,
         answer=schemas.PaperResponseAnswer, status=201)
    def create_paper_response(self, request):
        """Enter a paper response, validated as a respondent's answers are.

        409: the invitation takes no response now (answered, expired, cancelled)."""
        body = schemas.PaperResponseSchema().load(json_body(request))
        return 201, responses.record_paper(self.db, body["invitation_id"], body["answers"], now())
