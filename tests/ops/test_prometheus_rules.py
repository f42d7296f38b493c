"""The Prometheus configuration and alert rules, checked and unit-tested by promtool itself."""
from __future__ import annotations

import subprocess

from services.cli.infra import PROJECT_ROOT
from tests.ops.tools import RULES, alert_names, rules, tool

PROMETHEUS_DIR = PROJECT_ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT)


def test_alert_rules_are_valid():
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


def test_every_alert_fires_when_it_should_and_stays_silent_otherwise():
    tested = promtool("test", "rules", str(PROMETHEUS_DIR / "tests" / "iec_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test():
    tests = (PROMETHEUS_DIR / "tests" / "iec_test.yml").read_text()
    alerts = alert_names()
    assert alerts
    assert [alert for alert in alerts if f"alertname: {alert}" not in tests] == []


def test_the_compose_prometheus_configuration_is_valid():
    checked = promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
