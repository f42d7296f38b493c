"""intake's OpenAPI document (``/openapi.json``, generated from its marshmallow schemas) against what
the service really answers, over HTTP, real RabbitMQ and the Mongo server.

The document is valid OpenAPI 3 and names every route the service serves; a representative flow
calls every documented operation, on its happy path and on at least one error, and each answer must
have a documented status and a body that validates against the schema documented for that status
(answer schemas refuse fields they do not name, so an answer that grows a field fails here too).
"""
from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

import pytest
from openapi_spec_validator import validate

from services.intake.service import IntakeService
from tests.integration.intake_support import CONSENT
from tests.support.council import council_today
from tests.support.openapi import DocumentedCalls, operations, served_routes

# the kernel's operator endpoints, on every service: they have no error to provoke
OPS = {"/health", "/ready", "/metrics", "/openapi.json"}
TODAY = council_today()
SESSIONS = [{"date": f"2026-03-{day:02d}", "topic": f"Session {day}"} for day in (3, 10, 17, 24)]
EMPLOYER, PARTICIPANT = "/v1/employers/{employer_id}", "/v1/participants/{participant_id}"
COHORT, MATCH = "/v1/cohorts/{cohort_id}", "/v1/mentoring/matches/{match_id}"
CSV_HEADER = ["given_name", "family_name", "email", "preferred_language", "role", "occupation_noc",
              "consent_version", "consent_surveys", "consent_research", "consent_contact"]


@pytest.fixture
def document(intake) -> dict:
    return intake.with_key(None).get("/openapi.json").json()


@pytest.fixture
def calls(intake, document) -> DocumentedCalls:
    return DocumentedCalls(intake.base_url, document)


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.0")


def test_every_route_the_service_serves_is_documented_with_its_answer(document):
    assert operations(document) == served_routes(IntakeService)
    for method, path in operations(document) - {("get", p) for p in OPS}:
        operation = document["paths"][path][method]
        success = [status for status in operation["responses"] if status.startswith("2")]
        assert len(success) == 1, (method, path)
        assert success == ["204"] or "content" in operation["responses"][success[0]], (method, path)
        assert "401" in operation["responses"] and "security" in operation, (method, path)


def test_an_answer_unlike_its_schema_fails_the_check(calls):
    participant_at = ("paths", "/v1/participants/{participant_id}", "get", "responses", "200", "content",
                      "application/json", "schema")
    with pytest.raises(AssertionError, match="differs from the document"):
        calls.assert_valid({"id": "par_1", "given_name": "Ana"}, participant_at, "a participant")


def test_every_operation_answers_as_the_document_says(calls, document, tenant):
    staff, admin, analyst = tenant["staff"], tenant["admin"], tenant["analyst"]
    for path in OPS:
        calls(None, "GET", path)
    people = _organisation(calls, staff, analyst)
    cohort_id = _delivery(calls, staff, analyst, people)
    _import(calls, staff, cohort_id)
    _mentoring(calls, staff, analyst, people)
    _erasure(calls, staff, admin, people["newcomer"])

    never_succeeded = {op for op in operations(document) if not any(s < 300 for s in calls.answered[op])}
    never_failed = {op for op in operations(document) if op[1] not in OPS
                    and not any(s >= 400 for s in calls.answered[op])}
    assert (never_succeeded, never_failed) == (set(), set())


def _person(calls: DocumentedCalls, key: str, role: str, **more) -> str:
    return calls.created(key, "POST", "/v1/participants", json={
        "given_name": "Amina", "family_name": "Haddad", "email": f"a.{secrets.token_hex(4)}@example.org",
        "preferred_language": "fr", "role": role, "occupation_noc": "21231", "consent": CONSENT,
        **more})["id"]


