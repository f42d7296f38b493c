"""The four services as separate `nameko run` processes, on the test session's broker and Mongo."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli.infra import MailSink, ServiceProcesses, free_port
from tests.support.http import Api
from tests.support.servers import mongo_for_tests

SERVICES = ("intake", "surveys", "reporting", "notifications")


@pytest.fixture(scope="module")
def e2e_mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    """One SMTP server for the whole module: the services keep their configuration."""
    with MailSink(tmp_path_factory.mktemp("mail"), port=free_port()) as sink:
        yield sink


@pytest.fixture(scope="module")
def e2e_mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB of the module's own (or MONGO_URI): the services' timers and relays visit every
    registered tenant, and the rest of the suite registers hundreds."""
    with mongo_for_tests(tmp_path_factory.mktemp("e2e-mongo")) as uri:
        yield uri


@pytest.fixture(scope="module")
def stack(amqp_uri: str, e2e_mongo_uri: str, e2e_mail: MailSink,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Start the four services; yields {"urls": {svc: base_url}, "env": env, "processes": ...}."""
    ports = {svc: free_port() for svc in SERVICES}
    env = {"AMQP_URI": amqp_uri, "MONGO_URI": e2e_mongo_uri, "SERVED_TENANTS": "*",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(e2e_mail.port),
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['surveys']}",
           "SCHEDULER_INTERVAL_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.1",
           # mail waits for sending hours in the council's time zone; CI may run at night
           "NOTIFICATIONS_SENDING_HOURS": "00:00-24:00",
           "IEC_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    processes = ServiceProcesses(tmp_path_factory.mktemp("logs"))
    processes.start(env, ports)
    try:
        processes.wait_ready(timeout=90)
        yield {"urls": {svc: f"http://127.0.0.1:{port}" for svc, port in ports.items()},
               "env": env, "processes": processes}
    finally:
        processes.stop()


def iec(env: dict, *args: str) -> str:
    """Run the `iec` console script as an operator would; returns its output."""
    command = [str(Path(sys.executable).with_name("iec")), *args]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def new_council(stack: dict, tenant_id: str) -> dict[str, Api]:
    """Create a council and a staff key with the CLI; returns an Api per service speaking with it."""
    iec(stack["env"], "tenant", "create", tenant_id, "--name", f"{tenant_id.title()} Council",
        "--city", "Toronto", "--timezone", "America/Toronto", "--languages", "en,fr")
    output = iec(stack["env"], "key", "create", tenant_id, "--role", "staff")
    key = next(line.split()[-1] for line in output.splitlines() if line.startswith("key:"))
    return {svc: Api(url, key) for svc, url in stack["urls"].items()}
