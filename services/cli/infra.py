"""Local infrastructure for the dev stack and the tests.

Each piece is small and stands alone: a RabbitMQ that is running (installed and started if needed),
an embedded MongoDB wire-protocol server (nx-27017), an SMTP sink that keeps every mail, an HTTP
readiness wait, the four services as OS processes, and a throw-away RabbitMQ vhost.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self, TypeVar

import pymongo
import pymongo.errors
from aiosmtpd.controller import Controller

SERVICES = ("intake", "surveys", "reporting", "notifications")
DEFAULT_PORTS = {"intake": 8001, "surveys": 8002, "reporting": 8003, "notifications": 8004}
RABBITMQ_PLUGINS = ("rabbitmq_management", "rabbitmq_prometheus")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# `nameko run` acts on SIGTERM only when the eventlet hub next wakes up (with no timers due, never:
# the signal's EINTR is retried inside the hub), while SIGINT stops it gracefully at once.
NAMEKO_STOP_SIGNAL = signal.SIGINT
# Child output meant for the person goes to our fd 2 itself: sys.stderr may be a wrapper without one.
STDERR_FD = 2
T = TypeVar("T")


def say(message: str) -> None:
    """Tell the person at the terminal what the infrastructure is doing (stderr, not stdout)."""
    print(f"[iec] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on (host, port)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def log_tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, or a note that there is none, for error messages."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def poll(probe: Callable[[], T], timeout: float, *, interval: float = 0.2,
         what: str | Callable[[], str] = "condition", check: Callable[[], None] | None = None,
         error: type[Exception] = TimeoutError) -> T:
    """Call ``probe`` until it returns something truthy, and return that; the one bounded wait here.

    Between tries ``check`` (if given) may raise to stop early (a process that exited). After
    ``timeout`` seconds ``error`` is raised, naming ``what`` (a callable is asked only then, e.g.
    for a log tail) and the probe's last value (unless a mere False).
    """
    deadline = time.monotonic() + timeout
    last = probe()
    while not last:
        if check is not None:
            check()
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            detail = "" if isinstance(last, bool) else f"; last value: {last!r}"
            raise error(f"timed out after {timeout}s waiting for {described}{detail}")
        time.sleep(interval)
        last = probe()
    return last


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command, raising with its output when it fails (the output is the useful part)."""
    result = subprocess.run(args, check=False, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


# --- RabbitMQ ------------------------------------------------------------------------------------


def ensure_rabbitmq(host: str = "127.0.0.1", port: int = 5672) -> None:
    """Make sure a RabbitMQ broker answers on (host, port) with the management and prometheus plugins.

    A running broker is left as it is apart from the plugins. A missing one is installed from
    Debian's packages (as root) and started detached.
    """
    if not port_is_open(host, port):
        if shutil.which("rabbitmq-server") is None:
            _install_rabbitmq()
        _start_rabbitmq()
    _enable_rabbitmq_plugins(host)


def _install_rabbitmq() -> None:
    if os.geteuid() != 0:
        raise RuntimeError(
            "RabbitMQ is not installed. Install it with:\n"
            "  sudo apt-get update && sudo apt-get install -y rabbitmq-server"
        )
    say("RabbitMQ is not installed; installing rabbitmq-server with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update"], ["apt-get", "install", "-y", "rabbitmq-server"]):
        subprocess.run(args, check=True, env=env, stdout=STDERR_FD, timeout=900)


def _start_rabbitmq(timeout: int = 120) -> None:
    say("RabbitMQ is not running; starting it with rabbitmq-server -detached")
    # -detached returns at once; await_startup is the broker's own bounded wait.
    subprocess.run(["rabbitmq-server", "-detached"], check=True, stdout=STDERR_FD, timeout=60)
    _run(["rabbitmqctl", "await_startup", "--timeout", str(timeout)], timeout=timeout + 30)
    say("RabbitMQ is up")


