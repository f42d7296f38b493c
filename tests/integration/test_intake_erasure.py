"""DELETE /v1/participants/{id} in intake: admin only, personal data gone, ``participant.erased`` out;
real RabbitMQ and the Mongo server. The other services' part: test_erasure_everywhere.py.
"""
from __future__ import annotations

import json
import secrets

import requests
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.tenancy import database_name
from tests.support.http import Api

CONSENT = {"version": "2026-01", "surveys": True, "research": True, "contact": True}

def person() -> dict:
    tag = secrets.token_hex(4)
    return {"given_name": f"Oyelaran{tag}", "family_name": f"Quispe{tag}", "email": f"oq.{tag}@example.org",
            "phone": f"+1 613 555 {int(tag, 16) % 10_000:04d}"}


def register(api: Api, personal: dict, **headers: str) -> dict:
    answer = api.post("/v1/participants", {**personal, "preferred_language": "fr", "role": "newcomer",
                                           "occupation_noc": "21231", "years_in_canada": 3,
                                           "consent": CONSENT}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def delete(api: Api, participant_id: str, key: str) -> requests.Response:
    return requests.delete(f"{api.base_url}/v1/participants/{participant_id}",
                           headers={"Authorization": f"Bearer {key}"}, timeout=10)


def intake_db(mongo_client, tenant_id: str):
    return mongo_client[database_name(tenant_id, "intake")]


def counts(db) -> dict[str, int]:
    return {name: db[name].count_documents({}) for name in ("participants", "erased_participants", "outbox")}


def erased_events(db, participant_id: str) -> list[dict]:
    return [entry["event"] for entry in db["outbox"].find({"type": "participant.erased"})
            if entry["event"]["data"]["participant_id"] == participant_id]


def test_an_admin_erases_a_participant_who_then_no_longer_exists(intake, tenant, mongo_client, amqp_uri):
    personal = person()
    participant = register(intake, personal)

    answer = delete(intake, participant["id"], tenant["admin"])
    assert answer.status_code == 204 and answer.content == b""

    assert intake.get(f"/v1/participants/{participant['id']}").status_code == 404
    assert delete(intake, participant["id"], tenant["admin"]).status_code == 404  # nothing left to erase
    with ServiceRpcProxy("intake", {"AMQP_URI": amqp_uri}, context_data={"tenant_id": tenant["id"]}) as rpc:
        assert rpc.get_contact(participant["id"]) is None
    db = intake_db(mongo_client, tenant["id"])
    [event] = erased_events(db, participant["id"])
    assert event["data"] == {"participant_id": participant["id"]} and event["subject"] == participant["id"]


def test_what_stays_is_only_what_anonymous_counts_need(intake, tenant, mongo_client):
    personal = person()
    # the answer to a request with an Idempotency-Key is kept for replays: it holds the name in clear
    participant = register(intake, personal, **{"Idempotency-Key": secrets.token_hex(8)})
    other = register(intake, person(), **{"Idempotency-Key": secrets.token_hex(8)})
    db = intake_db(mongo_client, tenant["id"])
    assert personal["email"] in json.dumps(list(db["idempotency_keys"].find()))
    assert delete(intake, participant["id"], tenant["admin"]).status_code == 204

    assert db["participants"].find_one({"_id": participant["id"]}) is None
    assert db["idempotency_keys"].count_documents({}) == 1  # the other participant's answer stays
    assert intake.get(f"/v1/participants/{other['id']}").status_code == 200
    kept = db["erased_participants"].find_one({"_id": participant["id"]})
    assert set(kept) == {"_id", "role", "employer_id", "noc_category", "consent", "created_at", "erased_at"}
    assert (kept["role"], kept["noc_category"]) == ("newcomer", "2")
    assert not any(bool(kept["consent"][scope]) for scope in ("surveys", "research", "contact"))
    everything = json.dumps([doc for name in db.list_collection_names() for doc in db[name].find()],
                            default=str)
    for value in personal.values():
        assert value not in everything and value.lower() not in everything.lower()


def test_enrolments_and_attendance_stay_and_the_erased_participant_cannot_be_enrolled_again(
        intake, tenant):
    employer = intake.post("/v1/employers", {"name": "Acme", "sector": "Food", "employee_count": 60,
                                             "city": "Ottawa"}).json()
    program = intake.post("/v1/programs", {"name": "CAIP", "kind": "caip", "sessions_planned": 2}).json()
    cohort = intake.post("/v1/cohorts", {
        "program_id": program["id"], "name": "Spring", "employer_ids": [employer["id"]],
        "start_date": "2026-03-01", "end_date": "2026-03-31", "delivery": "virtual",
        "facilitated_by": "council",
        "sessions": [{"date": "2026-03-03", "topic": "One"}, {"date": "2026-03-10", "topic": "Two"}]}).json()
    participant = register(intake, person())
    path = f"/v1/cohorts/{cohort['id']}"
    assert intake.post(f"{path}/enrolments", {"participant_id": participant["id"], "role": "newcomer"}).ok
    assert intake.post(f"{path}/attendance", {"session_index": 0, "present": [participant["id"]]}).ok

    assert delete(intake, participant["id"], tenant["admin"]).status_code == 204

    view = intake.get(path).json()
    assert [e["participant_id"] for e in view["enrolments"]] == [participant["id"]]
    assert view["attendance"][0]["present"] == [participant["id"]]
    again = intake.post(f"{path}/enrolments", {"participant_id": participant["id"], "role": "newcomer"})
    assert again.status_code == 400 and "participant_id" in again.json()["fields"]


def test_staff_may_not_erase_and_nothing_changes(intake, tenant, mongo_client):
    participant = register(intake, person())
    db = intake_db(mongo_client, tenant["id"])
    before = counts(db)

    for key in (tenant["staff"], tenant["analyst"]):
        answer = delete(intake, participant["id"], key)
        assert answer.status_code == 403 and answer.json()["error"] == "FORBIDDEN"
    assert delete(intake, participant["id"], "not-a-key").status_code == 401

    assert counts(db) == before
    assert intake.get(f"/v1/participants/{participant['id']}").status_code == 200


def test_an_unknown_or_another_councils_participant_is_not_found_and_nothing_changes(
        intake, tenant, other_council, mongo_client):
    theirs = register(intake.with_key(other_council["staff"]), person())
    ours = intake_db(mongo_client, tenant["id"])
    register(intake, person())
    before = counts(ours)

    for participant_id in (theirs["id"], "par_0000000000000000"):
        answer = delete(intake, participant_id, tenant["admin"])
        assert answer.status_code == 404 and answer.json()["error"] == "NOT_FOUND"

    assert counts(ours) == before
    assert intake.with_key(other_council["staff"]).get(f"/v1/participants/{theirs['id']}").status_code == 200


def test_the_erased_email_may_register_again_as_a_new_participant(intake, tenant):
    personal = person()
    first = register(intake, personal)
    delete(intake, first["id"], tenant["admin"])

    second = register(intake, personal)
    assert second["id"] != first["id"]


def test_a_retried_delete_with_its_idempotency_key_gets_the_first_answer_again(intake, tenant):
    participant = register(intake, person())
    key = {"Authorization": f"Bearer {tenant['admin']}", "Idempotency-Key": secrets.token_hex(8)}
    url = f"{intake.base_url}/v1/participants/{participant['id']}"

    first, retry = (requests.delete(url, headers=key, timeout=10) for _ in range(2))
    assert (first.status_code, retry.status_code) == (204, 204)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert delete(intake, participant["id"], tenant["admin"]).status_code == 404  # without the key
