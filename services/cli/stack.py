"""`iec stack`: the whole platform on one machine, with a demo tenant, until Ctrl-C.

RabbitMQ (started or installed if needed), the embedded MongoDB on 27017 unless MONGO_URI is set,
an SMTP sink on 1025 writing under var/mail/, and the four services on 8001-8004 logging under
var/log/. Everything started here is stopped again, in reverse order, on SIGINT or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymongo

from services.cli.infra import (
    DEFAULT_PORTS,
    PROJECT_ROOT,
    EmbeddedMongo,
    MailSink,
    ServiceProcesses,
    ensure_rabbitmq,
    port_is_open,
    running_services,
    say,
    service_env,
)
from services.common.config import DEFAULT_AMQP_URI
from services.common.tenancy import TenantExists, TenantRegistry

VAR = PROJECT_ROOT / "var"
MASTER_KEY_FILE = VAR / "master.key"
MONGO_PORT = 27017
SMTP_HOST, SMTP_PORT = "127.0.0.1", 1025
DEMO_TENANT = "demo"


class StackError(Exception):
    """Something the person running the stack has to fix (a port in use, a service that crashed)."""


def run_stack(demo: bool = True) -> int:
    """Run the stack in the foreground until SIGINT/SIGTERM; return the process exit code."""
    previous = _raise_keyboard_interrupt_on_sigterm()
    try:
        with contextlib.ExitStack() as started:
            try:
                services = _bring_up(started, demo)
                _watch(services)
            except KeyboardInterrupt:
                # The children run in their own process groups, so they did not see the signal:
                # the ExitStack stops them, and a second Ctrl-C must not cut that short.
                _ignore_stop_signals()
                say("stopping")
            except (StackError, RuntimeError, TimeoutError) as error:
                say(f"error: {error}")
                return 1
        say("stopped")
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _bring_up(started: contextlib.ExitStack, demo: bool) -> ServiceProcesses:
    """Start each piece, registering its stop on `started`; return the running services."""
    _check_ports_free({f"service {svc}": port for svc, port in DEFAULT_PORTS.items()}
                      | {"SMTP sink": SMTP_PORT})
    ensure_broker()
    mongo_uri = os.environ.get("MONGO_URI") or _start_mongo(started)
    mail = started.enter_context(MailSink(VAR / "mail", SMTP_HOST, SMTP_PORT))
    say("starting the four services and waiting for them to be ready")
    services = started.enter_context(running_services(_service_env(mongo_uri), VAR / "log", DEFAULT_PORTS))
    keys = seed_demo(mongo_uri) if demo else {}
    print(summary(mongo_uri, mail, keys), flush=True)
    return services


def amqp_uri() -> str:
    """The broker the stack's services use: AMQP_URI, else the local RabbitMQ."""
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def broker_address() -> tuple[str, int]:
    """(host, port) of the broker AMQP_URI names."""
    parts = urlsplit(amqp_uri())
    return parts.hostname or "127.0.0.1", parts.port or 5672


def ensure_broker() -> None:
    """The broker AMQP_URI names answers: a local one is started (or installed) if needed; a remote
    one is only checked, since it is not ours to start."""
    host, port = broker_address()
    if host in ("127.0.0.1", "localhost", "::1"):
        ensure_rabbitmq(host, port)
    elif not port_is_open(host, port):
        raise StackError(f"RabbitMQ at {host}:{port} (AMQP_URI) does not answer")


def _check_ports_free(ports: dict[str, int]) -> None:
    """Fail early, naming the port, rather than half-start and talk to someone else's server."""
    taken = [f"{what} ({port})" for what, port in ports.items() if port_is_open("127.0.0.1", port)]
    if taken:
        raise StackError(f"port(s) already in use: {', '.join(taken)}. Is another `make run` still running?")


def _start_mongo(started: contextlib.ExitStack) -> str:
    _check_ports_free({"MongoDB": MONGO_PORT})
    say(f"starting the embedded MongoDB (nx-27017) on 127.0.0.1:{MONGO_PORT}, data in {VAR / 'mongo'}")
    mongo = started.enter_context(EmbeddedMongo(MONGO_PORT, VAR / "mongo", VAR / "log"))
    return mongo.uri