def _enable_rabbitmq_plugins(host: str) -> None:
    # The plugins listen on 15672 (management) and 15692 (prometheus): when both answer there is
    # nothing to do, and a TCP connect is far cheaper than the two seconds an Erlang CLI call costs.
    if port_is_open(host, 15672) and port_is_open(host, 15692):
        return
    # Enabling reconfigures the node, so only enable what `list -e -m` says is missing.
    listed = _run(["rabbitmq-plugins", "list", "-e", "-m", "-q"]).stdout.split()
    missing = [plugin for plugin in RABBITMQ_PLUGINS if plugin not in listed]
    if missing:
        say(f"enabling RabbitMQ plugins: {', '.join(missing)}")
        _run(["rabbitmq-plugins", "enable", *missing])


def run_vhost_name(prefix: str) -> str:
    """A vhost name for a test run that carries its process id, so a later run can tell it is stale."""
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"


def remove_stale_test_vhosts(prefixes: tuple[str, ...] = ("iec-test", "iec-ops", "iec-bench")) -> list[str]:
    """Delete the vhosts of test runs whose process is gone (killed runs never delete theirs).

    Their quorum queues would otherwise pile up across runs until the broker runs out of file
    descriptors. Only names made by ``run_vhost_name`` (with a process id) are touched.
    """
    removed = []
    for name in _run(["rabbitmqctl", "list_vhosts", "-q", "name"]).stdout.split():
        parts = name.split("-")
        if "-".join(parts[:2]) in prefixes and len(parts) == 4 and parts[2].isdigit():
            if not _process_alive(int(parts[2])):
                _run(["rabbitmqctl", "delete_vhost", name])
                removed.append(name)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def rabbitmq_vhost(name: str) -> Iterator[str]:
    """Create vhost `name` with full rights for guest, yield its AMQP URI, and delete it afterwards."""
    _run(["rabbitmqctl", "add_vhost", name])
    try:
        _run(["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"])
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        _run(["rabbitmqctl", "delete_vhost", name])


# --- processes -----------------------------------------------------------------------------------


def spawn(args: list[str], log_path: Path, env: dict[str, str] | None = None,
          cwd: Path = PROJECT_ROOT) -> subprocess.Popen:
    """Start a process in its own process group (so Ctrl-C in the terminal reaches only us, and a
    stop takes its children too), with stdout and stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=env, cwd=cwd, start_new_session=True,
        )


def terminate(processes: list[subprocess.Popen], timeout: float = 10, sig: int = signal.SIGTERM) -> None:
    """Send `sig` to each process group, wait up to `timeout` in total, then SIGKILL what is left."""
    for proc in processes:
        _signal_group(proc, sig)
    deadline = time.monotonic() + timeout
    for proc in processes:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=5)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


# --- MongoDB -------------------------------------------------------------------------------------


def _nx_27017_command() -> str:
    """The nx-27017 script next to this interpreter (the venv's, even when it is not on PATH)."""
    beside = Path(sys.executable).parent / "nx-27017"
    found = str(beside) if beside.exists() else shutil.which("nx-27017")
    if found is None:
        raise RuntimeError("nx-27017 is not installed: run `make setup`, or set MONGO_URI to a MongoDB")
    return found


class EmbeddedMongo:
    """nx-27017 (MongoDB wire protocol over SQLite) as a child process, for when MONGO_URI is unset."""

    def __init__(self, port: int, data_dir: Path, log_dir: Path, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.data_dir, self.log_dir = Path(data_dir), Path(log_dir)
        self.log_path = self.log_dir / "mongo.log"
        self._process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        """The pymongo URI of this server (directConnection: it is one node, not a discovered set)."""
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def start(self, timeout: float = 20) -> EmbeddedMongo:
        """Launch the server and return once it answers a ping; raise with its log tail otherwise."""
        # Without this check the ping below would succeed against whatever already holds the port.
        if port_is_open(self.host, self.port):
            raise RuntimeError(f"cannot start nx-27017: {self.host}:{self.port} is already in use")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            _nx_27017_command(), "--data-dir", str(self.data_dir),
            "--host", self.host, "-p", str(self.port),
            "--log-file", str(self.log_path), "--pid-file", str(self.log_dir / "mongo.pid"),
        ]
        self._process = spawn(args, self.log_dir / "mongo.out")
        self._wait_for_ping(timeout)
        return self

    def _wait_for_ping(self, timeout: float) -> None:
        def exited() -> None:
            if self._process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with {self._process.returncode}:\n{self._logs()}")

        try:
            poll(self._pings, timeout, interval=0.1, check=exited, what="nx-27017 to answer a ping")
        except TimeoutError:
            self.stop()
            raise TimeoutError(f"nx-27017 did not answer within {timeout}s:\n{self._logs()}") from None

    def _pings(self) -> bool:
        with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500) as client:
            try:
                client.admin.command("ping")
                return True
            except pymongo.errors.PyMongoError:
                return False

    def _logs(self) -> str:
        return log_tail(self.log_dir / "mongo.out") + "\n" + log_tail(self.log_path)

    def stop(self, timeout: float = 10) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
        if self._process is not None:
            terminate([self._process], timeout)
            self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- SMTP sink -----------------------------------------------------------------------------------


