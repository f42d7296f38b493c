"""Prometheus metrics shared by every service: the same names everywhere, bounded labels.

Labels are service, entrypoint, event_type, outcome, tenant and channel: never a person or an id.
Names follow Prometheus conventions (base units, ``_total`` counters, ``_seconds``); every name is
checked by ``promtool check metrics`` in tests/ops. The alert rules and the dashboard that use them
are in deploy/prometheus and deploy/grafana.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from services.common.errors import AlreadyProcessed, ApiError

# The ``*_created`` series double what Prometheus stores and nothing here reads them.
disable_created_metrics()

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
DEAD_LETTERS = Counter(
    "iec_dead_letters_total",
    "Events this service sent to the dead-letter queue (dead_lettered: failed every attempt; "
    "rejected: malformed or for a tenant this instance does not serve).",
    ["service", "event_type", "outcome"])
OUTBOX_BACKLOG = Gauge(
    "iec_outbox_backlog", "Outbox entries committed but not yet published.", ["service", "tenant"])
OUTBOX_OLDEST_AGE = Gauge(
    "iec_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox entry.", ["service", "tenant"])
SCHEDULER_LAG = Gauge(
    "iec_scheduler_lag_seconds",
    "Upper bound on the age of the oldest due work not yet processed: time since the last complete "
    "due-work pass for the tenant began (everything due before that instant was processed).",
    ["service", "entrypoint", "tenant"])
SCHEDULER_INTERVAL = Gauge(
    "iec_scheduler_interval_seconds", "How often the due-work pass runs (SCHEDULER_INTERVAL_SECONDS).",
    ["service", "entrypoint"])
NOTIFICATIONS = Counter(
    "iec_notifications_total",
    "Notifications by channel and final outcome (sent, failed, skipped, uncertain).",
    ["service", "channel", "outcome"])
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


class SchedulerLag:
    """Keeps ``iec_scheduler_lag_seconds`` of one timer entrypoint, per tenant.

    A pass processes everything due as of the instant it began, so the oldest item still waiting
    became due after the start of the last pass that completed: its age is at most ``now - that
    start``. The gauge is computed at scrape time, so it keeps growing while passes fail or hang.
    """

    def __init__(self, service: str, entrypoint: str, interval: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._labels = (service, entrypoint)
        self._clock = clock  # seconds since the epoch; tests pass their own
        self._covered_until: dict[str, float] = {}
        SCHEDULER_INTERVAL.labels(service, entrypoint).set(interval)

    def pass_started(self, tenant_id: str) -> float:
        """Note that a pass for ``tenant_id`` begins; returns its start, for ``pass_completed``."""
        started = self._clock()
        if tenant_id not in self._covered_until:
            # A tenant first seen now has nothing older than this pass that we could know of.
            self._covered_until[tenant_id] = started
            covered = self._covered_until
            SCHEDULER_LAG.labels(*self._labels, tenant_id).set_function(
                lambda: max(0.0, self._clock() - covered[tenant_id]))
        return started

    def pass_completed(self, tenant_id: str, started: float) -> None:
        """A pass that began at ``started`` finished without error: all due before then is done."""
        self._covered_until[tenant_id] = max(self._covered_until.get(tenant_id, 0.0), started)
