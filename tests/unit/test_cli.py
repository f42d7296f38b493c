"""The `iec` CLI's argument rules (the commands themselves run against Mongo in tests/e2e)."""
from __future__ import annotations

import pytest

from services.cli.main import build_parser, key_create


def test_key_create_takes_a_tenant_and_role_or_a_funder(capsys):
    both = ["key", "create", "toronto", "--role", "staff", "--funder", "F"]
    for argv in (["key", "create", "toronto"], both):
        assert key_create(build_parser().parse_args(argv)) == 2
    assert "--funder" in capsys.readouterr().err


def test_an_unknown_role_is_refused_by_the_parser():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["key", "create", "toronto", "--role", "owner"])


def test_the_stack_uses_and_shows_the_broker_amqp_uri_names(monkeypatch, tmp_path):
    from services.cli import stack
    from services.cli.infra import MailSink

    monkeypatch.setenv("AMQP_URI", "amqp://iec:secret@rabbit.internal:5673/councils")
    monkeypatch.setattr(stack, "port_is_open", lambda host, port: (host, port) == ("rabbit.internal", 5673))
    started = []
    monkeypatch.setattr(stack, "ensure_rabbitmq", lambda *args: started.append(args))

    stack.ensure_broker()  # a remote broker that answers: checked, not started here
    shown = stack.summary("mongodb://127.0.0.1:27017", MailSink(tmp_path), {})

    assert started == []
    broker = "amqp://rabbit.internal:5673/councils   management http://rabbit.internal:15672\n"
    assert f"RabbitMQ       {broker}" in shown
    assert "127.0.0.1:5672" not in shown and "secret" not in shown


def test_the_stack_starts_a_local_broker_on_the_port_amqp_uri_names(monkeypatch):
    from services.cli import stack

    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:5673/")
    started = []
    monkeypatch.setattr(stack, "ensure_rabbitmq", lambda *args: started.append(args))

    stack.ensure_broker()

    assert started == [("127.0.0.1", 5673)]


def test_the_stack_stops_when_a_remote_broker_does_not_answer(monkeypatch):
    from services.cli import stack

    monkeypatch.setenv("AMQP_URI", "amqp://iec:secret@rabbit.internal:5672/")
    monkeypatch.setattr(stack, "port_is_open", lambda host, port: False)

    with pytest.raises(stack.StackError, match="rabbit.internal:5672"):
        stack.ensure_broker()
