"""The kernel's rules that need no broker or database: settings, write conflicts, queue names."""
from __future__ import annotations

import base64
from contextlib import contextmanager, nullcontext
from types import SimpleNamespace

import pytest
from pymongo.errors import OperationFailure

from services.common.config import BROKER_DELIVERY_LIMIT, ConfigError, load_settings
from services.common.errors import WriteConflict, error_body, to_api_error
from services.common.events import queue_name
from services.common.mongo import TenantStore
from services.common.runtime import is_replica_set
from services.intake.keys import master_key, new_master_key
from services.notifications.webhook_sending import REPLAY_QUEUE

KEY = base64.b64encode(bytes(range(32))).decode()


# --- settings -------------------------------------------------------------------------------------


def test_every_setting_has_a_default_but_the_master_key_which_is_optional_there():
    settings = load_settings({})
    assert settings.iec_master_key is None
    assert settings.notifications_public_url == "http://127.0.0.1:8004"


def test_the_master_key_is_read_as_its_32_bytes_and_never_shown():
    settings = load_settings({"IEC_MASTER_KEY": f" {KEY}\n"})
    assert settings.iec_master_key == bytes(range(32))
    assert KEY not in repr(settings) and "iec_master_key" not in repr(settings)


@pytest.mark.parametrize("value", ["not base64 at all!", base64.b64encode(b"short").decode()])
def test_a_malformed_master_key_stops_any_service_naming_the_variable(value):
    with pytest.raises(ConfigError) as caught:
        load_settings({"IEC_MASTER_KEY": value})
    assert str(caught.value).startswith(
        "invalid configuration: IEC_MASTER_KEY must be the base64 of 32 bytes; make one with: python -c")


def test_a_new_master_key_is_a_valid_one_and_never_the_same():
    made = new_master_key()
    assert len(master_key({"IEC_MASTER_KEY": made})) == 32
    assert made != new_master_key()


def test_the_notifications_public_url_is_a_setting():
    settings = load_settings({"NOTIFICATIONS_PUBLIC_URL": "https://iec.example.org/notifications"})
    assert settings.notifications_public_url == "https://iec.example.org/notifications"
    with pytest.raises(ConfigError, match="NOTIFICATIONS_PUBLIC_URL: Not a valid URL."):
        load_settings({"NOTIFICATIONS_PUBLIC_URL": "somewhere"})


def test_handlers_retry_fewer_times_than_the_brokers_own_delivery_limit():
    assert BROKER_DELIVERY_LIMIT == 20
    assert load_settings({"EVENT_DELIVERY_LIMIT": "19"}).event_delivery_limit == 19
    with pytest.raises(ConfigError, match="EVENT_DELIVERY_LIMIT: Must be greater than or equal to 1 and less "
                                          "than or equal to 19."):
        load_settings({"EVENT_DELIVERY_LIMIT": str(BROKER_DELIVERY_LIMIT)})


# --- queues ---------------------------------------------------------------------------------------


def test_a_handler_queue_is_named_as_nameko_names_it():
    assert queue_name("kprod", "thing.poisoned", "kcons", "on_poisoned") == (
        "evt-kprod-thing.poisoned--kcons.on_poisoned")
    assert REPLAY_QUEUE == "evt-notifications-webhook.redelivery_requested--notifications.on_webhook_replay"


# --- MongoDB deployments --------------------------------------------------------------------------


@pytest.mark.parametrize(("hello", "expected"), [
    ({"isWritablePrimary": True, "setName": "rs0"}, True),
    ({"isWritablePrimary": True, "msg": "isdbgrid"}, True),  # a mongos
    ({"isWritablePrimary": True}, False),  # a standalone server (nx-27017)
])
def test_a_replica_set_or_a_mongos_is_a_deployment_with_real_transactions(hello, expected):
    client = SimpleNamespace(admin=SimpleNamespace(command=lambda name: hello))
    assert is_replica_set(client) is expected


# --- write conflicts ------------------------------------------------------------------------------


def conflict() -> OperationFailure:
    """What MongoDB raises in the losing one of two transactions writing the same document."""
    return OperationFailure("Write conflict during plan execution", code=112,
                            details={"errorLabels": ["TransientTransactionError"]})


class FakeSession:
    def __init__(self, at_commit: Exception | None):
        self.at_commit = at_commit

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    @contextmanager
    def start_transaction(self):
        yield
        if self.at_commit is not None:
            raise self.at_commit


def store(at_commit: Exception | None = None) -> TenantStore:
    """A TenantStore over a runtime of fakes; its transaction commits by raising ``at_commit`` if given."""
    runtime = SimpleNamespace(client=SimpleNamespace(start_session=lambda: FakeSession(at_commit)),
                              transaction_guard=lambda name: nullcontext(),
                              wake_outbox=lambda tenant_id=None: None)
    made = TenantStore(runtime, "toronto", "surveys", None, {}, None, handler="create_paper_response")
    made._db = SimpleNamespace(name="iec_toronto_surveys")  # no server: the database is never reached
    return made


def test_a_write_conflict_in_a_transaction_is_a_409_that_says_to_try_again():
    with pytest.raises(WriteConflict) as caught, store().transaction():
        raise conflict()
    answer = to_api_error(caught.value)
    assert answer.status == 409
    assert error_body(answer) == {"error": "CONFLICT", "fields": {},
                                  "message": "another change to the same records happened at the same time; "
                                             "try again"}
    assert caught.value.__cause__.code == 112


def test_a_write_conflict_at_commit_is_a_409_too():
    with pytest.raises(WriteConflict), store(at_commit=conflict()).transaction():
        pass


def test_another_database_error_is_not_a_conflict():
    failure = OperationFailure("disk full", code=14031)
    with pytest.raises(OperationFailure) as caught, store().transaction():
        raise failure
    assert caught.value is failure
    assert to_api_error(caught.value).status == 500


def test_a_tenant_store_needs_its_handler_so_an_event_id_is_recorded_per_handler():
    with pytest.raises(TypeError):
        TenantStore(None, "toronto", "surveys", "event-1", {}, None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="the name of its worker's entrypoint"):
        TenantStore(None, "toronto", "surveys", "event-1", {}, None, handler="")
