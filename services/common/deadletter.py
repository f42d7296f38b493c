"""The dead-letter queue: where events go that a handler could not process, with the error.

Every service's handler queues are quorum queues whose dead-letter exchange is ``iec.dlx``; our
handlers also dead-letter explicitly on their last attempt, adding ``x-iec-*`` headers that say
which queue failed and why. ``iec dlq list`` / ``iec dlq replay`` read and replay them (pika).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pika
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import get_producer

from services.common.metrics import DEAD_LETTERS

DLX = "iec.dlx"
DLQ = "iec.dead-letters"
DLX_EXCHANGE = Exchange(DLX, type="fanout", durable=True)
DLQ_QUEUE = Queue(DLQ, exchange=DLX_EXCHANGE, routing_key="#", durable=True)
_ERROR_LIMIT = 2000
_OUR_HEADERS = ("x-iec-error", "x-iec-queue", "x-iec-service", "x-iec-failed-at", "x-iec-attempts",
                "x-death", "x-delivery-count", "x-first-death-exchange", "x-first-death-queue",
                "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue",
                "x-last-death-reason")


def declare_topology(amqp_uri: str) -> None:
    """Declare ``iec.dlx`` and ``iec.dead-letters`` (idempotent) before any queue points at them."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        DLQ_QUEUE.bind(channel).declare()
        channel.close()


def dead_letter(amqp_uri: str, message, *, error: str, queue: str, service: str, attempts: int) -> None:
    """Publish a received kombu ``message`` to the dead-letter exchange, with confirms, and the error."""
    properties = message.properties or {}
    routing_key = message.delivery_info.get("routing_key", "")
    _publish(amqp_uri, message.body, dict(message.headers or {}), routing_key,
             content_type=message.content_type, content_encoding=message.content_encoding,
             message_id=properties.get("message_id"), error=error, queue=queue, service=service,
             attempts=attempts)


def dead_letter_event(amqp_uri: str, event: dict, *, queue: str, service: str, error: str,
                      attempts: int) -> None:
    """Dead-letter an event that no handler received: work done outside a handler that failed for good.

    It is published as if handler queue ``queue`` had failed ``event`` (``events.queue_name``), so that
    ``iec dlq replay`` hands it to that queue; counted in ``iec_dead_letters_total`` as a handler's is.
    """
    _publish(amqp_uri, json.dumps(event).encode(), {"nameko.tenant_id": event["tenantid"]}, event["type"],
             content_type="application/json", content_encoding="utf-8", message_id=event["id"],
             error=error, queue=queue, service=service, attempts=attempts)
    DEAD_LETTERS.labels(service, event["type"], "dead_lettered").inc()


def _publish(amqp_uri: str, body: bytes, headers: dict, routing_key: str, *, content_type: str | None,
             content_encoding: str | None, message_id: str | None, error: str, queue: str, service: str,
             attempts: int) -> None:
    headers.update({
        "x-iec-error": error[:_ERROR_LIMIT], "x-iec-queue": queue, "x-iec-service": service,
        "x-iec-failed-at": datetime.now(UTC).isoformat(), "x-iec-attempts": attempts,
    })
    with get_producer(amqp_uri, confirms=True) as producer:
        producer.publish(
            body, exchange=DLX_EXCHANGE, routing_key=routing_key, headers=headers, content_type=content_type,
            content_encoding=content_encoding, message_id=message_id, delivery_mode=2, declare=[DLQ_QUEUE],
            retry=True,
        )


def _describe(method, properties, body: bytes) -> dict:
    headers = properties.headers or {}
    deaths = headers.get("x-death") or [{}]
    return {
        "id": properties.message_id or f"tag-{method.delivery_tag}",
        "routing_key": method.routing_key,
        "queue": headers.get("x-iec-queue") or deaths[0].get("queue"),
        "service": headers.get("x-iec-service"),
        "error": headers.get("x-iec-error") or f"dead-lettered by the broker: {deaths[0].get('reason')}",
        "failed_at": headers.get("x-iec-failed-at"),
        "tenant_id": headers.get("nameko.tenant_id"),
        "body": body.decode("utf-8", "replace"),
    }


def list_dead_letters(amqp_uri: str, limit: int = 100) -> list[dict]:
    """Read up to ``limit`` dead letters without removing them."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.queue_declare(DLQ, durable=True, passive=True)
        seen = []
        while len(seen) < limit:
            method, properties, body = channel.basic_get(DLQ, auto_ack=False)
            if method is None:
                break
            seen.append(_describe(method, properties, body))
        return seen  # closing the channel un-acks them all: they stay in the queue, in order
    finally:
        connection.close()


def replay_dead_letters(amqp_uri: str, message_id: str | None = None) -> int:
    """Send dead letters back to the queue that failed them (all, or the one with ``message_id``).

    Consumers are idempotent, so a replayed event whose effect was committed meanwhile is a no-op.
    Returns how many were replayed.
    """
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        replayed = 0
        for _ in range(channel.queue_declare(DLQ, durable=True, passive=True).method.message_count):
            method, properties, body = channel.basic_get(DLQ, auto_ack=False)
            if method is None:
                break
            if message_id is None or properties.message_id == message_id:
                _republish(channel, properties, body)
                channel.basic_ack(method.delivery_tag)
                replayed += 1
        return replayed
    finally:
        connection.close()


def _republish(channel, properties, body: bytes) -> None:
    headers = dict(properties.headers or {})
    deaths = headers.get("x-death") or [{}]
    queue = headers.get("x-iec-queue") or deaths[0].get("queue")
    for key in _OUR_HEADERS:
        headers.pop(key, None)
    channel.basic_publish(
        exchange="", routing_key=queue, body=body, mandatory=True,
        properties=pika.BasicProperties(headers=headers, content_type=properties.content_type,
                                        content_encoding=properties.content_encoding,
                                        message_id=properties.message_id, delivery_mode=2))
