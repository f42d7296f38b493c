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

import sys
import time
from pathlib import Path

import harness
import pymongo
import requests
from harness import TENANT, bench_stack, service_rss

from services.cli.infra import poll
from services.common.tenancy import database_name

RESULTS = Path(__file__).with_name("results") / "stack_bench.json"


def run(count: int) -> dict:
    with bench_stack() as bench:
        time.sleep(2)  # let the start-up settle before reading idle memory
        idle = service_rss(bench.processes)
        result = load(bench.processes.ports["intake"], bench.key, bench.client, count)
        result["rss_mib_idle"] = idle
        result["rss_mib_after_load"] = service_rss(bench.processes)
        return result


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
    projected = client[database_name(TENANT, "reporting")]["employers"]
    # bounded: an event that dead-letters would otherwise keep this waiting for ever
    poll(lambda: projected.count_documents({}) >= count, timeout=60 + count / 10, interval=0.05,
         what=lambda: f"reporting to project {count} employers ({projected.count_documents({})} so far)")
    done = time.perf_counter() - started
    return {"employers": count, "http_writes_per_second": round(count / written, 1),
            "seconds_until_all_projected": round(done, 2),
            "events_per_second_end_to_end": round(count / done, 1)}


if __name__ == "__main__":
    sys.exit(harness.main(run, RESULTS, 500, sys.argv))
