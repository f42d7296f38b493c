"""A real Prometheus server (Debian's ``prometheus``) for the ops tier: started, queried, stopped.

The tests generate its configuration (scrape interval 1 s) so that it scrapes the processes they
started, and load the project's own alert rules into it.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import requests
import yaml

from services.cli.infra import free_port, poll, spawn, terminate, wait_until_ready

SCRAPE_SECONDS = 1


def scrape_config(jobs: dict[str, list[str]], rabbitmq: str, vhost: str, rule_files: list[Path]) -> dict:
    """A Prometheus configuration scraping ``jobs`` (job name -> host:port targets) and RabbitMQ.

    RabbitMQ is read per object (queue-level series, as in deploy/prometheus/prometheus.yml) and
    only ``vhost`` is kept: the broker also carries the vhosts of other test sessions.
    """
    scrape = [{"job_name": job, "static_configs": [{"targets": targets}]} for job, targets in jobs.items()]
    scrape.append({
        "job_name": "rabbitmq", "metrics_path": "/metrics/per-object",
        "static_configs": [{"targets": [rabbitmq]}],
        "metric_relabel_configs": [{"source_labels": ["vhost"], "regex": f"{vhost}|", "action": "keep"}],
    })
    return {"global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": f"{SCRAPE_SECONDS}s",
                       "evaluation_interval": f"{SCRAPE_SECONDS}s"},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": scrape}


class PrometheusServer:
    """``prometheus`` (the binary at ``command``) on a free port of 127.0.0.1 with a generated
    configuration, data in ``directory``."""

    def __init__(self, command: str, config: dict, directory: Path):
        self.command = command
        self.directory = Path(directory)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._config = config
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> PrometheusServer:
        """Write the configuration, start the server and wait until it says it is ready."""
        self.directory.mkdir(parents=True, exist_ok=True)
        config_file = self.directory / "prometheus.yml"
        config_file.write_text(yaml.safe_dump(self._config))
        log = self.directory / "prometheus.log"
        self._process = spawn([self.command, f"--config.file={config_file}",
                               f"--storage.tsdb.path={self.directory / 'data'}",
                               f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"], log)
        try:
            wait_until_ready(f"{self.url}/-/ready", timeout, log=log)
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM (Prometheus shuts down cleanly on it), then SIGKILL after 10 s."""
        if self._process is not None:
            terminate([self._process], timeout=10)
            self._process = None

    def api(self, path: str, **params: str) -> object:
        """GET ``/api/v1/<path>``; returns ``data``, raising with Prometheus' error otherwise."""
        answer = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = answer.json()
        if body.get("status") != "success":
            raise PromQLError(f"{params or path}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """The instant vector (or scalar, as one sample) of ``expr`` now."""
        data = self.api("query", query=expr)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return data["result"]

    def value(self, expr: str) -> float:
        """The single number ``expr`` evaluates to now (0 when it selects nothing)."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr} returned {len(result)} series"
        return float(result[0]["value"][1]) if result else 0.0

    def wait_for_scrape(self, timeout: float = 30) -> None:
        """Wait until every target has been scraped after this call began (each ``up`` sample, one
        per target and scrape, is stamped with its scrape's start)."""
        since = time.time()
        poll(lambda: self.value("min(timestamp(up))") > since, timeout, interval=SCRAPE_SECONDS / 4,
             what="every target scraped again")


class PromQLError(AssertionError):
    """Prometheus refused a query."""
