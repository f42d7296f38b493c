"""The subscriber client other systems use to read a council's outcome events (pika, no nameko).

    from services.reporting.subscriber import OutcomeSubscriber

    def on_event(event: dict) -> None:          # a CloudEvents envelope, parsed and checked
        print(event["type"], event["data"])

    OutcomeSubscriber(url, "toronto", on_event, types=["report.published"], queue="warehouse").run()

`url` and the tenant come from `POST /v1/subscribers`. The client binds a queue of its own to
`iec.outcomes` with `<tenant>.#` (or `<tenant>.<type>` per chosen type), acks each message after the
handler returned (manual acks, so a crash loses nothing the broker still holds), and reconnects with
exponential backoff when the connection is lost. Without `queue`, the queue is exclusive and goes
with the connection (events published while disconnected are missed); with `queue`, it is durable
and keeps them until the subscriber is back. See docs/outcomes.md.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlsplit

import pika
import pika.exceptions
from marshmallow import ValidationError

from services.common.envelope import EVENT_TYPE_RE, OUTCOMES_EXCHANGE, parse_event

_log = logging.getLogger(__name__)
EXCHANGE = OUTCOMES_EXCHANGE  # the public name other systems import from here
QUEUE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
# Refusals that waiting will not cure: the credentials or the permissions are wrong. (A connection
# closed with 320 CONNECTION_FORCED, by an operator or a broker restart, is retried.)
PERMANENT_CHANNEL_CODES = (403, 404, 406)
PERMANENT_CONNECTION_CODES = (403, 530)

Handler = Callable[[dict], None]


class SubscriptionRefused(Exception):
    """The broker refused the subscription (credentials, vhost, or a binding outside the council)."""

    def __init__(self, message: str, reply_code: int | None = None):
        super().__init__(message)
        self.reply_code = reply_code


def binding_keys(tenant_id: str, types: Iterable[str] = ()) -> list[str]:
    """`<tenant>.#` for every outcome event, or `<tenant>.<type>` for each chosen type."""
    chosen = list(dict.fromkeys(types))
    bad = [kind for kind in chosen if not re.match(EVENT_TYPE_RE, kind)]
    if bad:
        raise ValueError(f"not event types: {', '.join(bad)} (expected e.g. report.published)")
    return [f"{tenant_id}.{kind}" for kind in chosen] or [f"{tenant_id}.#"]


def queue_name(url: str, queue: str | None = None) -> str:
    """The queue this client uses: `<username>.<queue>`, or `<username>.<random>` for a passing one.

    A subscriber's broker user may only use queues that start with its own name and a dot.
    """
    username = unquote(urlsplit(url).username or "")
    if not username:
        raise ValueError("the URL has no user name: use the amqp_url POST /v1/subscribers gave")
    if queue is not None and not QUEUE_NAME_RE.match(queue):
        raise ValueError(f"bad queue name {queue!r}: letters, digits, '_', '.', '-'")
    return f"{username}.{queue or 'tmp-' + secrets.token_hex(6)}"


def refusal(exc: pika.exceptions.AMQPError) -> SubscriptionRefused | None:
    """The refusal an AMQP error amounts to, or None when reconnecting may cure it."""
    if isinstance(exc, (pika.exceptions.ProbableAuthenticationError, pika.exceptions.AuthenticationError,
                        pika.exceptions.ProbableAccessDeniedError)):
        return SubscriptionRefused(f"credentials or vhost refused: {exc!r}")
    permanent = {pika.exceptions.ChannelClosedByBroker: PERMANENT_CHANNEL_CODES,
                 pika.exceptions.ConnectionClosedByBroker: PERMANENT_CONNECTION_CODES}.get(type(exc), ())
    if getattr(exc, "reply_code", None) in permanent:
        return SubscriptionRefused(f"{exc.reply_code} {exc.reply_text}", exc.reply_code)
    return None


class OutcomeSubscriber:
    """Consumes a council's outcome events and hands each to `handler`; `run()` blocks until `stop()`.

    A handler that raises gets the event once more (the message is requeued); if it raises again on
    the redelivery, the message is dropped and logged, so one bad event cannot block the rest.
    """

    def __init__(self, url: str, tenant_id: str, handler: Handler, *, types: Iterable[str] = (),
                 queue: str | None = None, prefetch: int = 10, backoff_initial: float = 0.5,
                 backoff_max: float = 30.0):
        self._url, self._handler = url, handler
        self._keys = binding_keys(tenant_id, types)
        self._durable = queue is not None
        self._queue = queue_name(url, queue)
        self._prefetch, self._backoff_initial, self._backoff_max = prefetch, backoff_initial, backoff_max
        self._stopping = threading.Event()
        self._consuming = threading.Event()
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self.connections = 0  # how many times it connected and started consuming

    @property
    def queue(self) -> str:
        """The name of the queue it consumes from."""
        return self._queue

    def wait_until_consuming(self, timeout: float | None = None) -> bool:
        """Block until the client is bound and consuming (again, after a reconnect); True if it is."""
        return self._consuming.wait(timeout)

    def run(self) -> None:
        """Consume until `stop()`; reconnect with backoff after a lost connection.

        Raises SubscriptionRefused when the broker refuses the credentials or a binding.
        """
        delay = self._backoff_initial
        while not self._stopping.is_set():
            if self._attempt():  # it was consuming: the wait starts again from the shortest
                delay = self._backoff_initial
            if self._stopping.is_set():
                return
            _log.info("reconnecting in %.1fs", delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self._backoff_max)

    def _attempt(self) -> bool:
        """Connect and consume until stopped or disconnected; True if it got as far as consuming."""
        try:
            self._consume()
        except pika.exceptions.AMQPError as exc:
            refused = refusal(exc)
            if refused is not None:
                raise refused from None
            _log.warning("connection lost: %r", exc)
        finally:
            reached = self._consuming.is_set()
            self._consuming.clear()
            self._close()
        return reached

    def stop(self) -> None:
        """Stop consuming and return from `run()`; safe to call from any thread or a signal handler."""
        self._stopping.set()
        connection, channel = self._connection, self._channel
        if connection is not None and channel is not None:
            try:
                connection.add_callback_threadsafe(channel.stop_consuming)
            except pika.exceptions.AMQPError:
                pass  # the connection is going away anyway; run() sees the flag

    def _consume(self) -> None:
        params = pika.URLParameters(self._url)
        params.connection_attempts, params.retry_delay = 1, 0
        self._connection = pika.BlockingConnection(params)
        channel = self._connection.channel()
        channel.basic_qos(prefetch_count=self._prefetch)
        if self._durable:
            channel.queue_declare(self._queue, durable=True)
        else:
            channel.queue_declare(self._queue, exclusive=True, auto_delete=True)
        for key in self._keys:
            channel.queue_bind(self._queue, EXCHANGE, routing_key=key)
        channel.basic_consume(self._queue, self._on_message)
        self._channel = channel
        self.connections += 1
        self._consuming.set()
        _log.info("consuming %s from %s bound with %s", self._queue, EXCHANGE, ", ".join(self._keys))
        if self._stopping.is_set():
            return
        channel.start_consuming()

    def _on_message(self, channel, method, properties, body: bytes) -> None:
        try:
            event = parse_event(json.loads(body))
        except (ValueError, ValidationError) as exc:
            _log.error("dropping a message that is not a CloudEvents JSON event: %s", exc)
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        try:
            self._handler(event)
        except Exception:
            again = not method.redelivered
            _log.exception("the handler failed on %s %s; %s", event["type"], event["id"],
                           "requeued once" if again else "dropped")
            channel.basic_nack(method.delivery_tag, requeue=again)
            return
        channel.basic_ack(method.delivery_tag)

    def _close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except pika.exceptions.AMQPError:
                pass
