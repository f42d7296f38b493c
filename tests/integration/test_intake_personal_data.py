"""Personal data in intake: encrypted at rest per council, readable only through the API and the
contact RPC, never in events, metrics or logs; real RabbitMQ and the Mongo server.

Each test uses names and addresses made for it, so that finding one anywhere is a real leak.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.config import ConfigError
from services.common.tenancy import database_name
from services.intake.crypto import new_key
from services.intake.service import IntakeService
from tests.integration.intake_support import participant_body
from tests.support.http import Api
from tests.support.nameko import start_service

MASTER_KEY = base64.b64encode(new_key()).decode()


@pytest.fixture(autouse=True)
def master_key(service_env):
    """Every intake of this module (the shared ``intake`` fixture too) starts with one master key."""
    service_env.setenv("IEC_MASTER_KEY", MASTER_KEY)


def accented_person() -> dict:
    """A participant's personal data, unique to the test, with an accent and a mixed-case email (so that a
    leak of a normalised form is caught too)."""
    tag = secrets.token_hex(4)
    return {"given_name": f"Zanéta{tag}", "family_name": f"Okonkwo-Lindqvist{tag}",
            "email": f"Zaneta.Okonkwo.{tag}@Example.ORG",
            "phone": f"+1 416 555 {int(tag, 16) % 10_000:04d}"}


def register(api: Api, personal: dict, **changes):
    """POST a registration whose personal data is ``personal`` only (no phone unless it has one)."""
    body = {**participant_body(**changes), "phone": None, **personal}
    return api.post("/v1/participants", body)


def forms_of(personal: dict) -> set[str]:
    """Each personal value as given, in lower case, in base64, and the email's unkeyed hashes."""
    values = set(personal.values()) | {value.lower() for value in personal.values()}
    values |= {personal["email"].split("@")[0].lower(), personal["phone"].replace(" ", "")}
    hashed = {hashlib.sha256(value.encode()).hexdigest() for value in values}
    return values | hashed | {base64.b64encode(value.encode()).decode() for value in values}


def leaked(text: str, personal: dict) -> set[str]:
    """The forms of ``personal`` that occur in ``text``."""
    lowered = text.lower()
    return {form for form in forms_of(personal) if form.lower() in lowered}


def raw_intake_text(mongo_client, tenant_id: str) -> str:
    """Every document of every collection of the council's intake database, as JSON text."""
    db = mongo_client[database_name(tenant_id, "intake")]
    documents = [document for name in db.list_collection_names() for document in db[name].find()]
    assert documents, "the council's intake database holds nothing"
    return json.dumps(documents, default=str, ensure_ascii=False)


def outbox_text(mongo_client, tenant_id: str) -> str:
    entries = list(mongo_client[database_name(tenant_id, "intake")]["outbox"].find())
    return json.dumps(entries, default=str, ensure_ascii=False)


def test_personal_data_is_stored_only_encrypted_and_answered_decrypted(intake, mongo_client, tenant):
    personal = accented_person()
    created = register(intake, personal)
    assert created.status_code == 201, created.text
    participant = intake.get(f"/v1/participants/{created.json()['id']}").json()
    assert {field: participant[field] for field in personal} == personal
    assert participant == created.json()
    assert leaked(raw_intake_text(mongo_client, tenant["id"]), personal) == set()
    stored = mongo_client[database_name(tenant["id"], "intake")]["participants"].find_one()
    assert all(stored[field].startswith("v1:") for field in personal)


def test_a_participant_without_a_phone_reads_back_without_one(intake):
    personal = {k: v for k, v in accented_person().items() if k != "phone"}
    created = register(intake, personal).json()
    assert intake.get(f"/v1/participants/{created['id']}").json()["phone"] is None


def test_a_duplicate_email_in_another_case_is_still_refused_and_nothing_is_written(
        intake, mongo_client, tenant):
    personal = accented_person()
    assert register(intake, personal).status_code == 201
    db = mongo_client[database_name(tenant["id"], "intake")]
    before = (db["participants"].count_documents({}), db["outbox"].count_documents({}))
    again = register(intake, {**accented_person(), "email": personal["email"].upper()})
    assert again.status_code == 409
    assert again.json()["fields"] == {"email": ["Already registered."]}
    assert (db["participants"].count_documents({}), db["outbox"].count_documents({})) == before