class _SinkHandler:
    """aiosmtpd handler: each message becomes a .eml file and an EmailMessage in memory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.received: list[EmailMessage] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        (self.directory / f"{stamp}-{secrets.token_hex(4)}.eml").write_bytes(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.arrived:
            self.received.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class MailSink:
    """A local SMTP server that accepts every mail, writes it under `directory` and remembers it."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        self.directory = Path(directory)
        self.host, self.port = host, port
        self._handler = _SinkHandler(self.directory)
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        """Start listening; returns self so `sink = MailSink(...).start()` reads naturally."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening; the files and the in-memory messages stay."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        """A copy of the messages received so far, oldest first."""
        with self._handler.arrived:
            return list(self._handler.received)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until at least `count` messages have arrived and return them all.

        Raises TimeoutError, saying how many did arrive, when they have not within `timeout` seconds.
        """
        with self._handler.arrived:
            if not self._handler.arrived.wait_for(lambda: len(self._handler.received) >= count, timeout):
                got = len(self._handler.received)
                raise TimeoutError(f"expected {count} mail(s) within {timeout}s, {got} arrived")
            return list(self._handler.received)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- HTTP readiness ------------------------------------------------------------------------------


def wait_until_ready(url: str, timeout: float, check: Callable[[], None] | None = None,
                     log: Path | None = None) -> None:
    """Poll `url` with GET until it answers 200; raise TimeoutError naming the URL and the last error
    (and the end of `log`, if given). `check` may raise between tries (a process that exited)."""
    errors = ["no attempt made"]

    def ready() -> bool:
        errors.append(_probe(url))
        return errors[-1] is None

    def what() -> str:
        return f"{url}; last error: {errors[-1]}" + (f"; end of {log}:\n{log_tail(log)}" if log else "")

    poll(ready, timeout, check=check, what=what)


