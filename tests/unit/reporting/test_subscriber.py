"""A subscriber's broker rights and the client's bindings and queue names, as plain data."""
from __future__ import annotations

import re

import pika.exceptions
import pytest

from services.common.rabbitmq import BrokerUnavailable
from services.reporting.subscriber import binding_keys, queue_name, refusal
from services.reporting.subscribers import (
    Grant,
    SubscriberExists,
    register,
    subscriber_url,
    vhost_of,
)


def test_a_grant_allows_only_the_subscribers_own_queues_and_its_councils_binding_keys():
    grant = Grant("toronto", "hr-dashboard")
    assert grant.username == "iec-sub.toronto.hr-dashboard"
    perms, topic = grant.permissions(), grant.topic_permissions()
    own = "iec-sub.toronto.hr-dashboard.q1"
    assert all(re.search(perms[kind], own) for kind in ("configure", "write", "read"))
    assert re.search(perms["read"], "iec.outcomes")
    for other in ("iec-sub.toronto.hr-dashboard2.q", "iec-sub.toronto-east.hr-dashboard.q", "amq.gen-x",
                  "intake.events", "iec.outcomes"):
        assert not re.search(perms["configure"], other), other
        assert not re.search(perms["write"], other), other
    assert not re.search(perms["read"], "intake.events")
    assert topic["exchange"] == "iec.outcomes"
    assert re.search(topic["read"], "toronto.report.published") and re.search(topic["read"], "toronto.#")
    for key in ("toronto-east.report.published", "#", "*.report.published", "torontoX.a"):
        assert not re.search(topic["read"], key), key
    assert not re.search(topic["write"], "toronto.report.published")


def test_the_subscriber_url_carries_its_credentials_and_the_services_vhost():
    assert vhost_of("amqp://guest:guest@127.0.0.1:5672/iec-test-1") == "iec-test-1"
    assert vhost_of("amqp://guest:guest@127.0.0.1:5672/") == "/"
    url = subscriber_url("amqps://broker.example.org:5671/", "/", "iec-sub.t.n", "p@ss/word")
    assert url == "amqps://iec-sub.t.n:p%40ss%2Fword@broker.example.org:5671/%2F"


def test_the_client_binds_the_whole_council_or_the_chosen_types():
    assert binding_keys("toronto") == ["toronto.#"]
    assert binding_keys("toronto", ["report.published", "indicator.updated", "report.published"]) == [
        "toronto.report.published", "toronto.indicator.updated"]
    with pytest.raises(ValueError, match="#"):
        binding_keys("toronto", ["#"])


def test_the_clients_queues_start_with_its_user_name():
    url = "amqp://iec-sub.toronto.dash:secret@127.0.0.1:5672/v"
    assert queue_name(url, "warehouse") == "iec-sub.toronto.dash.warehouse"
    assert queue_name(url).startswith("iec-sub.toronto.dash.tmp-")
    with pytest.raises(ValueError):
        queue_name("amqp://127.0.0.1/", None)
    with pytest.raises(ValueError):
        queue_name(url, "bad name")


class FakeManagement:
    """The management API as `register` uses it, failing where told to."""

    def __init__(self, existing=(), fail_on: str | None = None):
        self.users, self.calls, self.fail_on = set(existing), [], fail_on

    def _do(self, call: str) -> None:
        self.calls.append(call)
        if call == self.fail_on:
            raise BrokerUnavailable(f"{call} failed")

    def user_exists(self, username):
        return username in self.users

    def declare_exchange(self, vhost, name, kind="topic"):
        self._do(f"exchange {vhost} {name}")

    def put_user(self, username, password):
        self._do("user")
        self.users.add(username)

    def delete_user(self, username):
        self._do("delete user")
        self.users.discard(username)
        return True

    def put_permissions(self, vhost, username, permissions):
        self._do("permissions")

    def put_topic_permissions(self, vhost, username, permissions):
        self._do("topic permissions")


def test_register_makes_the_exchange_the_user_and_both_permissions():
    api = FakeManagement()
    password = register(api, "v1", Grant("toronto", "dash"))
    assert len(password) >= 32
    assert api.calls == ["exchange v1 iec.outcomes", "user", "permissions", "topic permissions"]
    assert api.users == {"iec-sub.toronto.dash"}


def test_a_taken_name_is_a_conflict_and_changes_nothing():
    api = FakeManagement(existing={"iec-sub.toronto.dash"})
    with pytest.raises(SubscriberExists):
        register(api, "v1", Grant("toronto", "dash"))
    assert api.calls == []


@pytest.mark.parametrize("failing", ["permissions", "topic permissions"])
def test_a_failure_after_the_user_was_made_removes_the_user_again(failing):
    api = FakeManagement(fail_on=failing)
    with pytest.raises(BrokerUnavailable):
        register(api, "v1", Grant("toronto", "dash"))
    assert api.users == set()
    assert api.calls[-1] == "delete user"


@pytest.mark.parametrize("error, refused", [
    (pika.exceptions.ChannelClosedByBroker(403, "ACCESS_REFUSED - read access to topic"), True),
    (pika.exceptions.ChannelClosedByBroker(404, "NOT_FOUND - no exchange"), True),
    (pika.exceptions.ConnectionClosedByBroker(530, "NOT_ALLOWED - vhost refused"), True),
    (pika.exceptions.ProbableAuthenticationError("bad password"), True),
    (pika.exceptions.ConnectionClosedByBroker(320, "CONNECTION_FORCED - by an operator"), False),
    (pika.exceptions.StreamLostError("Transport indicated EOF"), False),
    (pika.exceptions.AMQPConnectionError("connection refused"), False),
])
def test_the_client_gives_up_only_on_refusals_that_waiting_will_not_cure(error, refused):
    assert (refusal(error) is not None) is refused
