"""Bounded waiting for things that happen asynchronously (events, mails)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from services.cli.infra import poll

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 45.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """Call ``probe`` until it returns something truthy (returned) or ``timeout`` passes (AssertionError).

    The default is generous: a cold service on a loaded two-core CI machine can take tens of seconds,
    and a probe that succeeds returns at once.
    """
    return poll(probe, timeout, interval=interval, what=what, error=AssertionError)
