"""The reporting service: projections of intake's and surveys' events, and the indicators over them."""

from __future__ import annotations

from services.common import ops
from services.common.clock import stamp
from services.common.council import Council
from services.common.events import event_handler
from services.common.http import ADMIN, READERS, STAFF, api, json_body
from services.common.mongo import FunderDatabases, TenantDatabase
from services.reporting import figures, insights, insights_render, projector, storage, subscribers
from services.reporting import published as stored_reports
from services.reporting.outlets import Outlets
from services.reporting.schemas import (
    FunderIndicatorsAnswerSchema,
    FunderQuerySchema,
    IndicatorsAnswerSchema,
    IndicatorsQuerySchema,
    InsightsPublishSchema,
    InsightsQuerySchema,
    InsightsReportSchema,
    PublishedReportSchema,
    ReportFormatSchema,
    ReportPublishedSchema,
    SubscriberCreatedSchema,
    SubscriberSchema,
)


# `ops.ServiceBase`, not the bare name: `nameko run services.reporting.service` runs every class with
# entrypoints found in this module, and the base class would run as a service of its own.
class ReportingService(ops.ServiceBase):
    """Nameko entrypoints only: each translates and delegates."""

    name = "reporting"
    db = TenantDatabase(indexes={**storage.INDEXES, **stored_reports.INDEXES})

    funder_dbs = FunderDatabases()

    def _project(self, event: dict) -> None:
        # The whole effect in one transaction, with the event id and the outcome events it causes.
        with self.db.transaction() as tx:
            projector.apply(tx, event, emit=lambda event_type, data: tx.emit(event_type, data, public=True))

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

    @event_handler("intake", "participant.withdrawn")
    def on_participant_withdrawn(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "participant.erased")
    def on_participant_erased(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "mentorship.matched")
    def on_mentorship_matched(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "mentorship.ended")
    def on_mentorship_ended(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "assessment.delivered")
    def on_assessment_delivered(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "org_change.recorded")
    def on_org_change_recorded(self, event: dict) -> None:
        self._project(event)

    @event_handler("intake", "trainer.certified")
    def on_trainer_certified(self, event: dict) -> None:
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

    @api("GET", "/v1/indicators", roles=READERS, query=IndicatorsQuerySchema, answer=IndicatorsAnswerSchema)
    def indicators(self, request):
        """Every indicator over any breakdown; `indicator=I2,I3` restricts the rows."""
        query = IndicatorsQuerySchema().load(request.args.to_dict())
        return 200, figures.indicators_answer(storage.load_snapshot(self.db), query, stamp())

    @api("GET", "/v1/funder/indicators", roles=("funder",), query=FunderQuerySchema,
         answer=FunderIndicatorsAnswerSchema)
    def funder_indicators(self, request):
        """A funder's aggregate over the councils that granted it, never below 5 (no individual records)."""
        query = FunderQuerySchema().load(request.args.to_dict())
        databases = self.funder_dbs(query.pop("tenants", None))
        snapshots = {tenant: storage.load_snapshot(db) for tenant, db in databases.items()}
        return 200, figures.funder_answer(snapshots, query, stamp())

    # --- outcomes for other systems: subscribers, the insights report (docs/outcomes.md) ---------------
    outlet = Outlets()
    council = Council()

    @api("POST", "/v1/subscribers", roles=ADMIN, idempotent=False, body=SubscriberSchema,
         answer=SubscriberCreatedSchema, status=201, conflicts=(409,))
    def create_subscriber(self, request):
        """A broker user that can read only this council's outcome events; the password is shown once."""
        body = SubscriberSchema().load(json_body(request))
        grant = subscribers.Grant(self.db.tenant_id, body["name"])
        password = subscribers.register(self.outlet.management, self.outlet.vhost, grant)
        url = self.outlet.subscriber_url(grant.username, password)
        return 201, subscribers.created(grant, password, url)

    @api("DELETE", "/v1/subscribers/<name>", roles=ADMIN, status=204)
    def delete_subscriber(self, request, name: str):
        """Remove a subscriber's broker user (its open connections close)."""
        subscribers.unregister(self.outlet.management, subscribers.Grant(self.db.tenant_id, name))
        return 204, None

    @api("GET", "/v1/reports/insights", roles=READERS, query=InsightsQuerySchema, answer=InsightsReportSchema)
    def insights_report(self, request):
        """The figures a council publishes, each with its base: JSON, `?format=csv`, or HTML with charts."""
        query = InsightsQuerySchema().load(request.args.to_dict())
        report = self._insights(query, public=False)
        return insights_render.response(report, query.get("format"), request.accept_mimetypes)

    @api("POST", "/v1/reports/insights/publish", roles=STAFF, body=InsightsPublishSchema,
         answer=ReportPublishedSchema, status=201)
    def publish_insights_report(self, request):
        """Snapshot the insights report as a public export (small cells suppressed), announce it."""
        report = self._insights(InsightsPublishSchema().load(json_body(request)), public=True)
        report_id = insights.new_report_id()
        published = insights.announcement(report, report_id, self.outlet.report_url(report_id))
        with self.db.transaction() as tx:
            stored_reports.keep(tx, report_id, report, stamp())
            tx.emit("report.published", published, subject=report_id, public=True)
        return 201, published

    @api("GET", "/v1/reports/<report_id>", roles=READERS, query=ReportFormatSchema,
         answer=PublishedReportSchema)
    def published_report(self, request, report_id: str):
        """A published report as it was published: JSON, `?format=csv`, or HTML."""
        query = ReportFormatSchema().load(request.args.to_dict())
        report = stored_reports.load(self.db, report_id)
        return insights_render.response(report, query.get("format"), request.accept_mimetypes)

    def _insights(self, query: dict, public: bool) -> dict:
        wanted = insights.indicators_query(query, public=public)
        answer = figures.indicators_answer(storage.load_snapshot(self.db), wanted, stamp())
        return insights.build(answer, wanted, self.council.name)
