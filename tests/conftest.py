"""Session fixtures shared by every test tier: a RabbitMQ vhost, a MongoDB, an SMTP sink.

With TEST_AMQP_URI / MONGO_URI set the suite runs against those servers (e.g. a real MongoDB);
otherwise it brings up its own, isolated from the dev stack: a fresh vhost and nx-27017 on a free port.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # eventlet warns that it is deprecated
    import eventlet

# nameko runs on eventlet: patch before anything imports socket or threading (as `nameko run` does).
eventlet.monkey_patch()

# ruff: noqa: E402

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

# the shared helpers assert too: show their failures as pytest shows a test's (before they are imported)
pytest.register_assert_rewrite("tests.support", "tests.integration", "tests.unit", "tests.browser")

# each service started in-process: the fixtures of the integration and browser tiers
pytest_plugins = ["tests.integration.service_fixtures"]

from services.cli.infra import (
    MailSink,
    ensure_rabbitmq,
    free_port,
    rabbitmq_vhost,
    remove_stale_test_vhosts,
    run_vhost_name,
)
from services.common.tenancy import TenantRegistry
from services.intake.keys import new_master_key
from tests.support.servers import mongo_for_tests


@pytest.fixture(scope="session")
def amqp_uri() -> Iterator[str]:
    """AMQP URI of a vhost that only this test session uses."""
    if os.environ.get("TEST_AMQP_URI"):
        yield os.environ["TEST_AMQP_URI"]
        return
    ensure_rabbitmq()
    remove_stale_test_vhosts()
    with rabbitmq_vhost(run_vhost_name("iec-test")) as uri:
        yield uri


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of the MongoDB the tests use: MONGO_URI, or an nx-27017 started for this session."""
    with mongo_for_tests(tmp_path_factory.mktemp("mongo")) as uri:
        yield uri


@pytest.fixture(scope="session")
def mongo_client(mongo_uri: str) -> Iterator[pymongo.MongoClient]:
    """One pymongo client for the session; tests isolate themselves by unique ids, not cleanup."""
    client = pymongo.MongoClient(mongo_uri)
    yield client
    client.close()


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    """A fresh SMTP sink on a free port for one test (starting one takes milliseconds)."""
    with MailSink(tmp_path / "mail", port=free_port()) as sink:
        yield sink


# One master key per test session: intake seals each council's keys with it (services/intake/keys.py).
TEST_MASTER_KEY = new_master_key()


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch, mongo_uri: str) -> pytest.MonkeyPatch:
    """The environment an in-process service reads its settings from, tuned for fast tests."""
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    monkeypatch.setenv("SERVED_TENANTS", "*")
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "0.05")
    monkeypatch.setenv("EVENT_DELIVERY_LIMIT", "3")
    monkeypatch.setenv("EVENT_RETRY_DELAY_SECONDS", "0.01")
    monkeypatch.setenv("SCHEDULER_INTERVAL_SECONDS", "3600")  # tests run due passes themselves
    monkeypatch.setenv("IEC_MASTER_KEY", TEST_MASTER_KEY)
    return monkeypatch


def make_tenant(client: pymongo.MongoClient, prefix: str, city: str) -> dict:
    """Register a council with a unique id and one key per role: {"id", "admin", "staff", "analyst"}."""
    registry = TenantRegistry(client)
    tenant_id = f"{prefix}{secrets.token_hex(5)}"
    registry.create_tenant(tenant_id, name=f"Council {tenant_id}", city=city)
    keys = {role: registry.create_key(tenant_id, role)[1] for role in ("admin", "staff", "analyst")}
    return {"id": tenant_id, **keys}


@pytest.fixture
def tenant(mongo_client: pymongo.MongoClient) -> dict:
    """A fresh council: {"id", "admin", "staff", "analyst"}."""
    return make_tenant(mongo_client, "t", "Ottawa")


@pytest.fixture
def other_council(mongo_client: pymongo.MongoClient) -> dict:
    """A second council: its ids must be invisible to the first, and the reverse."""
    return make_tenant(mongo_client, "o", "Halifax")
