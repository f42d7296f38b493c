"""What the intake integration tests share: the answers they expect (created, refused, conflict, not
found), the councils' records they make over HTTP, and what intake stored, read raw from Mongo."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
import requests

from services.common.tenancy import database_name
from tests.support.http import Api

INVALID = {"error": "VALIDATION_ERROR", "message": "the request is not valid"}
MISSING = ["Missing data for required field."]
CONSENT = {"version": "2026-01", "surveys": True, "research": False, "contact": True}
EMPLOYER = {"name": "Maple Foods", "sector": "Food processing", "employee_count": 240, "city": "Toronto"}
SME_DATES = ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24"]
# 21:30 on 10 May 2026 in Toronto (the test councils' zone), already 11 May in UTC
TORONTO_EVENING, EVENING_DAY, NEXT_DAY = datetime(2026, 5, 11, 1, 30, tzinfo=UTC), "2026-05-10", "2026-05-11"


def intake_clock_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Stop the clock intake reads the council's "today" from at ``moment`` (the service runs in the
    test's process; stamps such as ``created_at`` keep the real time)."""
    monkeypatch.setattr("services.intake.service.now", lambda: moment)


# --- answers ------------------------------------------------------------------------------------

def created(answer: requests.Response, status: int = 201) -> dict:
    """The JSON of an answer that must have ``status`` (201 Created unless told)."""
    assert answer.status_code == status, answer.text
    return answer.json()


def assert_refused(answer: requests.Response, fields: dict) -> None:
    """A 400 naming exactly ``fields``."""
    assert answer.status_code == 400, answer.text
    assert answer.json() == {**INVALID, "fields": fields}


def assert_conflict(answer: requests.Response, message: str, fields: dict | None = None) -> None:
    """A 409 with exactly this message and these fields (none unless told)."""
    assert answer.status_code == 409, answer.text
    assert answer.json() == {"error": "CONFLICT", "message": message, "fields": fields or {}}


def assert_not_found(answer: requests.Response, kind: str, record_id: str) -> None:
    """A 404 saying there is no ``kind`` ``record_id`` (also what another council's id answers)."""
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"error": "NOT_FOUND", "message": f"no {kind} {record_id}", "fields": {}}


# --- records made over HTTP ---------------------------------------------------------------------

def employer(api: Api, **changes) -> dict:
    """A registered employer (medium-sized unless ``changes`` say otherwise)."""
    return created(api.post("/v1/employers", {**EMPLOYER, **changes}))


def participant_body(**changes) -> dict:
    """A newcomer's registration with a fresh email, with ``changes``."""
    return {"given_name": "Amina", "family_name": "Haddad", "phone": "+1 416 555 0101",
            "email": f"amina.{secrets.token_hex(4)}@example.org", "preferred_language": "fr",
            "role": "newcomer", "occupation_noc": "21231", "years_in_canada": 3, "consent": CONSENT,
            **changes}


def participant(api: Api, headers: dict | None = None, **changes) -> dict:
    """A registered participant: ``participant_body(**changes)``."""
    return created(api.post("/v1/participants", participant_body(**changes), headers=headers))


def person() -> dict:
    """Personal data unique to the test (names, email, phone), so that finding any of it is a real leak."""
    tag = secrets.token_hex(4)
    return {"given_name": f"Oyelaran{tag}", "family_name": f"Quispe{tag}", "email": f"oq.{tag}@example.org",
            "phone": f"+1 613 555 {int(tag, 16) % 10_000:04d}"}


def sme_cohort(api: Api, name: str = "Spring 2026", employer_ids: list[str] | None = None) -> dict:
    """An open four-session CAIP for SMEs cohort in March 2026 (of a program made for it)."""
    program = created(api.post("/v1/programs", {"name": "SME", "kind": "caip_sme", "sessions_planned": 4}))
    return created(api.post("/v1/cohorts", {
        "program_id": program["id"], "name": name, "employer_ids": employer_ids or [],
        "start_date": "2026-03-01", "end_date": "2026-03-31", "delivery": "virtual",
        "facilitated_by": "council",
        "sessions": [{"date": day, "topic": f"Session {i + 1}"} for i, day in enumerate(SME_DATES)]}))


def enrol(api: Api, cohort_id: str, participant_id: str, role: str = "newcomer") -> requests.Response:
    return api.post(f"/v1/cohorts/{cohort_id}/enrolments", {"participant_id": participant_id, "role": role})


def attend(api: Api, cohort_id: str, session_index: int, present: list[str]) -> requests.Response:
    """Record who (by id) was present at a session."""
    body = {"session_index": session_index, "present": present}
    return api.post(f"/v1/cohorts/{cohort_id}/attendance", body)


# --- what intake stored -------------------------------------------------------------------------

def intake_db(mongo_client, tenant_id: str):
    """The council's intake database, read raw."""
    return mongo_client[database_name(tenant_id, "intake")]


def stored(mongo_client, tenant_id: str, collection: str) -> int:
    """How many documents intake holds in ``collection`` for the council (0 for a database never made)."""
    db = intake_db(mongo_client, tenant_id)
    return db[collection].count_documents({}) if collection in db.list_collection_names() else 0


def outbox_events(mongo_client, tenant_id: str, event_type: str) -> list[dict]:
    """The ``event_type`` events intake committed to its outbox, oldest first."""
    entries = intake_db(mongo_client, tenant_id)["outbox"].find({"type": event_type}).sort("created_at", 1)
    return [entry["event"] for entry in entries]


def published(mongo_client, tenant_id: str, event_type: str) -> list[dict]:
    """The data of the ``event_type`` events intake committed to its outbox, oldest first."""
    return [event["data"] for event in outbox_events(mongo_client, tenant_id, event_type)]


def written(mongo_client, tenant_id: str, *collections: str) -> tuple:
    """What intake has written to ``collections`` (the documents as stored) and its outbox's entries."""
    db = intake_db(mongo_client, tenant_id)
    documents = tuple(sorted(map(str, db[name].find())) for name in collections)
    return documents, sorted(entry["_id"] for entry in db["outbox"].find({}, {"_id": 1}))
