"""The shared kernel over real RabbitMQ and the Mongo server: auth, errors, outbox, reliable handlers.

Two small services stand in for real ones: ``kprod`` stores things and emits ``thing.created``;
``kcons`` handles it. Every test makes its own tenant, so tests never see each other's data.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from marshmallow import Schema, fields, validate

from services.common import deadletter
from services.common.clock import now, stamp
from services.common.envelope import new_event
from services.common.errors import NotFound
from services.common.events import event_handler
from services.common.http import READERS, api, json_body
from services.common.mongo import FunderDatabases, TenantDatabase
from services.common.ops import ServiceBase
from services.common.outbox import outbox_entry
from services.common.tenancy import TenantRegistry, database_name
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually


class ThingSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    size = fields.Integer(required=True, validate=validate.Range(min=1))


class Producer(ServiceBase):
    name = "kprod"
    db = TenantDatabase(indexes={"things": []})

    @api("POST", "/v1/things")
    def create(self, request):
        thing = ThingSchema().load(json_body(request))
        thing_id = secrets.token_hex(6)
        with self.db.transaction() as tx:
            tx["things"].insert_one({"_id": thing_id, **thing})
            tx.emit("thing.created", {"thing_id": thing_id, "size": thing["size"]}, subject=thing_id)
        return 201, {"id": thing_id, **thing}

    @api("GET", "/v1/things/<thing_id>", roles=READERS)
    def get(self, request, thing_id):
        thing = self.db["things"].find_one({"_id": thing_id})
        if thing is None:
            raise NotFound(f"no thing {thing_id}")
        return 200, {"id": thing.pop("_id"), **thing}


class Consumer(ServiceBase):
    name = "kcons"
    db = TenantDatabase(indexes={"seen": [], "attempts": [], "sizes": []})

    @event_handler("kprod", "thing.created")
    def on_created(self, event):
        with self.db.transaction() as tx:
            tx["seen"].update_one({"_id": event["data"]["thing_id"]}, {"$inc": {"times": 1}}, upsert=True)

    @event_handler("kprod", "thing.created")
    def on_created_size(self, event):  # a second handler of the same event, in the same service
        with self.db.transaction() as tx:
            tx["sizes"].insert_one({"_id": event["data"]["thing_id"], "size": event["data"]["size"]})

    @event_handler("kprod", "thing.poisoned")
    def on_poisoned(self, event):
        with self.db.transaction() as tx:
            tx["attempts"].insert_one({"event_id": event["id"]})
            raise RuntimeError("this handler always fails")


@pytest.fixture
def producer(service_env, container_factory, amqp_uri, tenant) -> Api:
    return Api(start_service(container_factory, Producer, amqp_uri), tenant["staff"])


@pytest.fixture
def consumer(service_env, container_factory, amqp_uri) -> Api:
    return Api(start_service(container_factory, Consumer, amqp_uri))


def seen_times(mongo_client, tenant_id, thing_id) -> int:
    doc = mongo_client[database_name(tenant_id, "kcons")]["seen"].find_one({"_id": thing_id})
    return doc["times"] if doc else 0


def test_a_request_without_a_valid_key_is_401_with_the_error_body(producer):
    for key in (None, "iec_0123456789abcdef.wrong", "garbage"):
        answer = producer.with_key(key).post("/v1/things", {"name": "x", "size": 1})
        assert answer.status_code == 401
        assert answer.json()["error"] == "UNAUTHENTICATED"


def test_a_role_that_may_not_write_gets_403(producer, tenant):
    answer = producer.with_key(tenant["analyst"]).post("/v1/things", {"name": "x", "size": 1})
    assert answer.status_code == 403
    assert answer.json()["error"] == "FORBIDDEN"


def test_bad_input_is_a_400_naming_every_bad_field_and_writes_nothing(producer, mongo_client, tenant):
    answer = producer.post("/v1/things", {"size": "big", "colour": "red"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert set(body["fields"]) == {"name", "size", "colour"}
    assert body["fields"]["name"] == ["Missing data for required field."]
    assert mongo_client[database_name(tenant["id"], "kprod")]["things"].count_documents({}) == 0


def test_a_body_that_is_not_json_is_a_400(producer):
    answer = producer.post("/v1/things", data=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"_schema": ["Invalid JSON."]}


def test_another_tenants_id_is_404_as_if_it_did_not_exist(producer, mongo_client):
    created = producer.post("/v1/things", {"name": "mine", "size": 3}).json()
    registry = TenantRegistry(mongo_client)
    other = f"t{secrets.token_hex(5)}"
    registry.create_tenant(other, name="Other", city="Halifax")
    _, other_key = registry.create_key(other, "staff")
    assert producer.get(f"/v1/things/{created['id']}").status_code == 200
    answer = producer.with_key(other_key).get(f"/v1/things/{created['id']}")
    assert answer.status_code == 404
    assert answer.json()["error"] == "NOT_FOUND"


def test_a_committed_change_reaches_the_consumer_once(producer, consumer, mongo_client, tenant):
    created = producer.post("/v1/things", {"name": "chair", "size": 2})
    assert created.status_code == 201
    thing_id = created.json()["id"]
    eventually(lambda: seen_times(mongo_client, tenant["id"], thing_id) == 1, what="the consumer's effect")
    outbox = mongo_client[database_name(tenant["id"], "kprod")]["outbox"].find_one({"type": "thing.created"})
    assert outbox["state"] == "published"


def test_two_handlers_of_one_service_each_take_effect_once(consumer, amqp_uri, mongo_client, tenant):
    event = new_event("kprod", "thing.created", tenant["id"], {"thing_id": "both1", "size": 7})
    publish_event(amqp_uri, "kprod", event)
    publish_event(amqp_uri, "kprod", event)
    db = mongo_client[database_name(tenant["id"], "kcons")]
    eventually(lambda: db["processed_events"].count_documents({"event_id": event["id"]}) == 2,
               what="both handlers recorded the event")
    assert seen_times(mongo_client, tenant["id"], "both1") == 1
    assert db["sizes"].find_one({"_id": "both1"})["size"] == 7


def test_a_redelivered_event_takes_effect_once(consumer, amqp_uri, mongo_client, tenant):
    event = new_event("kprod", "thing.created", tenant["id"], {"thing_id": "dup1", "size": 1})
    publish_event(amqp_uri, "kprod", event)
    publish_event(amqp_uri, "kprod", event)
    assert eventually(lambda: seen_times(mongo_client, tenant["id"], "dup1"), what="the effect") == 1
    processed = mongo_client[database_name(tenant["id"], "kcons")]["processed_events"]
    eventually(lambda: processed.count_documents({"event_id": event["id"], "handler": "on_created"}) == 1)
    # a third copy, after the first two settled, still changes nothing
    publish_event(amqp_uri, "kprod", event)
    marker = new_event("kprod", "thing.created", tenant["id"], {"thing_id": "marker", "size": 1})
    publish_event(amqp_uri, "kprod", marker)
    eventually(lambda: seen_times(mongo_client, tenant["id"], "marker") == 1)
    assert seen_times(mongo_client, tenant["id"], "dup1") == 1


def test_an_entry_committed_while_no_relay_ran_is_published_when_one_starts(
        service_env, container_factory, amqp_uri, consumer, mongo_client, tenant):
    # The state of a crash between commit and publish: the entry is in the outbox, unpublished.
    event = new_event("kprod", "thing.created", tenant["id"], {"thing_id": "crash1", "size": 1})
    db = mongo_client[database_name(tenant["id"], "kprod")]
    db["outbox"].insert_one(outbox_entry(event))
    assert seen_times(mongo_client, tenant["id"], "crash1") == 0
    start_service(container_factory, Producer, amqp_uri)
    eventually(lambda: seen_times(mongo_client, tenant["id"], "crash1") == 1, what="the relayed event")


def _dead_letters_for(amqp_uri, event_id):
    return [d for d in deadletter.list_dead_letters(amqp_uri, limit=1000) if d["id"] == event_id]


def test_a_handler_that_keeps_failing_sends_its_event_to_the_dead_letter_queue(
        consumer, amqp_uri, mongo_client, tenant):
    event = new_event("kprod", "thing.poisoned", tenant["id"], {"thing_id": "p1"})
    publish_event(amqp_uri, "kprod", event)
    letters = eventually(lambda: _dead_letters_for(amqp_uri, event["id"]), what="the dead letter")
    assert "this handler always fails" in letters[0]["error"]
    assert letters[0]["queue"] == "evt-kprod-thing.poisoned--kcons.on_poisoned"
    # every attempt rolled back: the failing handler's writes never committed
    attempts = mongo_client[database_name(tenant["id"], "kcons")]["attempts"]
    assert attempts.count_documents({"event_id": event["id"]}) == 0


def test_a_dead_letter_replayed_goes_back_to_its_queue(consumer, amqp_uri, mongo_client, tenant):
    event = new_event("kprod", "thing.poisoned", tenant["id"], {"thing_id": "p2"})
    publish_event(amqp_uri, "kprod", event)
    eventually(lambda: _dead_letters_for(amqp_uri, event["id"]), what="the dead letter")
    assert deadletter.replay_dead_letters(amqp_uri, event["id"]) == 1
    # it fails again (the handler still raises) and comes back, with the error: nothing lost
    eventually(lambda: _dead_letters_for(amqp_uri, event["id"]), what="the dead letter again")


def test_an_event_for_a_tenant_not_served_is_dead_lettered_unprocessed(
        service_env, container_factory, amqp_uri, mongo_client, tenant):
    service_env.setenv("SERVED_TENANTS", "somebody-else")
    start_service(container_factory, Consumer, amqp_uri)
    event = new_event("kprod", "thing.created", tenant["id"], {"thing_id": "unserved", "size": 1})
    publish_event(amqp_uri, "kprod", event)
    letters = eventually(lambda: _dead_letters_for(amqp_uri, event["id"]), what="the dead letter")
    assert "not served" in letters[0]["error"]
    assert seen_times(mongo_client, tenant["id"], "unserved") == 0


def test_a_malformed_event_is_dead_lettered_with_the_reason(consumer, amqp_uri):
    bogus = {"id": secrets.token_hex(8), "type": "thing.created", "data": "nope"}
    publish_event(amqp_uri, "kprod", bogus)
    letters = eventually(lambda: _dead_letters_for(amqp_uri, bogus["id"]), what="the dead letter")
    assert "invalid event envelope" in letters[0]["error"]


def test_ops_endpoints_answer_without_a_key(producer):
    bare = producer.with_key(None)
    assert bare.get("/health").json() == {"status": "ok", "service": "kprod"}
    assert bare.get("/ready").status_code == 200
    producer.post("/v1/things", {"name": "m", "size": 1})
    text = bare.get("/metrics").text
    assert 'iec_entrypoint_calls_total{entrypoint="create",outcome="success",service="kprod"}' in text
    assert "iec_outbox_backlog" in text


def test_a_body_over_the_limit_is_413_and_writes_nothing(producer, mongo_client, tenant):
    huge = {"name": "x" * 10, "size": 1, "padding": "y" * 1_100_000}
    answer = producer.post("/v1/things", huge)
    assert answer.status_code == 413
    assert answer.json()["error"] == "TOO_LARGE"
    assert mongo_client[database_name(tenant["id"], "kprod")]["things"].count_documents({}) == 0


def test_a_chunked_body_over_the_limit_is_413_too(producer):
    def chunks():
        yield b'{"name": "x", "size": 1, "padding": "'
        for _ in range(120):
            yield b"y" * 10_000
        yield b'"}'

    answer = producer.post("/v1/things", data=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413, answer.text


def _things(mongo_client, tenant_id):
    return mongo_client[database_name(tenant_id, "kprod")]["things"].count_documents({})


def test_a_retried_write_with_the_same_idempotency_key_takes_effect_once(producer, mongo_client, tenant):
    key = {"Idempotency-Key": f"k-{secrets.token_hex(6)}"}
    first = producer.post("/v1/things", {"name": "desk", "size": 4}, headers=key)
    again = producer.post("/v1/things", {"name": "desk", "size": 4}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _things(mongo_client, tenant["id"]) == 1


def test_an_idempotency_key_reused_for_another_body_is_409(producer, mongo_client, tenant):
    key = {"Idempotency-Key": f"k-{secrets.token_hex(6)}"}
    assert producer.post("/v1/things", {"name": "desk", "size": 4}, headers=key).status_code == 201
    other = producer.post("/v1/things", {"name": "lamp", "size": 1}, headers=key)
    assert other.status_code == 409
    assert other.json()["error"] == "CONFLICT"
    assert _things(mongo_client, tenant["id"]) == 1


def test_concurrent_requests_with_one_idempotency_key_apply_once(producer, mongo_client, tenant):
    import concurrent.futures

    key = {"Idempotency-Key": f"k-{secrets.token_hex(6)}"}
    def post(_):
        return producer.post("/v1/things", {"name": "bed", "size": 2}, headers=key)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, range(4)))
    assert sorted({a.status_code for a in answers}) in ([201], [201, 409])
    assert _things(mongo_client, tenant["id"]) == 1
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1


def test_a_write_without_an_idempotency_key_is_not_deduplicated(producer, mongo_client, tenant):
    producer.post("/v1/things", {"name": "desk", "size": 4})
    producer.post("/v1/things", {"name": "desk", "size": 4})
    assert _things(mongo_client, tenant["id"]) == 2


def test_idempotency_records_older_than_a_day_are_purged_by_the_relays_sweep(
        service_env, container_factory, amqp_uri, mongo_client, tenant):
    # the answers kept for replays may hold personal data: nothing may keep them past their 24 hours
    records = mongo_client[database_name(tenant["id"], "kprod")]["idempotency_keys"]
    answer = {"fingerprint": "f", "state": "answered", "status": 201, "mimetype": "application/json",
              "body": '{"name": "Amara Okafor"}'}
    day_old, recent = stamp(now() - timedelta(hours=24, seconds=1)), stamp(now() - timedelta(hours=23))
    records.insert_many([{"_id": "day-old", **answer, "created_at": day_old},
                         {"_id": "recent", **answer, "created_at": recent}])
    start_service(container_factory, Producer, amqp_uri)  # its relay sweeps every tenant at start
    eventually(lambda: records.find_one({"_id": "day-old"}) is None, what="the day-old record purged")
    assert [record["_id"] for record in records.find()] == ["recent"]


class OutcomeProducer(ServiceBase):
    name = "kout"
    db = TenantDatabase(indexes={})

    @api("POST", "/v1/outcomes")
    def publish(self, request):
        with self.db.transaction() as tx:
            tx.emit("indicator.updated", json_body(request), public=True)
        return 201, {}


def test_a_public_event_goes_to_iec_outcomes_under_the_tenant_routing_key(
        service_env, container_factory, amqp_uri, tenant):
    from kombu import Connection, Queue

    from services.common.outbox import OUTCOMES

    api_ = Api(start_service(container_factory, OutcomeProducer, amqp_uri), tenant["staff"])
    with Connection(amqp_uri) as conn:
        queue = Queue(f"sub-{secrets.token_hex(4)}", exchange=OUTCOMES, routing_key=f"{tenant['id']}.#",
                      exclusive=True)
        queue.bind(conn.channel()).declare()
        assert api_.post("/v1/outcomes", {"indicator_id": "I2"}).status_code == 201
        message = eventually(lambda: queue.bind(conn.channel()).get(no_ack=True), what="the outcome event")
    assert message.delivery_info["routing_key"] == f"{tenant['id']}.indicator.updated"
    assert message.payload["tenantid"] == tenant["id"] and message.payload["data"] == {"indicator_id": "I2"}


class FunderReader(ServiceBase):
    name = "kprod"  # reads kprod's databases, as reporting's funder view reads reporting's
    funder_dbs = FunderDatabases()

    @api("GET", "/v1/funder/things", roles=("funder",))
    def count(self, request):
        requested = request.args.get("tenants")
        dbs = self.funder_dbs(requested.split(",") if requested else None)
        things = sum(db["things"].count_documents({}) for db in dbs.values())
        return 200, {"tenants": sorted(dbs), "things": things}


def test_a_funder_reads_only_the_councils_that_granted_it(
        service_env, container_factory, amqp_uri, producer, tenant, other_council, mongo_client):
    registry = TenantRegistry(mongo_client)
    funder = f"Fund {secrets.token_hex(3)}"
    _, funder_key = registry.create_funder_key(funder)
    registry.grant_funder(tenant["id"], funder)
    producer.post("/v1/things", {"name": "a", "size": 1})
    producer.with_key(other_council["staff"]).post("/v1/things", {"name": "b", "size": 1})
    reader = Api(start_service(container_factory, FunderReader, amqp_uri), funder_key)

    assert reader.get("/v1/funder/things").json() == {"tenants": [tenant["id"]], "things": 1}
    asked = reader.get("/v1/funder/things", params={"tenants": other_council["id"]}).json()
    assert asked == {"tenants": [], "things": 0}
    assert reader.with_key(tenant["staff"]).get("/v1/funder/things").status_code == 403
    assert producer.with_key(funder_key).get("/v1/things/x").status_code == 403


def test_the_generated_openapi_document_describes_the_service(producer):
    from openapi_spec_validator import validate

    document = producer.with_key(None).get("/openapi.json").json()
    validate(document)
    create = document["paths"]["/v1/things"]["post"]
    assert set(create["responses"]) >= {"200", "400", "401", "403"}
    assert document["paths"]["/v1/things/{thing_id}"]["get"]["parameters"][0]["name"] == "thing_id"
    assert "/health" in document["paths"]
