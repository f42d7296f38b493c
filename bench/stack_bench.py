"""Footprint and event throughput of the whole stack on this machine.

Starts the four services as `nameko run` processes (as `make run` does) on a fresh embedded MongoDB
and a fresh RabbitMQ vhost, then measures:
- resident memory of each service process, idle and after the load;
- intake's HTTP write rate (serial POST /v1/employers, each a transaction with its outbox entry);
- how long until reporting has projected every `employer.registered` (outbox relay -> RabbitMQ ->
  reliable handler -> transaction), i.e. the end-to-end event rate.
Writes bench/results/stack_bench.json. Run: .venv/bin/python bench/stack_bench.py [N]
"""
from __future__ import annotations

import json
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path

import pymongo
import requests

from services.cli.infra import (
    EmbeddedMongo,
    ServiceProcesses,
    ensure_rabbitmq,
    free_port,
    rabbitmq_vhost,
)
from services.common.tenancy import TenantRegistry, database_name

RESULTS = Path(__file__).with_name("results") / "stack_bench.json"


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def service_rss(processes: ServiceProcesses) -> dict[str, float]:
    return {svc: rss_mib(proc.pid) for svc, proc in processes._processes.items()}  # noqa: SLF001


def run(count: int) -> dict:
    ensure_rabbitmq()
    root = Path(tempfile.mkdtemp(prefix="iec-bench-"))
    with rabbitmq_vhost(f"iec-bench-{secrets.token_hex(3)}") as amqp_uri, \
            EmbeddedMongo(free_port(), root / "mongo", root / "log") as mongo:
        client = pymongo.MongoClient(mongo.uri)
        registry = TenantRegistry(client)
        registry.create_tenant("bench", name="Bench Council", city="Toronto")
        key = registry.create_key("bench", "staff")[1]
        ports = {svc: free_port() for svc in ("intake", "surveys", "reporting", "notifications")}
        processes = ServiceProcesses(root / "log")
        processes.start({"AMQP_URI": amqp_uri, "MONGO_URI": mongo.uri}, ports)
        try:
            processes.wait_ready(timeout=90)
            time.sleep(2)
            idle = service_rss(processes)
            result = load(ports["intake"], key, client, count)
            result["rss_mib_idle"] = idle
            result["rss_mib_after_load"] = service_rss(processes)
            return result
        finally:
            processes.stop()


def load(intake_port: int, key: str, client: pymongo.MongoClient, count: int) -> dict:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    url = f"http://127.0.0.1:{intake_port}/v1/employers"
    started = time.perf_counter()
    for i in range(count):
        answer = session.post(url, json={"name": f"Employer {i}", "sector": "finance",
                                         "employee_count": 50 + i, "city": "Toronto"}, timeout=30)
        answer.raise_for_status()
    written = time.perf_counter() - started
    projected = client[database_name("bench", "reporting")]["employers"]
    while projected.count_documents({}) < count:
        time.sleep(0.05)
    done = time.perf_counter() - started
    return {"employers": count, "http_writes_per_second": round(count / written, 1),
            "seconds_until_all_projected": round(done, 2),
            "events_per_second_end_to_end": round(count / done, 1)}


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    result = {"machine": f"{platform.machine()}, {platform.python_version()}, 2 cores",
              "store": "nx-27017 0.8.1 (embedded)", **run(count)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
