"""Starting services in-process for integration tests (nameko's ``container_factory``)."""
from __future__ import annotations

from services.cli.infra import free_port


def start_service(container_factory, service_cls, amqp_uri: str, extra_config: dict | None = None,
                  port: int | None = None) -> str:
    """Start ``service_cls`` on ``port`` (default: a free one) against ``amqp_uri``; returns its base URL."""
    port = port or free_port()
    config = {"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", **(extra_config or {})}
    container_factory(service_cls, config).start()
    return f"http://127.0.0.1:{port}"
