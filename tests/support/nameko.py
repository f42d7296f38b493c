"""Starting services in-process for integration tests (nameko's ``container_factory``)."""
from __future__ import annotations

import inspect

from amqp.exceptions import NotFound
from kombu import Connection
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.cli.infra import free_port
from services.common.events import ReliableEventHandler, queue_name


def start_service(container_factory, service_cls, amqp_uri: str, extra_config: dict | None = None,
                  port: int | None = None, *, fresh: bool = True) -> str:
    """Start ``service_cls`` on ``port`` (default: a free one) against ``amqp_uri``; returns its base URL.

    ``fresh``: first empty its event queues of what earlier tests left there. The queues are durable
    and outlive the test that declared them, so while no instance of the service runs they collect
    every event other tests publish (for other councils); a new instance would first work through
    that backlog, which is slow and no business of this test. A second instance started within a test
    (``fresh=False``) must not drop the first one's pending events.
    """
    if fresh:
        purge_event_queues(amqp_uri, service_cls)
    port = port or free_port()
    config = {"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", **(extra_config or {})}
    container_factory(service_cls, config).start()
    return f"http://127.0.0.1:{port}"


def event_queues(service_cls) -> list[str]:
    """The queues of ``service_cls``'s event handlers."""
    found = []
    for method, member in inspect.getmembers(service_cls, inspect.isfunction):
        for extension in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, ReliableEventHandler):
                found.append(queue_name(extension.source_service, extension.event_type, service_cls.name,
                                        method))
    return found


def purge_event_queues(amqp_uri: str, service_cls) -> None:
    """Empty the event queues of ``service_cls`` that exist (a queue not declared yet is left so)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for queue in event_queues(service_cls):
            try:
                channel.queue_purge(queue)
            except NotFound:  # the broker closes the channel on a missing queue
                channel = connection.channel()