def test_the_same_email_may_register_in_another_council(intake, other_council):
    personal = accented_person()
    assert register(intake, personal).status_code == 201
    theirs = register(intake.with_key(other_council["staff"]), personal)
    assert theirs.status_code == 201
    assert intake.get(f"/v1/participants/{theirs.json()['id']}").status_code == 404


def test_the_email_index_of_one_address_differs_between_councils(intake, mongo_client, tenant, other_council):
    personal = accented_person()
    register(intake, personal)
    register(intake.with_key(other_council["staff"]), personal)
    ours, theirs = (mongo_client[database_name(council["id"], "intake")]["participants"].find_one()
                    for council in (tenant, other_council))
    assert ours["email_key"] != theirs["email_key"]


def test_no_personal_data_leaves_in_events_metrics_or_logs(intake, mongo_client, tenant, caplog):
    caplog.set_level(logging.DEBUG)
    personal = accented_person()
    participant = register(intake, personal).json()
    # a 409 says nothing of it either
    register(intake, {**accented_person(), "email": personal["email"].lower()})
    intake.put(f"/v1/participants/{participant['id']}/consent",
               {"surveys": False, "research": False, "contact": True})
    intake.get(f"/v1/participants/{participant['id']}")
    entries = outbox_text(mongo_client, tenant["id"])
    assert "participant.registered" in entries and "consent.changed" in entries
    assert leaked(entries, personal) == set()
    metrics = intake.get("/metrics")
    assert metrics.status_code == 200 and "iec_entrypoint_calls_total" in metrics.text
    assert leaked(metrics.text, personal) == set()
    # at DEBUG pymongo logs every command with its documents: what was written is in the logs too
    assert any(record.name == "pymongo.command" for record in caplog.records)
    assert leaked(caplog.text, personal) == set()


def test_notifications_get_the_contact_decrypted_over_rpc(intake, amqp_uri, tenant):
    personal = accented_person()
    participant = register(intake, personal).json()
    with ServiceRpcProxy("intake", {"AMQP_URI": amqp_uri}, context_data={"tenant_id": tenant["id"]}) as rpc:
        assert rpc.get_contact(participant["id"]) == {
            "participant_id": participant["id"], "given_name": personal["given_name"],
            "family_name": personal["family_name"], "email": personal["email"], "preferred_language": "fr",
            "consent": {"surveys": True, "research": False, "contact": True}}


def test_another_intake_process_with_the_same_master_key_reads_what_the_first_stored(
        intake, container_factory, amqp_uri, tenant):
    personal = accented_person()
    participant = register(intake, personal).json()
    restarted = Api(start_service(container_factory, IntakeService, amqp_uri, fresh=False), tenant["staff"])
    assert restarted.get(f"/v1/participants/{participant['id']}").json() == participant
    assert register(restarted, {**accented_person(), "email": personal["email"]}).status_code == 409


def test_a_new_councils_first_registrations_at_once_share_one_set_of_keys(intake, mongo_client, tenant):
    people = [accented_person() for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda personal: register(intake, personal), people))
    assert [answer.status_code for answer in answers] == [201] * 6
    for personal, answer in zip(people, answers, strict=True):
        shown = intake.get(f"/v1/participants/{answer.json()['id']}").json()
        assert {field: shown[field] for field in personal} == personal
    assert mongo_client[database_name(tenant["id"], "intake")]["keys"].count_documents({}) == 1


@pytest.mark.parametrize(("value", "problem"), [
    (None, "IEC_MASTER_KEY is not set"),
    ("c2hvcnQ=", "IEC_MASTER_KEY must be the base64 of 32 bytes"),
])
def test_intake_does_not_start_without_a_valid_master_key(
        service_env, container_factory, amqp_uri, value, problem):
    if value is None:
        service_env.delenv("IEC_MASTER_KEY", raising=False)
    else:
        service_env.setenv("IEC_MASTER_KEY", value)
    with pytest.raises(ConfigError, match=problem):
        start_service(container_factory, IntakeService, amqp_uri)
