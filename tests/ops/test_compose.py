"""docker-compose.yml and the Dockerfile: valid for docker-compose, and running what the tests run."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from services.cli.infra import DEFAULT_PORTS, PROJECT_ROOT, SERVICES
from tests.ops.tools import command_of_service, tool

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose file as docker-compose resolves it (anchors, merges and variables applied)."""
    env = {**os.environ, "IEC_MASTER_KEY": "a-key-for-the-check-only"}
    done = subprocess.run([tool("docker-compose"), "config"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_runs_each_service_with_the_command_the_tests_use(compose):
    for svc in SERVICES:
        service = compose["services"][svc]
        assert service["command"] == command_of_service(svc), svc
        assert service["build"]["context"] == str(PROJECT_ROOT)  # the one Dockerfile
        assert service["environment"]["WEB_SERVER_ADDRESS"].endswith(f":{DEFAULT_PORTS[svc]}")
        assert {"rabbitmq", "mongo"} <= set(service["depends_on"])
        assert service["depends_on"]["mongo"]["condition"] == "service_healthy"


def test_compose_brings_the_broker_the_database_and_prometheus_configured(compose):
    services = compose["services"]
    plugins = (PROJECT_ROOT / "deploy" / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_management" in plugins and "rabbitmq_prometheus" in plugins
    assert any(v.endswith(":/etc/rabbitmq/enabled_plugins:ro") for v in _volumes(services["rabbitmq"]))
    mongo = services["mongo"]
    assert mongo["command"][:2] == ["--replSet", "rs0"]
    assert "rs.initiate" in " ".join(mongo["healthcheck"]["test"])  # the replica set starts itself
    assert any(v.startswith(f"{PROJECT_ROOT}/deploy/prometheus:") for v in _volumes(services["prometheus"]))
    for name, service in services.items():
        if "image" in service and "build" not in service:
            assert re.search(r":v?\d+\.\d+\.\d+", service["image"]), f"{name} image is not pinned"


def _volumes(service: dict) -> list[str]:
    return [v if isinstance(v, str) else f"{v['source']}:{v['target']}" + (":ro" * bool(v.get("read_only")))
            for v in service.get("volumes", [])]


def test_the_image_runs_as_a_non_root_user_from_a_pinned_base_with_a_health_check():
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert bases and all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-bookworm", base) for base in bases)
    assert re.search(r"^USER 10001:10001$", DOCKERFILE, flags=re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD .*/ready", DOCKERFILE, flags=re.MULTILINE)
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.MULTILINE).group(1))
    assert cmd == command_of_service("intake")
