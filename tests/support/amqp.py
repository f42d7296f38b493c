"""Publishing raw events the way another service's outbox relay would, for handler tests."""
from __future__ import annotations

from kombu import Connection, Exchange


def publish_event(amqp_uri: str, source_service: str, event: dict, headers: dict | None = None) -> None:
    """Publish ``event`` (an envelope, or anything, to test rejection) to ``<source>.events``."""
    exchange = Exchange(f"{source_service}.events", type="topic", durable=True)
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        producer.publish(event, exchange=exchange, routing_key=event.get("type", "x.y"), serializer="json",
                         headers=headers or {}, declare=[exchange], delivery_mode=2,
                         message_id=event.get("id"))
