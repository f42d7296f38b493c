"""notifications' OpenAPI document (``/openapi.json``, generated from its marshmallow schemas) against
what the service really answers, over HTTP, real RabbitMQ, the Mongo server and a local SMTP sink.

The document is valid OpenAPI 3 and names every route the service serves; a representative flow
calls every documented operation, on its happy path and on at least one error, and each answer must
have a documented status and, for JSON, a body that validates against the schema documented for that
status (answer schemas refuse fields they do not name). The unsubscribe pages answer HTML, which the
document says too. Intake's part (``get_contact``) is played by its stand-in.
"""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from services.notifications.schemas import NotificationQuerySchema
from services.notifications.service import NotificationsService
from tests.integration.notifications_support import DAY, deliver, invitation_due, participant, queued
from tests.support.openapi import DocumentedCalls, operations, served_routes

pytestmark = pytest.mark.usefixtures("notifications_stand_ins")

OPS = {"/health", "/ready", "/metrics", "/openapi.json"}
LINK, FORM = "/u/{token}", "application/x-www-form-urlencoded"
LOG, HOOKS, DELIVERIES = "/v1/notifications", "/v1/webhooks", "/v1/webhooks/{subscription_id}/deliveries"
NOWHERE = "http://127.0.0.1:9/hooks"  # never called: the flow runs no pass after the delivery is queued


@pytest.fixture
def document(notifications) -> dict:
    return notifications.with_key(None).get("/openapi.json").json()


@pytest.fixture
def calls(notifications, document) -> DocumentedCalls:
    return DocumentedCalls(notifications.base_url, document)


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.0")


def test_every_route_the_service_serves_is_documented_with_its_answer(document):
    assert operations(document) == served_routes(NotificationsService)
    for method, path in operations(document) - {("get", p) for p in OPS}:
        operation = document["paths"][path][method]
        [success] = [status for status in operation["responses"] if status.startswith("2")]
        assert "content" in operation["responses"][success], (method, path)
        if path != LINK:
            assert "401" in operation["responses"] and "security" in operation, (method, path)
    page, withdraw = document["paths"][LINK]["get"], document["paths"][LINK]["post"]
    assert "security" not in page and "401" not in page["responses"]  # the link is the credential
    assert set(page["responses"]) == {"200", "400", "404"}
    assert set(withdraw["responses"]) == {"200", "400", "404", "409", "413"}
    assert set(page["responses"]["200"]["content"]) == set(withdraw["responses"]["200"]["content"]) == {
        "text/html"}
    assert set(page["responses"]["404"]["content"]) == {"text/html", "application/json"}
    assert set(withdraw["requestBody"]["content"]) == {"application/json", FORM}
    query = document["paths"][LOG]["get"]["parameters"]
    assert {each["name"] for each in query} == set(NotificationQuerySchema().fields)
    schemas = document["components"]["schemas"]
    listed = schemas[document["paths"][HOOKS]["get"]["responses"]["200"]["content"]["application/json"]
                     ["schema"]["$ref"].rpartition("/")[2]]
    assert "secret" not in schemas[listed["properties"]["items"]["items"]["$ref"].rpartition("/")[2]][
        "properties"]  # a listed subscription never shows its secret


def test_an_answer_unlike_its_schema_fails_the_check(calls):
    log_at = ("paths", LOG, "get", "responses", "200", "content", "application/json", "schema")
    with pytest.raises(AssertionError, match="differs from the document"):
        calls.assert_valid({"items": [{"notification_id": "n1", "email": "a@example.org"}], "next": None},
                           log_at, "a page of the log")


def test_every_operation_answers_as_the_document_says(calls, document, notifications, mail_sink, amqp_uri,
                                                      tenant):
    staff, admin, analyst = tenant["staff"], tenant["admin"], tenant["analyst"]
    for path in OPS:
        calls(None, "GET", path)
    subscription = _webhooks(calls, staff, admin, analyst)
    amara = participant(tenant)
    deliver(amqp_uri, invitation_due(tenant, amara))
    queued(notifications, amara)
    _pass_and_log(calls, staff, admin, analyst, amara)
    [mail] = mail_sink.wait_for(1)
    [link] = re.findall(r"<(http[^>]+)>", mail["List-Unsubscribe"])
    _unsubscribe(calls, tenant, link.rpartition("/u/")[2])
    _deliveries(calls, staff, analyst, subscription)

    never_succeeded = {op for op in operations(document) if not any(s < 300 for s in calls.answered[op])}
    never_failed = {op for op in operations(document) if op[1] not in OPS
                    and not any(s >= 400 for s in calls.answered[op])}
    assert (never_succeeded, never_failed) == (set(), set())


