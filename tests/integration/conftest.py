"""Fixtures of the integration tier: each service started in-process, speaking as the test's council."""
from __future__ import annotations

import pytest

from services.common.tenancy import database_name
from services.intake.service import IntakeService
from services.surveys.service import SurveysService
from tests.support.http import Api
from tests.support.nameko import start_service


@pytest.fixture
def intake(service_env, container_factory, amqp_uri, tenant) -> Api:
    """The intake service, called with the council's staff key."""
    return Api(start_service(container_factory, IntakeService, amqp_uri), tenant["staff"])


@pytest.fixture
def surveys(service_env, container_factory, amqp_uri, tenant) -> Api:
    """The surveys service, called with the council's admin key (the scheduler endpoint is admin's)."""
    return Api(start_service(container_factory, SurveysService, amqp_uri), tenant["admin"])


@pytest.fixture
def survey_db(mongo_client, tenant):
    """The council's surveys database, read raw."""
    return mongo_client[database_name(tenant["id"], "surveys")]
