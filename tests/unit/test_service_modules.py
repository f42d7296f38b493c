"""Each service module runs exactly one service under `nameko run services.<svc>.service`.

nameko runs every class with entrypoints it finds in the module, so a base class imported by name
would start as a service of its own.
"""
from __future__ import annotations

import pytest
from nameko.cli.run import import_service

SERVICES = ("intake", "surveys", "reporting", "notifications")


@pytest.mark.parametrize("service", SERVICES)
def test_nameko_run_finds_exactly_the_service_in_its_module(service):
    found = import_service(f"services.{service}.service")
    assert [cls.name for cls in found] == [service]
