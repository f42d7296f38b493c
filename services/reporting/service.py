"""The reporting service: projections of intake's and surveys' events, and the indicators over them."""

from __future__ import annotations

from services.common import ops
from services.common.clock import stamp
from services.common.events import event_handler
from services.common.http import READERS, api
from services.common.mongo import TenantDatabase
from services.reporting import figures, projection, storage
from services.reporting.schemas import IndicatorsQuerySchema


# `ops.ServiceBase`, not the bare name: `nameko run services.reporting.service` runs every class with
# entrypoints found in this module, and the base class would run as a service of its own.
class ReportingService(ops.ServiceBase):
    """Nameko entrypoints only: each translates and delegates."""

    name = "reporting"
    db = TenantDatabase(indexes=storage.INDEXES)

    def _project(self, event: dict) -> None:
        # The whole effect in one transaction, with the event id: a redelivery changes nothing.
        changes = projection.changes_for(event)
        with self.db.transaction() as tx:
            storage.record(tx, projection.log_entry(event), changes)

    @event_handler("intake", "employer.registered")
    def on_employer_registered(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "program.created")
    def on_program_created(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "cohort.opened")
    def on_cohort_opened(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "cohort.completed")
    def on_cohort_completed(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "participant.registered")
    def on_participant_registered(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "participant.enrolled")
    def on_participant_enrolled(self, event: dict) -> None:
        self._project(event)

    @event_handler("surveys", "invitation.scheduled")
    def on_invitation_scheduled(self, event: dict) -> None:
        self._project(event)

    @event_handler("surveys", "invitation.due")
    def on_invitation_due(self, event: dict) -> None:
        self._project(event)

    @event_handler("surveys", "invitation.cancelled")
    def on_invitation_cancelled(self, event: dict) -> None:
        self._project(event)

    @event_handler("surveys", "invitation.expired")
    def on_invitation_expired(self, event: dict) -> None:
        self._project(event)

    @event_handler("surveys", "response.submitted")
    def on_response_submitted(self, event: dict) -> None:
        self._project(event)

    @api("GET", "/v1/indicators", roles=READERS)
    def indicators(self, request):
        """The survey-based indicators over any breakdown; `indicator=I2,I3` restricts the rows."""
        query = IndicatorsQuerySchema().load(request.args.to_dict())
        as_of = stamp()
        return 200, figures.indicators_answer(storage.load_snapshot(self.db), query, as_of)
