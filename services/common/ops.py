"""What every service serves for operators: ``/health``, ``/ready``, ``/metrics``.

``ServiceBase`` carries these entrypoints and the entrypoint metrics; each service class derives
from it, so the four services answer operators identically.
"""
from __future__ import annotations

from functools import cache

from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Response

from services.common import openapi
from services.common.errors import Unavailable
from services.common.http import api
from services.common.metrics import EntrypointMetrics
from services.common.outbox import OutboxRelay
from services.common.runtime import Runtime


class OpsView:
    """Probes of the container's dependencies."""

    def __init__(self, runtime: Runtime, relay: OutboxRelay):
        self._runtime, self._relay = runtime, relay

    def problems(self) -> dict[str, str]:
        """What is unreachable, by name; empty when ready."""
        problems = {}
        try:
            self._runtime.client.admin.command("ping")
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            problems["mongodb"] = str(exc)[:200]
        try:
            with Connection(self._runtime.amqp_uri, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1)
        except Exception as exc:  # noqa: BLE001
            problems["rabbitmq"] = str(exc)[:200]
        return problems

    def metrics_text(self) -> bytes:
        """The Prometheus exposition, with the outbox gauges freshly read."""
        try:
            self._relay.observe_backlog()
        except Exception:  # noqa: BLE001, S110 - the database is away: /ready says so; keep the rest
            pass
        return generate_latest()


@cache
def openapi_document(service_cls: type) -> dict:
    """The service's OpenAPI document, generated from its entrypoints' schemas; built once per process."""
    return openapi.build(service_cls)


class Ops(DependencyProvider):
    """Gives the ops entrypoints their probes."""

    runtime = Runtime()
    relay = OutboxRelay()

    def get_dependency(self, worker_ctx) -> OpsView:
        return OpsView(self.runtime, self.relay)


class ServiceBase:
    """Base class of the four services: operator endpoints and entrypoint metrics."""

    name = "base"
    ops = Ops()
    entrypoint_metrics = EntrypointMetrics()

    @api("GET", "/health", public=True)
    def health(self, request):
        """Liveness: the process answers."""
        return 200, {"status": "ok", "service": self.name}

    @api("GET", "/ready", public=True)
    def ready(self, request):
        """Readiness: RabbitMQ and MongoDB are reachable."""
        problems = self.ops.problems()
        if problems:
            raise Unavailable("not ready", fields={name: [text] for name, text in problems.items()})
        return 200, {"status": "ready", "service": self.name}

    @api("GET", "/metrics", public=True)
    def metrics(self, request):
        """Prometheus text format."""
        return Response(self.ops.metrics_text(), status=200, content_type=CONTENT_TYPE_LATEST)

    @api("GET", "/openapi.json", public=True)
    def openapi(self, request):
        """The service's OpenAPI 3 document (API.md: one per service)."""
        return 200, openapi_document(type(self))