def _organisation(calls: DocumentedCalls, staff: str, analyst: str) -> dict[str, str]:
    """Employers, participants and their consent, then what was done with the employer."""
    employer = {"name": "Maple", "sector": "IT", "size_class": "medium", "city": "Toronto"}
    employer_id = calls.created(staff, "POST", "/v1/employers", json=employer)["id"]
    calls.created(staff, "POST", "/v1/employers", json={**employer, "size_class": None, "employee_count": 40})
    calls.fails(403, analyst, "POST", "/v1/employers", json=employer)
    calls.fails(400, staff, "POST", "/v1/employers", json={"name": ""})
    leader = _person(calls, staff, "hr_leader", employer_id=employer_id, phone="+1 416 555 0100")
    people = {"leader": leader, "newcomer": _person(calls, staff, "newcomer", years_in_canada=2),
              "mentor": _person(calls, staff, "mentor", mentor_capacity=1, occupation_noc="21232"),
              "mentee": _person(calls, staff, "mentee"), "mentee2": _person(calls, staff, "mentee")}
    registered = calls.created(analyst, "GET", PARTICIPANT, participant_id=leader)
    again = {key: registered[key] for key in ("given_name", "family_name", "email", "preferred_language",
                                              "role", "occupation_noc")}
    calls.fails(409, staff, "POST", "/v1/participants", json={**again, "consent": CONSENT})
    calls.fails(401, None, "GET", PARTICIPANT, participant_id=leader)
    calls.fails(404, staff, "GET", PARTICIPANT, participant_id="par_nope")
    consent = PARTICIPANT + "/consent"
    choices = {"surveys": False, "research": True, "contact": True}
    calls.created(staff, "PUT", consent, participant_id=leader, json=choices)
    calls.fails(400, staff, "PUT", consent, participant_id=leader, json={**choices, "surveys": "yes"})
    _org_change(calls, staff, analyst, employer_id, leader)
    return people


def _org_change(calls: DocumentedCalls, staff: str, analyst: str, employer_id: str, leader: str) -> None:
    """An assessment, changes (answering a recommendation, and not), a certification; the employer."""
    delivered_on = (TODAY - timedelta(days=30)).isoformat()
    assessment = {"delivered_on": delivered_on, "gaps": ["No written criteria."],
                  "interviews": [{"role": "hr_leader", "date": delivered_on}],
                  "recommendations": [{"area": "policy", "text": "Write a policy."}]}
    made = calls.created(staff, "POST", EMPLOYER + "/assessments", employer_id=employer_id, json=assessment)
    calls.fails(404, staff, "POST", EMPLOYER + "/assessments", employer_id="emp_nope", json=assessment)
    recommendation_id = made["recommendations"][0]["id"]
    change = {"kind": "policy", "recommendation_id": recommendation_id, "adopted_on": delivered_on}
    calls.created(staff, "POST", EMPLOYER + "/changes", employer_id=employer_id, json=change)
    calls.created(staff, "POST", EMPLOYER + "/changes", employer_id=employer_id,
                  json={"kind": "other", "adopted_on": delivered_on})
    calls.fails(400, staff, "POST", EMPLOYER + "/changes", employer_id=employer_id,
                json={**change, "recommendation_id": "rec_nope"})
    trainer = {"kind": "trainer"}
    calls.created(staff, "POST", PARTICIPANT + "/certifications", participant_id=leader, json=trainer)
    calls.fails(409, staff, "POST", PARTICIPANT + "/certifications", participant_id=leader, json=trainer)
    seen = calls.created(analyst, "GET", EMPLOYER, employer_id=employer_id)
    assert (len(seen["assessments"]), len(seen["changes"]), len(seen["certified_trainers"])) == (1, 2, 1)
    calls.fails(404, staff, "GET", EMPLOYER, employer_id="emp_nope")


def _delivery(calls: DocumentedCalls, staff: str, analyst: str, people: dict[str, str]) -> str:
    """A program, a cohort, enrolments, attendance, then a withdrawal and completion; answers the id
    of another cohort, open."""
    program = {"name": "CAIP", "kind": "caip", "sessions_planned": 4, "train_the_trainer": True}
    program_id = calls.created(staff, "POST", "/v1/programs", json=program)["id"]
    calls.fails(400, staff, "POST", "/v1/programs", json={**program, "kind": "yoga"})
    calls.created(analyst, "GET", "/v1/programs/{program_id}", program_id=program_id)
    calls.fails(404, analyst, "GET", "/v1/programs/{program_id}", program_id="prg_nope")
    cohort = {"program_id": program_id, "name": "Spring", "employer_ids": [], "start_date": "2026-03-03",
              "end_date": "2026-03-24", "delivery": "hybrid", "sessions": SESSIONS,
              "facilitated_by": "council"}
    cohort_id = calls.created(staff, "POST", "/v1/cohorts", json=cohort)["id"]
    calls.fails(400, staff, "POST", "/v1/cohorts", json={**cohort, "program_id": "prg_nope"})
    for name in ("newcomer", "leader"):
        enrolment = {"participant_id": people[name], "role": "newcomer"}
        calls.created(staff, "POST", COHORT + "/enrolments", cohort_id=cohort_id, json=enrolment)
    calls.fails(409, staff, "POST", COHORT + "/enrolments", cohort_id=cohort_id, json=enrolment)
    present = [people["newcomer"], people["leader"]]
    for index in range(3):
        calls.created(staff, "POST", COHORT + "/attendance", cohort_id=cohort_id,
                      json={"session_index": index, "present": present})
    calls.fails(400, staff, "POST", COHORT + "/attendance", cohort_id=cohort_id,
                json={"session_index": 9, "present": present})
    calls.created(analyst, "GET", COHORT, cohort_id=cohort_id)
    calls.fails(404, analyst, "GET", COHORT, cohort_id="coh_nope")
    _withdrawal_and_completion(calls, staff, analyst, cohort_id, people["newcomer"])
    return calls.created(staff, "POST", "/v1/cohorts", json=cohort)["id"]


