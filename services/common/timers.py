"""``tenant_timer``: a timer that runs its method once per served tenant, each in that tenant's context.

Domain code stays tenant-bound: a worker of the timer sees one tenant's database, as any other worker.
The interval comes from ``SCHEDULER_INTERVAL_SECONDS``. Work the timer does is stored in MongoDB,
so a restart misses nothing: the next tick picks it up.
"""
from __future__ import annotations

import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import Entrypoint

from services.common.metrics import SchedulerLag
from services.common.runtime import Runtime

_log = logging.getLogger(__name__)


class TenantTimer(Entrypoint):
    """Fires every ``SCHEDULER_INTERVAL_SECONDS``; one worker per served tenant, one after another."""

    runtime = Runtime()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._running = False
        self._thread = None

    def start(self) -> None:
        self._running = True
        self._lag = SchedulerLag(self.container.service_name, self.method_name,
                                 self.runtime.settings.scheduler_interval_seconds)
        self._thread = self.container.spawn_managed_thread(self._run, identifier="tenant-timer")

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    kill = stop

    def _run(self) -> None:
        interval = self.runtime.settings.scheduler_interval_seconds
        while self._running:
            eventlet.sleep(interval)
            for tenant_id in self._tenants():
                self._tick(tenant_id)

    def _tenants(self) -> list[str]:
        try:
            return self.runtime.served_tenant_ids()
        except Exception:  # noqa: BLE001 - the database is away; the next tick tries again
            _log.exception("could not list tenants for %s", self.method_name)
            return []

    def _tick(self, tenant_id: str) -> None:
        done = Event()
        started = self._lag.pass_started(tenant_id)

        def finished(_worker_ctx, result, exc_info):
            if exc_info is None:
                self._lag.pass_completed(tenant_id, started)
            done.send()
            return result, exc_info

        context = {"tenant_id": tenant_id}
        self.container.spawn_worker(self, (), {}, context_data=context, handle_result=finished)
        done.wait()


tenant_timer = TenantTimer.decorator
