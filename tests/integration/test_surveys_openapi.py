"""surveys' OpenAPI document (``/openapi.json``, generated from its marshmallow schemas) against what
the service really answers, over HTTP, real RabbitMQ and the Mongo server.

The document is valid OpenAPI 3 and names every route the service serves; a representative flow
calls every documented operation, on its happy path and on at least one error, and each answer must
have a documented status and, for JSON, a body that validates against the schema documented for that
status (answer schemas refuse fields they do not name). The respondent's pages answer HTML, which the
document says too.
"""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from services.surveys.schemas import InvitationQuerySchema
from services.surveys.service import SurveysService
from tests.support.openapi import DocumentedCalls, operations, served_routes

OPS = {"/health", "/ready", "/metrics", "/openapi.json"}
LINK, FORM = "/r/{token}", "application/x-www-form-urlencoded"
OWN = {"key": "council_baseline", "version": 1, "wave": "baseline", "roles": ["trainer"], "items": [
    {"id": "goals", "type": "text", "text": {"en": "Your goals?", "fr": "Vos objectifs?"}},
    {"id": "ready", "type": "yes_no", "required": True, "text": {"en": "Ready?", "fr": "Prêt?"}}]}
POST_ANSWERS = {"satisfaction": 5, "knowledge_increased": 4, "comments": "Merci"}


@pytest.fixture
def document(surveys) -> dict:
    return surveys.with_key(None).get("/openapi.json").json()


@pytest.fixture
def calls(surveys, document) -> DocumentedCalls:
    return DocumentedCalls(surveys.base_url, document)


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.0")


def test_every_route_the_service_serves_is_documented_with_its_answer(document):
    assert operations(document) == served_routes(SurveysService)
    for method, path in operations(document) - {("get", p) for p in OPS}:
        operation = document["paths"][path][method]
        [success] = [status for status in operation["responses"] if status.startswith("2")]
        assert "content" in operation["responses"][success], (method, path)
        if path != LINK:
            assert "401" in operation["responses"] and "security" in operation, (method, path)
    form, submit = document["paths"][LINK]["get"], document["paths"][LINK]["post"]
    assert "security" not in form and "401" not in form["responses"]  # the link is the credential
    assert set(form["responses"]) == {"200", "400", "404", "410"}
    assert set(submit["responses"]) == {"200", "400", "404", "409", "410", "413"}
    assert set(form["responses"]["200"]["content"]) == {"text/html"}
    assert set(submit["responses"]["200"]["content"]) == {"text/html", "application/json"}
    assert set(submit["requestBody"]["content"]) == {"application/json", FORM}
    query = document["paths"]["/v1/invitations"]["get"]["parameters"]
    assert {each["name"] for each in query} == set(InvitationQuerySchema().fields)
    # every write that takes an Idempotency-Key can answer 409, every body can be too large
    for path in ("/v1/instruments", "/v1/responses", "/v1/scheduler/run"):
        assert {"409", "413"} <= set(document["paths"][path]["post"]["responses"]), path


def test_every_operation_answers_as_the_document_says(calls, document, tenant, invite):
    staff, admin, analyst = tenant["staff"], tenant["admin"], tenant["analyst"]
    for path in OPS:
        calls(None, "GET", path)
    _instruments(calls, staff, analyst)
    answered, token = invite(language="fr")
    _respondent(calls, tenant, token)
    paper, _ = invite()
    _paper(calls, staff, analyst, paper["id"], answered["id"])
    _invitations_and_scheduler(calls, staff, admin, answered)

    never_succeeded = {op for op in operations(document) if not any(s < 300 for s in calls.answered[op])}
    never_failed = {op for op in operations(document) if op[1] not in OPS
                    and not any(s >= 400 for s in calls.answered[op])}
    assert (never_succeeded, never_failed) == (set(), set())


def _instruments(calls: DocumentedCalls, staff: str, analyst: str) -> None:
    added = calls.created(staff, "POST", "/v1/instruments", json=OWN)
    assert (added["key"], added["standard"]) == ("council_baseline", False)
    calls.fails(409, staff, "POST", "/v1/instruments", json=OWN)  # that key and version exist
    calls.fails(400, staff, "POST", "/v1/instruments", json={**OWN, "version": 0})
    calls.fails(403, analyst, "POST", "/v1/instruments", json=OWN)
    listed = calls.created(analyst, "GET", "/v1/instruments")
    assert [each["key"] for each in listed["items"]] == [
        "caip_baseline", "caip_post", "caip_fu3", "caip_fu12", "council_baseline"]
    calls.fails(401, None, "GET", "/v1/instruments")


def _respondent(calls: DocumentedCalls, tenant: dict, token: str) -> None:
    """The form, a bad form post (HTML) and a bad JSON post, the answers, then the used link."""
    form = calls(None, "GET", LINK, token=token)
    assert form.status_code == 200 and '<html lang="fr">' in form.text
    calls.fails(404, None, "GET", LINK, token=f"{tenant['id']}.nope")
    again = calls(None, "POST", LINK, token=token, data=b"satisfaction=9", content_type=FORM)
    assert again.status_code == 400 and again.headers["Content-Type"].startswith("text/html")
    calls.fails(400, None, "POST", LINK, token=token, json={**POST_ANSWERS, "satisfaction": 9})
    assert calls.created(None, "POST", LINK, token=token, json=POST_ANSWERS)["response_id"].startswith("rsp")
    calls.fails(410, None, "GET", LINK, token=token)
    calls.fails(410, None, "POST", LINK, token=token, json=POST_ANSWERS)
    calls.fails(404, None, "POST", LINK, token=f"{tenant['id']}.nope", json=POST_ANSWERS)


def _paper(calls: DocumentedCalls, staff: str, analyst: str, open_id: str, answered_id: str) -> None:
    paper = {"invitation_id": open_id, "answers": {"satisfaction": "4", "knowledge_increased": 3}}
    calls.fails(400, staff, "POST", "/v1/responses", json={**paper, "answers": {"satisfaction": 6}})
    recorded = calls.created(staff, "POST", "/v1/responses", json=paper)
    assert (recorded["invitation_id"], recorded["answers"]) == (open_id, {"satisfaction": 4,
                                                                          "knowledge_increased": 3})
    calls.fails(409, staff, "POST", "/v1/responses", json={**paper, "invitation_id": answered_id})
    calls.fails(404, staff, "POST", "/v1/responses", json={**paper, "invitation_id": "inv_nope"})
    calls.fails(403, analyst, "POST", "/v1/responses", json=paper)


def _invitations_and_scheduler(calls: DocumentedCalls, staff: str, admin: str, answered: dict) -> None:
    mine = {"participant_id": answered["participant_id"], "wave": "post"}
    page = calls.created(staff, "GET", "/v1/invitations", params=mine)
    assert [(each["id"], each["status"]) for each in page["items"]] == [(answered["id"], "responded")]
    assert page["next"] is None
    calls.fails(400, staff, "GET", "/v1/invitations", params={"wave": "fu6"})
    ran = calls.created(admin, "POST", "/v1/scheduler/run", json={"as_of": answered["due_at"]})
    assert ran == {"due": 0, "sent": 0, "reminded": 0, "expired": 0, "cancelled": 0, "waiting": 0}
    calls.fails(400, admin, "POST", "/v1/scheduler/run", json={"as_of": "tomorrow"})
    calls.fails(403, staff, "POST", "/v1/scheduler/run", json={"as_of": answered["due_at"]})
