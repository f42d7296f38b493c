"""``iec_scheduler_lag_seconds``: how long due work may have waited, as the scheduler alert reads it."""
from __future__ import annotations

import secrets

from prometheus_client import REGISTRY

from services.common.metrics import SchedulerLag


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


def lag(tenant: str) -> float:
    return REGISTRY.get_sample_value(
        "iec_scheduler_lag_seconds", {"service": "lagtest", "entrypoint": "run_due_work", "tenant": tenant})


def test_lag_is_the_time_since_the_last_completed_pass_began_and_grows_while_passes_fail():
    clock = Clock()
    tenant = f"t{secrets.token_hex(4)}"
    scheduler = SchedulerLag("lagtest", "run_due_work", interval=60, clock=clock.time)
    assert REGISTRY.get_sample_value("iec_scheduler_interval_seconds",
                                     {"service": "lagtest", "entrypoint": "run_due_work"}) == 60

    started = scheduler.pass_started(tenant)
    clock.now += 2
    scheduler.pass_completed(tenant, started)
    assert lag(tenant) == 2  # everything due before the pass began is done

    clock.now += 58
    scheduler.pass_started(tenant)
    clock.now += 1  # this pass raised: pass_completed is never called
    assert lag(tenant) == 61
    clock.now += 120
    assert lag(tenant) == 181

    scheduler.pass_completed(tenant, scheduler.pass_started(tenant))
    assert lag(tenant) == 0
