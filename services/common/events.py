"""``event_handler``: nameko's event entrypoint, made reliable.

nameko's stock handler acks even when the handler raises, so a failing event is lost. Ours:
- consumes from a quorum queue with a delivery limit whose dead-letter exchange is ``iec.dlx``
  (so even a process that crashes on every delivery cannot make the broker loop for ever);
- acks only after the handler returned, i.e. after its effect committed;
- on an error, requeues (the quorum queue counts deliveries) after a short delay, and on the last
  allowed attempt publishes the event to the dead-letter queue with the error, then acks;
- validates the CloudEvents envelope, and dead-letters at once what is malformed or belongs to a
  tenant this instance does not serve, without running any domain code;
- gives the worker ``tenant_id`` and ``event_id`` as context data, so that ``TenantStore``
  records the event id in the same transaction as the effect (idempotency).
"""
from __future__ import annotations

import logging
import traceback
from functools import partial

import eventlet
from kombu import Queue
from marshmallow import ValidationError
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled
from nameko.standalone.events import get_event_exchange

from services.common import deadletter
from services.common.config import BROKER_DELIVERY_LIMIT
from services.common.envelope import parse_event
from services.common.errors import AlreadyProcessed
from services.common.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from services.common.runtime import Runtime

_log = logging.getLogger(__name__)


def queue_name(source_service: str, event_type: str, service: str, method: str) -> str:
    """The queue of handler ``service.method`` of ``event_type`` events from ``source_service``.

    nameko's own queue naming, so operators find queues where nameko users expect them.
    """
    return f"evt-{source_service}-{event_type}--{service}.{method}"


def queue_arguments() -> dict:
    """Arguments of every handler queue: quorum, bounded redelivery, at-least-once dead-lettering."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": BROKER_DELIVERY_LIMIT,
        "x-dead-letter-exchange": deadletter.DLX,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


class ReliableEventHandler(EventHandler):
    """Handles ``event_type`` events from ``source_service``; see the module docstring."""

    runtime = Runtime()
    records_event_id = True  # TenantStore records this worker's event id with its effect

    def __init__(self, source_service: str, event_type: str, **kwargs):
        expected = tuple(kwargs.pop("expected_exceptions", ())) + (AlreadyProcessed,)
        super().__init__(source_service, event_type, expected_exceptions=expected, **kwargs)

    def setup(self) -> None:
        deadletter.declare_topology(self.runtime.amqp_uri)
        self.queue_name = queue_name(self.source_service, self.event_type, self.container.service_name,
                                     self.method_name)
        self.queue = Queue(
            self.queue_name, exchange=get_event_exchange(self.source_service, self.container.config),
            routing_key=self.event_type, durable=True,
            queue_arguments=queue_arguments())
        self.queue_consumer.register_provider(self)

    def handle_message(self, body, message) -> None:
        try:
            event = parse_event(body)
        except ValidationError as exc:
            return self._reject(message, f"invalid event envelope: {exc.messages}")
        headers_tenant = self.unpack_message_headers(message).get("tenant_id")
        if headers_tenant not in (None, event["tenantid"]):
            return self._reject(message, "tenant_id header does not match the envelope's tenantid")
        if not self.runtime.served.serves(event["tenantid"]):
            return self._reject(message, f"tenant {event['tenantid']!r} is not served by this instance")
        context_data = {"tenant_id": event["tenantid"], "event_id": event["id"], "event_type": event["type"]}
        try:
            self.container.spawn_worker(self, (event,), {}, context_data=context_data,
                                        handle_result=partial(self.handle_result, message))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        exc = exc_info[1] if exc_info else None
        if exc is None or isinstance(exc, AlreadyProcessed):
            self._count("processed" if exc is None else "duplicate")
            self.queue_consumer.ack_message(message)
            return result, exc_info
        self._after_failure(message, exc_info)
        return result, exc_info

    def _after_failure(self, message, exc_info) -> None:
        attempt = int((message.headers or {}).get("x-delivery-count", 0)) + 1
        limit = self.runtime.settings.event_delivery_limit
        if attempt < limit:
            self._count("retried")
            eventlet.sleep(self.runtime.settings.event_retry_delay_seconds * 2 ** (attempt - 1))
            self.queue_consumer.requeue_message(message)
            return
        error = "".join(traceback.format_exception(*exc_info)[-3:]).strip()
        self._dead_letter(message, error, attempt)

    def _reject(self, message, error: str) -> None:
        _log.warning("dead-lettering a message from %s without processing it: %s", self.queue_name, error)
        self._dead_letter(message, error, 1, outcome="rejected")

    def _dead_letter(self, message, error: str, attempts: int, outcome: str = "dead_lettered") -> None:
        try:
            deadletter.dead_letter(self.runtime.amqp_uri, message, error=error, queue=self.queue_name,
                                   service=self.container.service_name, attempts=attempts)
        except Exception:  # the broker is struggling: keep the message rather than lose it
            _log.exception("could not dead-letter; requeueing")
            self.queue_consumer.requeue_message(message)
            return
        self._count(outcome)
        DEAD_LETTERS.labels(self.container.service_name, self.event_type, outcome).inc()
        self.queue_consumer.ack_message(message)

    def _count(self, outcome: str) -> None:
        EVENTS_CONSUMED.labels(self.container.service_name, self.event_type, outcome).inc()


event_handler = ReliableEventHandler.decorator
