"""DELETE /v1/participants/{id} in intake: admin only, personal data gone, ``participant.erased`` out;
real RabbitMQ and the Mongo server. The other services' part: test_erasure_everywhere.py.
"""
from __future__ import annotations

import json
import secrets

from nameko.standalone.rpc import ServiceRpcProxy

from tests.integration.intake_support import (
    CONSENT,
    assert_not_found,
    assert_refused,
    attend,
    created,
    employer,
    enrol,
    intake_db,
    participant,
    person,
)
from tests.support.http import Api


def erase(api: Api, participant_id: str, key: str, **headers: str):
    """DELETE the participant with ``key``."""
    return api.with_key(key).delete(f"/v1/participants/{participant_id}", headers=headers)


def counts(db) -> dict[str, int]:
    return {name: db[name].count_documents({}) for name in ("participants", "erased_participants", "outbox")}


def erased_events(db, participant_id: str) -> list[dict]:
    return [entry["event"] for entry in db["outbox"].find({"type": "participant.erased"})
            if entry["event"]["data"]["participant_id"] == participant_id]


def test_an_admin_erases_a_participant_who_then_no_longer_exists(intake, tenant, mongo_client, amqp_uri):
    personal = person()
    someone = participant(intake, **personal)

    answer = erase(intake, someone["id"], tenant["admin"])
    assert answer.status_code == 204 and answer.content == b""

    assert intake.get(f"/v1/participants/{someone['id']}").status_code == 404
    # nothing is left to erase
    assert_not_found(erase(intake, someone["id"], tenant["admin"]), "participant", someone["id"])
    with ServiceRpcProxy("intake", {"AMQP_URI": amqp_uri}, context_data={"tenant_id": tenant["id"]}) as rpc:
        assert rpc.get_contact(someone["id"]) is None
    db = intake_db(mongo_client, tenant["id"])
    [event] = erased_events(db, someone["id"])
    assert event["data"] == {"participant_id": someone["id"]} and event["subject"] == someone["id"]


def test_what_stays_is_only_what_anonymous_counts_need(intake, tenant, mongo_client):
    personal = person()
    # the answer to a request with an Idempotency-Key is kept for replays: it holds the name in clear
    every_consent = {**CONSENT, "research": True}  # all three, so that erasure is seen to clear each
    someone, other = (participant(intake, {"Idempotency-Key": secrets.token_hex(8)}, consent=every_consent,
                                  **data) for data in (personal, person()))
    db = intake_db(mongo_client, tenant["id"])
    assert personal["email"] in json.dumps(list(db["idempotency_keys"].find()))
    assert erase(intake, someone["id"], tenant["admin"]).status_code == 204

    assert db["participants"].find_one({"_id": someone["id"]}) is None
    assert db["idempotency_keys"].count_documents({}) == 1  # the other participant's answer stays
    assert intake.get(f"/v1/participants/{other['id']}").status_code == 200
    kept = db["erased_participants"].find_one({"_id": someone["id"]})
    assert set(kept) == {"_id", "role", "employer_id", "noc_category", "consent", "created_at", "erased_at"}
    assert (kept["role"], kept["noc_category"]) == ("newcomer", "2")
    assert not any(bool(kept["consent"][scope]) for scope in ("surveys", "research", "contact"))
    everything = json.dumps([doc for name in db.list_collection_names() for doc in db[name].find()],
                            default=str)
    for value in personal.values():
        assert value not in everything and value.lower() not in everything.lower()


def test_enrolments_and_attendance_stay_and_the_erased_participant_cannot_be_enrolled_again(
        intake, tenant):
    program = created(intake.post("/v1/programs", {"name": "CAIP", "kind": "caip", "sessions_planned": 2}))
    cohort = created(intake.post("/v1/cohorts", {
        "program_id": program["id"], "name": "Spring", "employer_ids": [employer(intake)["id"]],
        "start_date": "2026-03-01", "end_date": "2026-03-31", "delivery": "virtual",
        "facilitated_by": "council",
        "sessions": [{"date": "2026-03-03", "topic": "One"}, {"date": "2026-03-10", "topic": "Two"}]}))
    someone = participant(intake, **person())
    path = f"/v1/cohorts/{cohort['id']}"
    created(enrol(intake, cohort["id"], someone["id"]))
    created(attend(intake, cohort["id"], 0, [someone["id"]]), 200)

    assert erase(intake, someone["id"], tenant["admin"]).status_code == 204

    view = intake.get(path).json()
    assert [e["participant_id"] for e in view["enrolments"]] == [someone["id"]]
    assert view["attendance"][0]["present"] == [someone["id"]]
    assert_refused(enrol(intake, cohort["id"], someone["id"]), {"participant_id": ["Unknown participant."]})


def test_staff_may_not_erase_and_nothing_changes(intake, tenant, mongo_client):
    someone = participant(intake, **person())
    db = intake_db(mongo_client, tenant["id"])
    before = counts(db)

    for key in (tenant["staff"], tenant["analyst"]):
        answer = erase(intake, someone["id"], key)
        assert answer.status_code == 403 and answer.json()["error"] == "FORBIDDEN"
    assert erase(intake, someone["id"], "not-a-key").status_code == 401

    assert counts(db) == before
    assert intake.get(f"/v1/participants/{someone['id']}").status_code == 200


def test_an_unknown_or_another_councils_participant_is_not_found_and_nothing_changes(
        intake, tenant, other_council, mongo_client):
    theirs = participant(intake.with_key(other_council["staff"]), **person())
    ours = intake_db(mongo_client, tenant["id"])
    participant(intake, **person())
    before = counts(ours)

    for participant_id in (theirs["id"], "par_0000000000000000"):
        assert_not_found(erase(intake, participant_id, tenant["admin"]), "participant", participant_id)

    assert counts(ours) == before
    assert intake.with_key(other_council["staff"]).get(f"/v1/participants/{theirs['id']}").status_code == 200


def test_the_erased_email_may_register_again_as_a_new_participant(intake, tenant):
    personal = person()
    first = participant(intake, **personal)
    erase(intake, first["id"], tenant["admin"])

    second = participant(intake, **personal)
    assert second["id"] != first["id"]


def test_a_retried_delete_with_its_idempotency_key_gets_the_first_answer_again(intake, tenant):
    someone = participant(intake, **person())
    key = secrets.token_hex(8)

    first, retry = (erase(intake, someone["id"], tenant["admin"], **{"Idempotency-Key": key})
                    for _ in range(2))
    assert (first.status_code, retry.status_code) == (204, 204)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert erase(intake, someone["id"], tenant["admin"]).status_code == 404  # without the key