def _probe(url: str) -> str | None:
    """None when `url` answers 200, otherwise what went wrong."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return None if response.status == 200 else f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return str(getattr(error, "reason", error))


# --- the four services ---------------------------------------------------------------------------


def service_command(svc: str) -> list[str]:
    """How service `svc` is started (`nameko run`, as the image does), from the project root."""
    return [sys.executable, "-m", "nameko", "run",
            "--config", f"services/{svc}/config.yaml", f"services.{svc}.service"]


def service_env(amqp_uri: str, mongo_uri: str, *, master_key: str | None = None, smtp_port: int | None = None,
                ports: dict[str, int] | None = None, **overrides: str) -> dict[str, str]:
    """What every service is configured with (services/common/config.py reads these), plus `overrides`.

    `master_key` is IEC_MASTER_KEY (a new one when not given); `ports` (DEFAULT_PORTS for a service
    it lacks) make the public addresses in mails (survey links, unsubscribe links); mail goes to an
    SMTP server on 127.0.0.1:`smtp_port` when one is given, and at any hour (a local sink, or a test
    run at night).
    """
    if master_key is None:
        from services.intake.keys import new_master_key  # late: only a fresh stack or test run needs one

        master_key = new_master_key()
    public = {**DEFAULT_PORTS, **(ports or {})}
    env = {"AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "IEC_MASTER_KEY": master_key, "SERVED_TENANTS": "*",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{public['surveys']}",
           "NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{public['notifications']}",
           "NOTIFICATIONS_SENDING_HOURS": "00:00-24:00"}
    if smtp_port is not None:
        env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port)}
    return env | overrides


@contextlib.contextmanager
def running_services(env: dict[str, str], log_dir: Path, ports: dict[str, int] | None = None,
                     services: tuple[str, ...] = SERVICES, timeout: float = 90) -> Iterator[ServiceProcesses]:
    """Start `services` with `env` on `ports`, wait until each is ready, yield them
    (``.urls``, ``.pids()``), and stop them afterwards, whatever happened."""
    processes = ServiceProcesses(log_dir, services)
    try:
        processes.start(env, ports)
        processes.wait_ready(timeout)
        yield processes
    finally:
        processes.stop()


class ServiceProcesses:
    """The four nameko services, each `nameko run` in its own OS process and process group.

    `root` is the directory holding `services/`; the tests point it elsewhere to run stand-ins.
    """

    def __init__(self, log_dir: Path, services: tuple[str, ...] = SERVICES,
                 root: Path = PROJECT_ROOT) -> None:
        self.log_dir = Path(log_dir)
        self.services = services
        self.root = Path(root)
        self.ports: dict[str, int] = dict(DEFAULT_PORTS)
        self._env: dict[str, str] = {}
        self._processes: dict[str, subprocess.Popen] = {}

    def log_path(self, svc: str) -> Path:
        """Where service `svc` writes its stdout and stderr."""
        return self.log_dir / f"{svc}.log"

    @property
    def urls(self) -> dict[str, str]:
        """The base URL of each service."""
        return {svc: f"http://127.0.0.1:{self.ports[svc]}" for svc in self.services}

    def pids(self) -> dict[str, int]:
        """The process id of each running service (its process group's leader)."""
        return {svc: proc.pid for svc, proc in self._processes.items()}

    def start(self, env: dict[str, str], ports: dict[str, int] | None = None) -> None:
        """Start every service with os.environ plus `env`, each listening on its port from `ports`."""
        self._env = dict(env)
        self.ports.update(ports or {})
        for svc in self.services:
            self._start_one(svc)

    def _start_one(self, svc: str) -> None:
        env = {**os.environ, **self._env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{self.ports[svc]}"}
        self._processes[svc] = spawn(service_command(svc), self.log_path(svc), env, cwd=self.root)

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until every service answers 200 on /ready; raise with a log tail if one has exited."""
        deadline = time.monotonic() + timeout
        for svc in self.services:
            wait_until_ready(f"{self.urls[svc]}/ready", max(0.0, deadline - time.monotonic()),
                             check=lambda svc=svc: self._raise_if_exited(svc), log=self.log_path(svc))

    def _raise_if_exited(self, svc: str) -> None:
        code = self._processes[svc].poll()
        if code is not None:
            raise RuntimeError(f"{svc} exited with {code}; end of {self.log_path(svc)}:\n"
                               f"{log_tail(self.log_path(svc))}")

    def exited(self) -> dict[str, int]:
        """The services whose process has ended, with their exit codes."""
        codes = {svc: proc.poll() for svc, proc in self._processes.items()}
        return {svc: code for svc, code in codes.items() if code is not None}

    def kill(self, svc: str) -> None:
        """SIGKILL one service, as a crash would (tests use this to prove nothing is lost)."""
        proc = self._processes.pop(svc)
        _signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=10)

    def restart(self, svc: str) -> None:
        """Stop one service if it runs, then start it again with the same environment and port."""
        proc = self._processes.pop(svc, None)
        if proc is not None:
            terminate([proc], sig=NAMEKO_STOP_SIGNAL)
        self._start_one(svc)

    def stop(self, timeout: float = 10) -> None:
        """Ask every service to stop gracefully, wait up to `timeout` seconds, then SIGKILL the rest."""
        terminate(list(self._processes.values()), timeout, sig=NAMEKO_STOP_SIGNAL)
        self._processes.clear()

