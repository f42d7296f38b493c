"""The local infrastructure the dev stack and the tests stand on."""

from __future__ import annotations

import secrets
import smtplib
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import pymongo
import pytest

from services.cli.infra import (
    EmbeddedMongo,
    MailSink,
    ServiceProcesses,
    free_port,
    port_is_open,
    rabbitmq_vhost,
    wait_until_ready,
)


def vhosts() -> list[str]:
    result = subprocess.run(["rabbitmqctl", "list_vhosts", "-q"], capture_output=True, text=True, check=True)
    return result.stdout.split()


def send_mail(sink: MailSink, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "staff@example.org", "newcomer@example.org", subject
    message.set_content("Bonjour / Hello")
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
        smtp.send_message(message)


def test_embedded_mongo_accepts_a_write_and_a_read_and_stops(tmp_path: Path) -> None:
    mongo = EmbeddedMongo(free_port(), tmp_path / "data", tmp_path / "log")
    with mongo:
        client = pymongo.MongoClient(mongo.uri, serverSelectionTimeoutMS=2000)
        client.iec_test.things.insert_one({"_id": "cohort-1", "name": "CAIP spring"})
        assert client.iec_test.things.find_one({"_id": "cohort-1"})["name"] == "CAIP spring"
        client.close()
    assert not port_is_open("127.0.0.1", mongo.port)


def test_embedded_mongo_start_fails_clearly_when_the_port_is_taken(tmp_path: Path) -> None:
    taken = free_port()
    with EmbeddedMongo(taken, tmp_path / "a", tmp_path / "a"):
        second = EmbeddedMongo(taken, tmp_path / "b", tmp_path / "b")
        with pytest.raises((RuntimeError, TimeoutError), match="nx-27017"):
            second.start(timeout=10)


def test_mail_sink_keeps_the_message_and_writes_one_eml_file(mail_sink: MailSink) -> None:
    send_mail(mail_sink, "Your CAIP survey")

    [received] = mail_sink.wait_for(1, timeout=10)

    assert received["Subject"] == "Your CAIP survey"
    [eml] = list(mail_sink.directory.glob("*.eml"))
    assert "Subject: Your CAIP survey" in eml.read_text()
    assert mail_sink.messages == [received]


def test_mail_sink_wait_for_says_how_many_arrived(mail_sink: MailSink) -> None:
    send_mail(mail_sink, "only one")

    with pytest.raises(TimeoutError, match="expected 2 mail.*1 arrived"):
        mail_sink.wait_for(2, timeout=0.5)


def test_wait_until_ready_names_the_url_when_nothing_listens() -> None:
    url = f"http://127.0.0.1:{free_port()}/ready"
    started = time.monotonic()

    with pytest.raises(TimeoutError, match=f"{url}.*last error"):
        wait_until_ready(url, timeout=1)

    assert time.monotonic() - started < 5


def test_vhost_exists_inside_the_block_and_is_gone_after(amqp_uri: str) -> None:
    name = f"iec-infra-{secrets.token_hex(4)}"

    with rabbitmq_vhost(name) as uri:
        assert uri == f"amqp://guest:guest@127.0.0.1:5672/{name}"
        assert name in vhosts()

    assert name not in vhosts()


READY_SERVICE = '''
from nameko.web.handlers import http


class Service:
    name = "{svc}"

    @http("GET", "/ready")
    def ready(self, request):
        return 200, "ok"
'''


def fake_project(root: Path, services: dict[str, str]) -> Path:
    """A directory laid out like the project, whose services/<svc>/service.py is the given source."""
    (root / "services").mkdir(parents=True)
    (root / "services" / "__init__.py").write_text("")
    for svc, source in services.items():
        (root / "services" / svc).mkdir()
        (root / "services" / svc / "__init__.py").write_text("")
        (root / "services" / svc / "service.py").write_text(source.format(svc=svc))
        (root / "services" / svc / "config.yaml").write_text(
            "AMQP_URI: ${AMQP_URI}\nWEB_SERVER_ADDRESS: ${WEB_SERVER_ADDRESS}\n")
    return root


def test_service_processes_start_answer_ready_and_stop(tmp_path: Path, amqp_uri: str) -> None:
    root = fake_project(tmp_path / "project", {"intake": READY_SERVICE, "surveys": READY_SERVICE})
    procs = ServiceProcesses(tmp_path / "log", services=("intake", "surveys"), root=root)
    ports = {"intake": free_port(), "surveys": free_port()}

    procs.start({"AMQP_URI": amqp_uri}, ports)
    try:
        procs.wait_ready(timeout=30)
        procs.restart("surveys")
        procs.wait_ready(timeout=30)
    finally:
        procs.stop()

    assert not any(port_is_open("127.0.0.1", port) for port in ports.values())


def test_service_processes_report_a_crashed_service_with_its_log(tmp_path: Path, amqp_uri: str) -> None:
    root = fake_project(tmp_path / "project", {"intake": "raise SystemExit('intake cannot start: boom')\n"})
    procs = ServiceProcesses(tmp_path / "log", services=("intake",), root=root)

    procs.start({"AMQP_URI": amqp_uri}, {"intake": free_port()})
    try:
        with pytest.raises(RuntimeError, match="(?s)intake exited.*boom"):
            procs.wait_ready(timeout=30)
    finally:
        procs.stop()
