"""What the benchmarks share: services started as `make run` does, on a fresh embedded MongoDB and a
fresh RabbitMQ vhost, with a council to write into; the machine they ran on; resident memory."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pymongo

from services.cli.infra import (
    SERVICES,
    EmbeddedMongo,
    ServiceProcesses,
    ensure_rabbitmq,
    free_port,
    rabbitmq_vhost,
    remove_stale_test_vhosts,
    run_vhost_name,
    running_services,
    service_env,
)
from services.common.tenancy import TenantRegistry

TENANT = "bench"


@dataclass
class Bench:
    """The running services, a client of their MongoDB, and a staff key of council ``TENANT``."""

    processes: ServiceProcesses
    client: pymongo.MongoClient
    key: str


@contextlib.contextmanager
def bench_stack(services: tuple[str, ...] = SERVICES) -> Iterator[Bench]:
    """Start ``services`` for a benchmark; everything (vhost, MongoDB, temporary files) goes afterwards.

    The vhost is named like the tests' so that a later run removes it if this one is killed.
    """
    ensure_rabbitmq()
    remove_stale_test_vhosts()
    root = Path(tempfile.mkdtemp(prefix="iec-bench-"))
    try:
        with rabbitmq_vhost(run_vhost_name("iec-bench")) as amqp_uri, \
                EmbeddedMongo(free_port(), root / "mongo", root / "log") as mongo, \
                pymongo.MongoClient(mongo.uri) as client:
            registry = TenantRegistry(client)
            registry.create_tenant(TENANT, name="Bench Council", city="Toronto")
            key = registry.create_key(TENANT, "staff")[1]
            ports = {svc: free_port() for svc in services}
            env = service_env(amqp_uri, mongo.uri, ports=ports)
            with running_services(env, root / "log", ports, services) as processes:
                yield Bench(processes, client, key)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def machine() -> dict[str, str]:
    """Where a result was measured: the machine, Python, cores and the store."""
    return {"machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} cores",
            "store": f"nx-27017 {version('nx-27017')} (embedded)"}


def rss_mib(pid: int) -> float:
    """Resident set size of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def service_rss(processes: ServiceProcesses) -> dict[str, float]:
    """Resident memory of each service process, MiB."""
    return {svc: rss_mib(pid) for svc, pid in processes.pids().items()}


def main(run: Callable[[int], dict], results: Path, default_count: int, argv: list[str]) -> int:
    """A bench's command line: ``run`` it with the count given (or ``default_count``), with the
    machine's description, into ``results`` (JSON, committed) and to standard output."""
    count = int(argv[1]) if len(argv) > 1 else default_count
    result = {**machine(), **run(count)}
    results.parent.mkdir(exist_ok=True)
    results.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0