def _master_key() -> str:
    """IEC_MASTER_KEY, else the local stack's own, made once under var/ (var/mongo is sealed with it)."""
    if os.environ.get("IEC_MASTER_KEY"):
        return os.environ["IEC_MASTER_KEY"]
    from services.intake.keys import new_master_key

    VAR.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(MASTER_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_master_key() + "\n")
    return MASTER_KEY_FILE.read_text().strip()


def _service_env(mongo_uri: str) -> dict[str, str]:
    """What every service is configured with: the demo's mail goes to the local sink, at any hour
    unless NOTIFICATIONS_SENDING_HOURS says otherwise."""
    hours = os.environ.get("NOTIFICATIONS_SENDING_HOURS")
    return service_env(amqp_uri(), mongo_uri, master_key=_master_key(), smtp_port=SMTP_PORT,
                       **({"NOTIFICATIONS_SENDING_HOURS": hours} if hours else {}))


def seed_demo(mongo_uri: str) -> dict[str, str]:
    """Create the demo council with an admin and a staff key; if it exists, make a fresh staff key.

    Returns the plaintext keys by role (shown once: only their hashes are stored).
    """
    client = pymongo.MongoClient(mongo_uri)
    try:
        registry = TenantRegistry(client)
        keys = {}
        try:
            registry.create_tenant(DEMO_TENANT, name="Demo Council", city="Toronto",
                                   timezone="America/Toronto", languages=["en", "fr"])
            keys["admin"] = registry.create_key(DEMO_TENANT, "admin")[1]
        except TenantExists:
            say(f"tenant {DEMO_TENANT!r} exists already; making a fresh staff key")
        keys["staff"] = registry.create_key(DEMO_TENANT, "staff")[1]
        return keys
    finally:
        client.close()


def summary(mongo_uri: str, mail: MailSink, keys: dict[str, str]) -> str:
    """What is running where, and a few curl commands to try."""
    lines = ["", "The platform is running:"]
    lines += [f"  {svc:<14} http://127.0.0.1:{port}   log {_rel(VAR / 'log' / f'{svc}.log')}"
              for svc, port in DEFAULT_PORTS.items()]
    host, port = broker_address()
    parts = urlsplit(amqp_uri())
    login = " (guest/guest)" if (parts.username, parts.password) == ("guest", "guest") else ""
    lines += [f"  MongoDB        {mongo_uri}",
              f"  SMTP sink      {mail.host}:{mail.port}   mails in {_rel(mail.directory)}/",
              f"  RabbitMQ       amqp://{host}:{port}{parts.path or '/'}   management http://{host}:15672{login}"]
    lines += [f"  {role} key for tenant {DEMO_TENANT!r}: {key}" for role, key in keys.items()]
    if "staff" in keys:
        lines += ["", "Try:", *_curls(keys["staff"])]
    lines += ["", "Ctrl-C stops everything."]
    return "\n".join(lines)


def _curls(key: str) -> list[str]:
    auth = f'-H "Authorization: Bearer {key}"'
    employer = '{"name":"Acme","sector":"finance","employee_count":250,"city":"Toronto"}'
    json_body = f"-H 'Content-Type: application/json' -d '{employer}'"
    return [
        f"  curl {auth} -X POST localhost:8001/v1/employers {json_body}",
        f"  curl {auth} localhost:8002/v1/instruments",
        "  curl localhost:8003/metrics",
    ]


def _rel(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _watch(services: ServiceProcesses) -> None:
    """Block until a stop signal; a service that dies is reported, since the stack is then broken."""
    while True:
        time.sleep(1)
        for svc, code in services.exited().items():
            raise StackError(f"{svc} exited with {code}; see {_rel(services.log_path(svc))}")


def _raise_keyboard_interrupt_on_sigterm() -> Any:
    # SIGTERM (e.g. from a process manager) should unwind exactly like Ctrl-C, so both stop cleanly.
    # SIGINT gets a handler too: started in the background by a script, we inherit it ignored, and
    # an ignored SIGINT would pass to the services, which stop on SIGINT (a handler resets at exec).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return signal.signal(signal.SIGTERM, signal.default_int_handler)


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(run_stack(demo="--no-demo" not in sys.argv))
