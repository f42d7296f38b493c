"""The notifications service: survey mail with exactly-once effect, its delivery log, unsubscribe links."""

from __future__ import annotations

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Request, Response

from services.common import ops
from services.common.events import event_handler
from services.common.http import READERS, api
from services.common.mongo import TenantDatabase
from services.notifications import unsubscribe
from services.notifications.delivery import deliver_invitation
from services.notifications.dependencies import OneAtATime, PostRoom
from services.notifications.mail import DeliveryError
from services.notifications.schemas import NotificationQuerySchema, NotificationSchema
from services.notifications.storage import INDEXES, ClaimLost, NotificationLog, UnsubscribeTokens


# ``ops.ServiceBase``, not an imported name: ``nameko run <module>`` runs every class with entrypoints
# found at module level, and would start the base class as a second service.
class NotificationsService(ops.ServiceBase):
    """Sends what surveys says is due, to the participants intake says may be contacted."""

    name = "notifications"
    db = TenantDatabase(indexes=INDEXES)
    intake = RpcProxy("intake")
    post = PostRoom()
    one_at_a_time = OneAtATime()

    # A transient refusal or a lost claim is retried by design: logged as expected, not as a crash.
    @event_handler("surveys", "invitation.due", expected_exceptions=(DeliveryError, ClaimLost))
    def on_invitation_due(self, event: dict) -> str:
        """Mail a survey invitation or reminder (see ``delivery``)."""
        with self.one_at_a_time(event["id"]):
            return deliver_invitation(event, log=self._log(), tokens=self._tokens(), intake=self.intake,
                                      post=self.post)

    @api("GET", "/v1/notifications", roles=READERS)
    def list_notifications(self, request: Request) -> tuple[int, dict]:
        """The delivery log, filtered by ``participant_id`` and ``status``, paged by ``limit``/``after``."""
        page = self._log().page(**NotificationQuerySchema().load(request.args))
        return 200, {"items": NotificationSchema(many=True).dump(page["items"]), "next": page["next"]}

    @api("GET", "/u/<token>", token_arg="token")
    def unsubscribe_page(self, request: Request, token: str) -> Response:
        """The confirmation page of an unsubscribe link."""
        return unsubscribe.confirmation_page(token, self.db.tenant_id, tokens=self._tokens(), post=self.post)

    @api("POST", "/u/<token>", token_arg="token")
    def withdraw_consent(self, request: Request, token: str) -> Response:
        """Withdraw contact consent: the page's button, or a mail client's one-click POST."""
        return unsubscribe.withdraw(token, self.db.tenant_id, tokens=self._tokens(), post=self.post)

    def _log(self) -> NotificationLog:
        return NotificationLog(self.db, self.one_at_a_time)

    def _tokens(self) -> UnsubscribeTokens:
        return UnsubscribeTokens(self.db, self.one_at_a_time)
