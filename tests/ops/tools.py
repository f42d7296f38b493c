"""What the ops tests share besides fixtures: the tools they check with, the replicas, the alert rules
and the command a service is started with."""
from __future__ import annotations

import shutil

import pytest
import yaml

from services.cli.infra import PROJECT_ROOT, service_command

RULES = PROJECT_ROOT / "deploy" / "prometheus" / "rules" / "iec.yml"
REPLICAS = ("a", "b")


def tool(name: str) -> str:
    """The path of a command-line tool the ops tier checks with; fails the test if it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make tools` (deploy/install-tools.sh)", pytrace=False)
    return path


def rules() -> list[dict]:
    """Every rule of deploy/prometheus/rules/iec.yml, in order."""
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def alert_names() -> list[str]:
    """The alerts deploy/prometheus/rules/iec.yml defines, in order."""
    return [rule["alert"] for rule in rules() if "alert" in rule]


def command_of_service(svc: str) -> list[str]:
    """The command the e2e and ops tiers (``ServiceProcesses``) start ``svc`` with, ``python`` for
    the interpreter, as an image or a manifest would write it."""
    return ["python", *service_command(svc)[1:]]
