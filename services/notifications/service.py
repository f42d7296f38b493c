"""The notifications service: the one place that contacts people (email) and systems (webhooks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import Schema
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request, Response

from services.common import ops
from services.common.clock import now, stamp
from services.common.council import Council
from services.common.errors import NotFound
from services.common.events import event_handler
from services.common.http import ADMIN, READERS, STAFF, api, json_body
from services.common.mongo import TenantDatabase
from services.common.openapi import Page
from services.common.timers import tenant_timer
from services.notifications import reactions, unsubscribe, webhooks
from services.notifications import schemas as s
from services.notifications.dependencies import PostRoom
from services.notifications.queue import MailQueue
from services.notifications.sending import run_mail_pass
from services.notifications.storage import INDEXES, UnsubscribeTokens
from services.notifications.webhook_sending import REPLAY_EVENT, run_webhook_pass
from services.notifications.webhook_store import Webhooks


# ``ops.ServiceBase``, not an imported name: ``nameko run <module>`` runs every class with entrypoints
# found at module level, and would start the base class as a second service.
class NotificationsService(ops.ServiceBase):
    """Queues what events ask for; a sending pass delivers it under the council's sending rules."""

    name = "notifications"
    db = TenantDatabase(indexes=INDEXES)
    intake = RpcProxy("intake")
    post = PostRoom()
    council = Council()

    # --- events: each queues what it causes (``reactions``) --------------------------------------

    @event_handler("surveys", "invitation.due")
    def on_invitation_due(self, event: dict) -> None:
        """A survey invitation or reminder."""
        self._react(reactions.invitation_due, s.InvitationDueSchema, event)

    @event_handler("surveys", "response.submitted")
    def on_response_submitted(self, event: dict) -> None:
        """A thank-you after a response."""
        self._react(reactions.response_submitted, s.ResponseSubmittedSchema, event)

    @event_handler("intake", "mentorship.matched")
    def on_mentorship_matched(self, event: dict) -> None:
        """An introduction to the mentor and to the mentee."""
        self._react(reactions.mentorship_matched, s.MentorshipMatchedSchema, event)

    @event_handler("intake", "cohort.opened")
    def on_cohort_opened(self, event: dict) -> None:
        """Session reminders, the day before each session, to whoever is enrolled."""
        self._react(reactions.cohort_opened, s.CohortOpenedSchema, event, self.council.timezone)

    @event_handler("intake", "participant.enrolled")
    def on_participant_enrolled(self, event: dict) -> None:
        """Session reminders for a new participant of an opened cohort."""
        self._react(reactions.participant_enrolled, s.ParticipantEnrolledSchema, event, self.council.timezone)

    @event_handler("intake", "participant.withdrawn")
    def on_participant_withdrawn(self, event: dict) -> None:
        """No more session reminders of the cohort they left."""
        self._react(reactions.participant_withdrawn, s.ParticipantWithdrawnSchema, event)

    @event_handler("intake", "participant.erased")
    def on_participant_erased(self, event: dict) -> None:
        """Cancel their mail, forget their links, never contact them again."""
        self._react(reactions.participant_erased, s.ParticipantErasedSchema, event)

    @event_handler("intake", "cohort.completed")
    def on_cohort_completed(self, event: dict) -> None:
        """Webhook deliveries only."""
        reactions.react(self.db, event)

    @event_handler("intake", "mentorship.ended")
    def on_mentorship_ended(self, event: dict) -> None:
        """Webhook deliveries only."""
        reactions.react(self.db, event)

    @event_handler("notifications", REPLAY_EVENT)
    def on_webhook_replay(self, event: dict) -> None:
        """A dead webhook delivery handed back by ``iec dlq replay``: queued for a fresh round."""
        delivery_id = s.ReplayRequestSchema().load(event["data"])["delivery_id"]
        with self.db.transaction() as tx:
            Webhooks(self.db).replay(tx, delivery_id)

    def _react(self, reaction: Callable[..., None], schema: type[Schema], event: dict, *args: object) -> None:
        """``reaction`` to ``event``, its data loaded with ``schema``."""
        reaction(self.db, event, schema().load(event["data"]), *args)

    # --- the sending pass ------------------------------------------------------------------------

    @tenant_timer()
    def send_due(self) -> dict:
        """The sending pass as of now, for each served tenant."""
        return self._run_pass(now())

    @api("POST", "/v1/notifications/run", roles=ADMIN, body=s.RunSchema, answer=s.RunAnswer, idempotent=False)
    def run_pass(self, request: Request) -> tuple[int, dict]:
        """Run the sending pass as of ``as_of``: the same pass the timer runs with the current time."""
        return 200, self._run_pass(s.RunSchema().load(json_body(request))["as_of"])

    def _run_pass(self, as_of: datetime) -> dict:
        tenant_id = self.db.tenant_id
        hooks = run_webhook_pass(as_of, hooks=Webhooks(self.db), post=self.post, tenant_id=tenant_id)
        mails = run_mail_pass(as_of, queue=MailQueue(self.db), intake=self.intake, post=self.post,
                              council=self.council)
        return {"as_of": stamp(as_of), "email": dict(mails), "webhook": dict(hooks)}

    # --- HTTP ------------------------------------------------------------------------------------

    @api("GET", "/v1/notifications", roles=READERS, query=s.NotificationQuerySchema,
         answer=s.NotificationsAnswer)
    def list_notifications(self, request: Request) -> tuple[int, dict]:
        """The delivery log, filtered by ``participant_id`` and ``status``, paged by ``limit``/``after``."""
        page = MailQueue(self.db).page(**s.NotificationQuerySchema().load(request.args))
        return 200, {"items": s.NotificationSchema(many=True).dump(page["items"]), "next": page["next"]}

    @api("POST", "/v1/webhooks", roles=ADMIN, body=s.WebhookSchema, answer=s.WebhookAnswer, status=201)
    def subscribe(self, request: Request) -> tuple[int, dict]:
        """201 subscription; a generated secret is shown in this answer only."""
        asked = s.WebhookSchema().load(json_body(request))
        secret = asked.get("secret") or webhooks.new_secret()
        subscription = Webhooks(self.db).subscribe(asked["url"], asked["event_types"], secret)
        answer = s.WebhookAnswer(exclude=() if "secret" not in asked else ("secret",)).dump(subscription)
        return 201, answer

    @api("GET", "/v1/webhooks", roles=STAFF, answer=s.WebhooksAnswer)
    def list_webhooks(self, request: Request) -> tuple[int, dict]:
        """The council's subscriptions (never their secrets)."""
        found = Webhooks(self.db).subscriptions()
        return 200, {"items": s.ListedWebhook(many=True).dump(found), "next": None}

    @api("GET", "/v1/webhooks/<subscription_id>/deliveries", roles=STAFF, query=s.DeliveryQuerySchema,
         answer=s.DeliveriesAnswer)
    def list_deliveries(self, request: Request, subscription_id: str) -> tuple[int, dict]:
        """The delivery log of one subscription."""
        hooks = Webhooks(self.db)
        if hooks.subscription(subscription_id) is None:
            raise NotFound("no such webhook")
        page = hooks.deliveries(subscription_id, **s.DeliveryQuerySchema().load(request.args))
        return 200, {"items": s.DeliverySchema(many=True).dump(page["items"]), "next": page["next"]}

    # a participant's link (`<tenant>.<secret>`): HTML pages in both languages, theirs first
    @api("GET", "/u/<token>", token_arg="token", answer=Page)
    def unsubscribe_page(self, request: Request, token: str) -> Response:
        """The confirmation page of an unsubscribe link."""
        return unsubscribe.confirmation_page(token, tokens=UnsubscribeTokens(self.db), council=self.council)

    @api("POST", "/u/<token>", token_arg="token", body=s.OneClickSchema, answer=Page)
    def withdraw_consent(self, request: Request, token: str) -> Response:
        """Withdraw contact consent: the page's button, or a mail client's one-click POST."""
        return unsubscribe.withdraw(token, tokens=UnsubscribeTokens(self.db), council=self.council)
