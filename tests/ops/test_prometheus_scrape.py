"""What operators see of the running platform: /metrics as promtool judges it, a real Prometheus
scraping the services and RabbitMQ, the series moving as work flows, the alert rules evaluating,
and every query of the Grafana dashboard answering.
"""
from __future__ import annotations

import json
import re
import secrets
import subprocess

import requests

from services.cli.infra import PROJECT_ROOT, SERVICES
from tests.ops.tools import REPLICAS, alert_names, tool
from tests.support.caip import new_council
from tests.support.waiting import eventually

DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "iec-overview.json"
# Every service exposes these families (a labelled family with no sample yet still has HELP and TYPE).
FAMILIES = ("iec_entrypoint_calls_total", "iec_entrypoint_duration_seconds", "iec_events_published_total",
            "iec_events_consumed_total", "iec_dead_letters_total", "iec_outbox_backlog",
            "iec_outbox_oldest_age_seconds", "iec_notifications_total", "iec_build_info")
# Grafana's own variables, as Grafana would expand them for a query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m",
                     "${tenant:regex}": ".*", "$tenant": ".*", "${vhost:regex}": ".*", "$vhost": ".*",
                     "${datasource}": "", "$datasource": ""}


def families(text: str) -> set[str]:
    """The metric families an exposition declares (# TYPE lines; counters by their _total name)."""
    declared = re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE)
    return {f"{name}_total" if kind == "counter" and not name.endswith("_total") else name
            for name, kind in declared}


def test_every_service_metrics_pass_promtool(platform):
    promtool = tool("promtool")
    for replica in REPLICAS:
        for svc, url in platform.urls[replica].items():
            text = requests.get(f"{url}/metrics", timeout=10).text
            lint = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                                  text=True, timeout=30)
            problems = lint.stdout + lint.stderr
            assert lint.returncode == 0 and not problems.strip(), f"{svc}/{replica}: {problems}"
            assert set(FAMILIES) <= families(text), f"{svc} lacks {set(FAMILIES) - families(text)}"
            assert f'iec_build_info{{service="{svc}"' in text


def test_prometheus_scrapes_every_replica_and_rabbitmq(prometheus):
    def all_up():
        targets = prometheus.api("targets")["activeTargets"]
        return len(targets) == 2 * len(SERVICES) + 1 and all(t["health"] == "up" for t in targets) and targets

    targets = eventually(all_up, timeout=20, what="every target up")
    assert {t["labels"]["job"] for t in targets} == {*SERVICES, "rabbitmq"}
    assert prometheus.value("count(iec_build_info == 1)") == 2 * len(SERVICES)
    assert prometheus.value("sum(up)") == 2 * len(SERVICES) + 1


def test_series_move_as_employers_are_registered(platform, prometheus):
    tenant = f"ops{secrets.token_hex(3)}"
    api = new_council(platform.stack("a"), tenant)
    calls = ('sum(iec_entrypoint_calls_total{service="intake", entrypoint="register_employer",'
             ' outcome="success"})')
    published = 'sum(iec_events_published_total{service="intake", event_type="employer.registered"})'
    consumed = ('sum(iec_events_consumed_total{service="reporting", event_type="employer.registered",'
                ' outcome="processed"})')
    prometheus.wait_for_scrape()
    before = {expr: prometheus.value(expr) for expr in (calls, published, consumed)}

    for i in range(3):
        answer = api["intake"].post("/v1/employers", {"name": f"Employer {i}", "sector": "finance",
                                                      "employee_count": 40, "city": "Toronto"})
        assert answer.status_code == 201, answer.text

    def moved():
        now = {expr: prometheus.value(expr) for expr in before}
        return all(now[expr] - before[expr] == 3 for expr in before) and now

    eventually(moved, timeout=20, interval=0.5, what="3 calls, events published and consumed in Prometheus")
    # each replica's backlog as of a scrape after the publishing (one replica's last scrape may precede it)
    prometheus.wait_for_scrape()
    queue = "evt-intake-employer.registered--reporting.on_employer_registered"
    assert prometheus.value(f'rabbitmq_queue_consumers{{vhost="{platform.vhost}", queue="{queue}"}}') == 2
    assert prometheus.value(f'max(iec_outbox_backlog{{service="intake", tenant="{tenant}"}})') == 0
    # surveys (invitations due) and notifications (the mail queue) run a pass every second in each replica
    lag = eventually(lambda: len(found := prometheus.query(f'iec_scheduler_lag_seconds{{tenant="{tenant}"}}'))
                     == 4 and found, timeout=30, what="scheduler lag of the new tenant")
    assert sorted(sample["metric"]["service"] for sample in lag) == ["notifications"] * 2 + ["surveys"] * 2
    assert all(float(sample["value"][1]) < 10 for sample in lag)


def test_alert_rules_evaluate_without_error_on_real_series(prometheus):
    prometheus.wait_for_scrape()
    groups = prometheus.api("rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert sorted(rule["name"] for rule in rules) == sorted(alert_names())
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
    # a healthy platform: no alert even pending (each waits minutes before firing)
    assert prometheus.query("ALERTS") == []


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel of the dashboard, rows included."""
    board = json.loads(DASHBOARD.read_text())
    panels = [p for top in board["panels"] for p in (top, *top.get("panels", []))]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel.get("targets", [])]


def expand(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def known_names(prometheus) -> set[str]:
    """Names with samples, and the names of families scraped without a sample yet (from their
    HELP and TYPE lines: a counter nothing has incremented is still a real name)."""
    families = prometheus.api("metadata")
    suffixed = {name + suffix for name in families for suffix in ("", "_total", "_bucket", "_sum", "_count")}
    return set(prometheus.api("label/__name__/values")) | suffixed


def test_every_dashboard_query_runs_on_the_real_prometheus(prometheus):
    queries = dashboard_queries()
    assert len(queries) == DASHBOARD.read_text().count('"expr":')  # every panel's, nested rows' too
    prometheus.wait_for_scrape()
    known = known_names(prometheus)
    failures = []
    for title, expr in queries:
        try:
            prometheus.query(expand(expr))
        except AssertionError as error:
            failures.append(f"{title}: {error}")
            continue
        # A misspelt metric is valid PromQL that silently shows nothing: every name must exist.
        unknown = set(re.findall(r"\b((?:iec|rabbitmq)_[a-z_]+)", expr)) - known
        if unknown:
            failures.append(f"{title}: no such series {sorted(unknown)}")
    assert failures == []
