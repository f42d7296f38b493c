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

import base64
import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from services.cli.infra import (
    PROJECT_ROOT,
    SERVICES,
    MailSink,
    ServiceProcesses,
    free_port,
    rabbitmq_vhost,
    run_vhost_name,
)
from tests.ops.prometheus_server import PrometheusServer, scrape_config
from tests.support.http import Api
from tests.support.servers import mongo_for_tests
from tests.support.waiting import eventually

RULES = PROJECT_ROOT / "deploy" / "prometheus" / "rules" / "iec.yml"
RABBITMQ_PROMETHEUS = "127.0.0.1:15692"  # rabbitmq_prometheus, enabled by services.cli.infra.ensure_rabbitmq
REPLICAS = ("a", "b")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this tier last: its platform (eight processes and a Prometheus) lives until the session
    ends, and should slow no other tier down meanwhile."""
    here = Path(__file__).parent
    ours = [item for item in items if item.path.is_relative_to(here)]
    items[:] = [item for item in items if not item.path.is_relative_to(here)] + ours


def tool(name: str) -> str:
    """The path of a command-line tool the ops tier checks with; fails the test if it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make tools` (deploy/install-tools.sh)", pytrace=False)
    return path


@dataclass
class Platform:
    """The running services: ``urls[replica][service]`` is a base URL."""

    env: dict[str, str]
    urls: dict[str, dict[str, str]]
    vhost: str
    mongo_uri: str
    mail: MailSink

    def api(self, replica: str, key: str | None = None) -> dict[str, Api]:
        """An ``Api`` per service of one replica, speaking with ``key``."""
        return {svc: Api(url, key) for svc, url in self.urls[replica].items()}


@pytest.fixture(scope="session")
def ops_broker(amqp_uri: str) -> Iterator[tuple[str, str]]:
    """(AMQP URI, vhost name) of a vhost for the ops platform alone (TEST_AMQP_URI's, when set)."""
    if os.environ.get("TEST_AMQP_URI"):
        yield amqp_uri, unquote(urlparse(amqp_uri).path[1:]) or "/"
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
        env = {"AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "SERVED_TENANTS": "*",
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port),
               "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['a']['surveys']}",
               "SCHEDULER_INTERVAL_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.1",
               "NOTIFICATIONS_SENDING_HOURS": "00:00-24:00",  # CI may run at night
               "IEC_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
        replicas = []
        for replica in REPLICAS:
            processes = ServiceProcesses(root / f"logs-{replica}")
            started.callback(processes.stop)
            processes.start(env, ports[replica])
            replicas.append(processes)
        for processes in replicas:
            processes.wait_ready(timeout=120)
        urls = {replica: {svc: f"http://127.0.0.1:{port}" for svc, port in by_svc.items()}
                for replica, by_svc in ports.items()}
        yield Platform(env=env, urls=urls, vhost=vhost, mongo_uri=mongo_uri, mail=mail)


@pytest.fixture(scope="session")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus scraping every process of ``platform`` and RabbitMQ, with our alert rules."""
    tool("prometheus")
    jobs = {svc: [urlparse(platform.urls[replica][svc]).netloc for replica in REPLICAS] for svc in SERVICES}
    config = scrape_config(jobs, RABBITMQ_PROMETHEUS, platform.vhost, [RULES])
    server = PrometheusServer(config, tmp_path_factory.mktemp("prometheus")).start()
    try:
        # Target discovery hands the scrape loops their targets only after a few seconds.
        targets = sum(len(hosts) for hosts in jobs.values()) + 1
        eventually(lambda: server.value("count(up == 1)") == targets, timeout=30, interval=0.2,
                   what="Prometheus to scrape every target once")
        yield server
    finally:
        server.stop()


def command_of_service(svc: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The command the tests (``ServiceProcesses``) start ``svc`` with, ``python`` for the interpreter.

    Read by starting nothing: the process spawner is replaced at the edge, so the answer cannot
    drift from what the e2e and ops tiers really run.
    """
    from services.cli import infra

    spawned: list[list[str]] = []
    monkeypatch.setattr(infra, "_spawn", lambda args, *_, **__: spawned.append(args))
    infra.ServiceProcesses(tmp_path, services=(svc,)).start({})
    monkeypatch.undo()
    return ["python", *spawned[0][1:]]
