"""Prometheus metrics shared by every service: the same names everywhere, bounded labels.

Labels are service, entrypoint, event_type, outcome and tenant: never a person or an id.
"""
from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram

from services.common.errors import AlreadyProcessed, ApiError

ENTRYPOINT_CALLS = Counter(
    "iec_entrypoint_calls_total", "Entrypoint calls by outcome (success, client_error, error, duplicate).",
    ["service", "entrypoint", "outcome"])
ENTRYPOINT_DURATION = Histogram(
    "iec_entrypoint_duration_seconds", "Time spent in an entrypoint's worker.",
    ["service", "entrypoint"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
EVENTS_PUBLISHED = Counter(
    "iec_events_published_total", "Events published from the outbox with a broker confirm.",
    ["service", "event_type"])
EVENTS_UNROUTED = Counter(
    "iec_events_unrouted_total", "Events the broker returned as unroutable after the grace period.",
    ["service", "event_type"])
EVENTS_CONSUMED = Counter(
    "iec_events_consumed_total",
    "Events received by handlers by outcome (processed, duplicate, retried, dead_lettered, rejected).",
    ["service", "event_type", "outcome"])
OUTBOX_BACKLOG = Gauge(
    "iec_outbox_backlog", "Outbox entries committed but not yet published.", ["service", "tenant"])
OUTBOX_OLDEST_AGE = Gauge(
    "iec_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox entry.", ["service", "tenant"])
BUILD_INFO = Gauge("iec_build_info", "Build information; always 1.", ["service", "version"])


def package_version() -> str:
    """The installed version of this project."""
    try:
        return version("iec-platform")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0+unknown"


def outcome_of(exc: BaseException | None) -> str:
    """How a worker ended, as a bounded label value."""
    if exc is None:
        return "success"
    if isinstance(exc, AlreadyProcessed):
        return "duplicate"
    if isinstance(exc, ApiError) and exc.status < 500:
        return "client_error"
    return "error"


class EntrypointMetrics(DependencyProvider):
    """Counts and times every worker of the service it is declared on."""

    def __init__(self) -> None:
        super().__init__()
        self._started: dict[object, float] = {}

    def setup(self) -> None:
        BUILD_INFO.labels(self.container.service_name, package_version()).set(1)

    def get_dependency(self, worker_ctx) -> None:
        return None

    def worker_setup(self, worker_ctx) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(worker_ctx, None)
        service, entrypoint = self.container.service_name, worker_ctx.entrypoint.method_name
        ENTRYPOINT_CALLS.labels(service, entrypoint, outcome_of(exc_info[1] if exc_info else None)).inc()
        if started is not None:
            ENTRYPOINT_DURATION.labels(service, entrypoint).observe(time.perf_counter() - started)
