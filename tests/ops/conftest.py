"""The ops tier: what operators run, checked with the real tools.

- the tools (promtool, prometheus, docker-compose, kubectl): installed by ``make tools``
  (deploy/install-tools.sh), which ``make test`` runs first; a missing tool fails a test, naming it;
- ``platform``: two processes of each service (replicas ``a`` and ``b``, as two pods of each
  Deployment) on a RabbitMQ vhost and an embedded Mongo of their own: the services' relays and
  timers visit every registered tenant, and the other tiers register hundreds;
- ``prometheus``: a real Prometheus server scraping those eight processes and RabbitMQ every second,
  with the project's alert rules loaded.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

from services.cli.infra import (
    SERVICES,
    MailSink,
    free_port,
    rabbitmq_vhost,
    run_vhost_name,
    running_services,
    service_env,
)
from services.reporting.subscribers import vhost_of
from tests.ops.prometheus_server import PrometheusServer, scrape_config
from tests.ops.tools import REPLICAS, RULES, tool
from tests.support.caip import FAST_TIMERS, Stack
from tests.support.http import Api
from tests.support.servers import mongo_for_tests
from tests.support.waiting import eventually

RABBITMQ_PROMETHEUS = "127.0.0.1:15692"  # rabbitmq_prometheus, enabled by services.cli.infra.ensure_rabbitmq


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this tier last: its platform (eight processes and a Prometheus) lives until the session
    ends, and should slow no other tier down meanwhile."""
    here = Path(__file__).parent
    ours = [item for item in items if item.path.is_relative_to(here)]
    items[:] = [item for item in items if not item.path.is_relative_to(here)] + ours


@dataclass
class Platform:
    """The running services: ``urls[replica][service]`` is a base URL."""

    env: dict[str, str]
    urls: dict[str, dict[str, str]]
    vhost: str
    mongo_uri: str
    mail: MailSink

    def stack(self, replica: str) -> Stack:
        """One replica's services, as the e2e tier's ``stack`` is."""
        return Stack(env=self.env, urls=self.urls[replica])

    def api(self, replica: str, key: str | None = None) -> dict[str, Api]:
        """An ``Api`` per service of one replica, speaking with ``key``."""
        return self.stack(replica).api(key)


@pytest.fixture(scope="session")
def ops_broker(amqp_uri: str) -> Iterator[tuple[str, str]]:
    """(AMQP URI, vhost name) of a vhost for the ops platform alone (TEST_AMQP_URI's, when set)."""
    if os.environ.get("TEST_AMQP_URI"):
        yield amqp_uri, vhost_of(amqp_uri)
        return
    name = run_vhost_name("iec-ops")
    with rabbitmq_vhost(name) as uri:
        yield uri, name


@pytest.fixture(scope="session")
def platform(ops_broker: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Two processes of each of the four services, started as `nameko run` like the image does."""
    amqp_uri, vhost = ops_broker
    root = tmp_path_factory.mktemp("ops")
    ports = {replica: {svc: free_port() for svc in SERVICES} for replica in REPLICAS}
    with contextlib.ExitStack() as started:
        mongo_uri = started.enter_context(mongo_for_tests(root / "mongo"))
        mail = started.enter_context(MailSink(root / "mail", port=free_port()))
        env = service_env(amqp_uri, mongo_uri, smtp_port=mail.port, ports=ports["a"], **FAST_TIMERS)
        urls = {replica: started.enter_context(
                    running_services(env, root / f"logs-{replica}", ports[replica], timeout=120)).urls
                for replica in REPLICAS}
        yield Platform(env=env, urls=urls, vhost=vhost, mongo_uri=mongo_uri, mail=mail)


@pytest.fixture(scope="session")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus scraping every process of ``platform`` and RabbitMQ, with our alert rules."""
    jobs = {svc: [urlparse(platform.urls[replica][svc]).netloc for replica in REPLICAS] for svc in SERVICES}
    config = scrape_config(jobs, RABBITMQ_PROMETHEUS, platform.vhost, [RULES])
    server = PrometheusServer(tool("prometheus"), config, tmp_path_factory.mktemp("prometheus")).start()
    try:
        # Target discovery hands the scrape loops their targets only after a few seconds.
        targets = sum(len(hosts) for hosts in jobs.values()) + 1
        eventually(lambda: server.value("count(up == 1)") == targets, timeout=30, interval=0.2,
                   what="Prometheus to scrape every target once")
        yield server
    finally:
        server.stop()