def _webhooks(calls: DocumentedCalls, staff: str, admin: str, analyst: str) -> dict:
    """A subscription to ``consent.withdrawn`` (the unsubscribe queues its delivery), listed."""
    wanted = {"url": NOWHERE, "event_types": ["consent.withdrawn"]}
    subscription = calls.created(admin, "POST", HOOKS, json=wanted)
    assert len(subscription["secret"]) >= 32  # generated: shown in this answer only
    calls.fails(400, admin, "POST", HOOKS, json={**wanted, "event_types": ["invitation.due"]})
    calls.fails(403, staff, "POST", HOOKS, json=wanted)
    listed = calls.created(staff, "GET", HOOKS)
    shown = {key: subscription[key] for key in ("id", "url", "event_types", "state", "created_at")}
    assert listed == {"items": [shown], "next": None}
    assert (shown["url"], shown["event_types"], shown["state"]) == (NOWHERE, ["consent.withdrawn"], "active")
    calls.fails(403, analyst, "GET", HOOKS)
    calls.fails(401, None, "GET", HOOKS)
    return subscription


def _pass_and_log(calls: DocumentedCalls, staff: str, admin: str, analyst: str, amara: str) -> None:
    ran = calls.created(admin, "POST", "/v1/notifications/run", json={"as_of": DAY.isoformat()})
    assert ran == {"as_of": "2031-03-04T15:00:00.000Z", "email": {"sent": 1}, "webhook": {}}
    calls.fails(400, admin, "POST", "/v1/notifications/run", json={"as_of": "tomorrow"})
    calls.fails(403, staff, "POST", "/v1/notifications/run", json={"as_of": DAY.isoformat()})
    log = calls.created(analyst, "GET", LOG, params={"participant_id": amara})
    [entry] = log["items"]
    assert (entry["template"], entry["status"], entry["lang"], entry["attempts"], log["next"]) == (
        "survey_invitation", "sent", "en", 1, None)
    calls.fails(400, staff, "GET", LOG, params={"status": "lost"})
    calls.fails(401, None, "GET", LOG)


def _unsubscribe(calls: DocumentedCalls, tenant: dict, token: str) -> None:
    """The confirmation page, the one-click POST, then again; links that lead nowhere (an HTML page for
    the council's, the kernel's JSON error for a token that names no council)."""
    page = calls(None, "GET", LINK, token=token)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    assert page.headers["Content-Type"].startswith("text/html")
    unknown = calls(None, "GET", LINK, token=f"{tenant['id']}.nope")
    assert unknown.status_code == 404 and "This link is not valid" in unknown.text
    done = calls(None, "POST", LINK, token=token, data=b"List-Unsubscribe=One-Click", content_type=FORM)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    again = calls(None, "POST", LINK, token=token, data=b"List-Unsubscribe=One-Click", content_type=FORM)
    assert again.status_code == 200 and "You were already unsubscribed" in again.text
    calls.fails(404, None, "POST", LINK, token=f"{tenant['id']}.nope", data=b"List-Unsubscribe=One-Click",
                content_type=FORM)
    nowhere = calls(None, "GET", LINK, token="nope")
    assert (nowhere.status_code, nowhere.json()["error"]) == (404, "NOT_FOUND")


def _deliveries(calls: DocumentedCalls, staff: str, analyst: str, subscription: dict) -> None:
    log = calls.created(staff, "GET", DELIVERIES, subscription_id=subscription["id"])
    [delivery] = log["items"]
    assert (delivery["event_type"], delivery["status"], delivery["attempts"], log["next"]) == (
        "consent.withdrawn", "queued", 0, None)
    calls.fails(404, staff, "GET", DELIVERIES, subscription_id="000000000000000000000000")
    calls.fails(400, staff, "GET", DELIVERIES, subscription_id=subscription["id"], params={"limit": "0"})
    calls.fails(403, analyst, "GET", DELIVERIES, subscription_id=subscription["id"])