def _withdrawal_and_completion(calls: DocumentedCalls, staff: str, analyst: str, cohort_id: str,
                               participant_id: str) -> None:
    withdrawal = {"cohort_id": cohort_id, "reason": "employment"}
    calls.created(staff, "POST", PARTICIPANT + "/withdraw", participant_id=participant_id, json=withdrawal)
    calls.fails(409, staff, "POST", PARTICIPANT + "/withdraw", participant_id=participant_id, json=withdrawal)
    history = calls.created(analyst, "GET", PARTICIPANT + "/attendance", participant_id=participant_id)
    assert history["items"][0]["withdrawn"] is True
    calls.fails(404, analyst, "GET", PARTICIPANT + "/attendance", participant_id="par_nope")
    completed = calls.created(staff, "POST", COHORT + "/complete", cohort_id=cohort_id, json={})
    assert [enrolment["completed"] for enrolment in completed["enrolments"]] == [False, True]
    calls.fails(409, staff, "POST", COHORT + "/complete", cohort_id=cohort_id, json={})
    calls.created(analyst, "GET", COHORT, cohort_id=cohort_id)  # completed, as stored


def _import(calls: DocumentedCalls, staff: str, cohort_id: str) -> None:
    """A file with a good row, a duplicate of it and a bad row; a body that is not CSV."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([*CSV_HEADER, "cohort_id"])
    good = ["Ana", "Haddad", f"a.{secrets.token_hex(4)}@example.org", "fr", "newcomer", "21231", "2026-01",
            "yes", "no", "yes", cohort_id]
    writer.writerows([good, good, [*good[:4], "boss", *good[5:]]])
    path = "/v1/imports/participants"
    answer = calls.created(staff, "POST", path, data=text.getvalue().encode(), content_type="text/csv")
    assert (answer["accepted"], answer["duplicates"], len(answer["rejected"])) == (1, 1, 1)
    calls.fails(400, staff, "POST", path, data=b"{}", content_type="application/json")


def _mentoring(calls: DocumentedCalls, staff: str, analyst: str, people: dict[str, str]) -> None:
    """Suggestions, a match, a second match past the mentor's capacity, the end of the match."""
    mentee = {"mentee_id": people["mentee"]}
    suggestions = calls.created(staff, "GET", "/v1/mentoring/suggestions", params=mentee)
    assert [item["mentor_id"] for item in suggestions["items"]] == [people["mentor"]]
    calls.fails(400, staff, "GET", "/v1/mentoring/suggestions", params={"limit": "3"})
    match = {"mentor_id": people["mentor"], "planned_end": (TODAY + timedelta(days=90)).isoformat(), **mentee}
    match_id = calls.created(staff, "POST", "/v1/mentoring/matches", json=match)["id"]
    calls.fails(409, staff, "POST", "/v1/mentoring/matches", json={**match, "mentee_id": people["mentee2"]})
    calls.created(analyst, "GET", MATCH, match_id=match_id)
    calls.fails(404, analyst, "GET", MATCH, match_id="mat_nope")
    end = {"reason": "completed", "planned_end_reached": False}
    calls.created(staff, "POST", MATCH + "/end", match_id=match_id, json=end)
    calls.fails(409, staff, "POST", MATCH + "/end", match_id=match_id, json=end)
    assert calls.created(analyst, "GET", MATCH, match_id=match_id)["status"] == "ended"


def _erasure(calls: DocumentedCalls, staff: str, admin: str, participant_id: str) -> None:
    calls.fails(403, staff, "DELETE", PARTICIPANT, participant_id=participant_id)  # admin only
    assert calls(admin, "DELETE", PARTICIPANT, participant_id=participant_id).status_code == 204
    calls.fails(404, admin, "DELETE", PARTICIPANT, participant_id=participant_id)  # erased already
