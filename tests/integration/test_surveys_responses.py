"""Surveys over real RabbitMQ and the Mongo server: the respondent's link, paper responses, instruments.

Each test gets a participant invited through intake's events and a link sent by the due-work pass;
the link is read from the ``invitation.due`` event, as the notifications service reads it.
"""
from __future__ import annotations

import re
import secrets

from services.common.envelope import new_event
from services.common.events import event_handler
from services.common.mongo import TenantDatabase
from services.common.ops import ServiceBase
from services.common.tenancy import database_name
from tests.integration.surveys_support import submitted_events
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually

FRENCH_SATISFACTION = "Dans l&#39;ensemble, le programme m&#39;a donné satisfaction."


class ResponseListener(ServiceBase):
    """A consumer of ``response.submitted``, as reporting is: it keeps what it received."""

    name = "surveylistener"
    db = TenantDatabase(indexes={"received": []})

    @event_handler("surveys", "response.submitted")
    def on_response(self, event):
        with self.db.transaction() as tx:
            tx["received"].insert_one({"_id": event["id"], "data": event["data"]})


def respondent(surveys: Api) -> Api:
    return surveys.with_key(None)  # a participant has no key: the link is the credential


def error_of(page: str, item_id: str) -> str:
    match = re.search(rf'<p class="error" id="{item_id}-error" role="alert">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def test_a_french_participant_gets_the_form_in_french(surveys, invite):
    _, token = invite(language="fr")
    page = respondent(surveys).get(f"/r/{token}")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Questionnaire de fin de programme" in page.text and FRENCH_SATISFACTION in page.text
    assert f'action="/r/{token}?lang=fr"' in page.text
    assert "Council t" in page.text  # the council's name, from the registry


def test_lang_in_the_query_overrides_the_participants_language(surveys, invite):
    _, token = invite(language="fr")
    page = respondent(surveys).get(f"/r/{token}", params={"lang": "en"})
    assert '<html lang="en">' in page.text and "End-of-program survey" in page.text


def test_an_unknown_link_is_a_404_page(surveys, tenant):
    page = respondent(surveys).get(f"/r/{tenant['id']}.{secrets.token_urlsafe(24)}")
    assert page.status_code == 404
    assert "We could not find this survey link" in page.text


def test_a_missing_required_answer_is_shown_next_to_its_item_and_earlier_answers_are_kept(
        surveys, invite, survey_db):
    _, token = invite(language="fr")
    answers = {"satisfaction": "4", "comments": "Très utile"}
    page = respondent(surveys).post(f"/r/{token}?lang=fr", data=answers)
    assert page.status_code == 400
    missing = "Erreur : Donnée manquante pour un champ obligatoire."
    assert error_of(page.text, "knowledge_increased") == missing
    # the message sits inside the item, between its question and its first choice
    question, error, first_choice = (page.text.index(marker) for marker in (
        "<legend>Le programme a accru", 'id="knowledge_increased-error"', 'id="knowledge_increased-1"'))
    assert question < error < first_choice
    assert 'id="satisfaction-4" name="satisfaction" value="4" checked' in page.text
    assert "Très utile</textarea>" in page.text
    assert submitted_events(survey_db) == []


def test_a_valid_answer_is_thanked_and_announced_with_coded_answers_only(
        surveys, invite, survey_db, service_env, container_factory, amqp_uri, mongo_client, tenant):
    start_service(container_factory, ResponseListener, amqp_uri)
    invitation, token = invite()
    answers = {"satisfaction": "5", "knowledge_increased": "4", "comments": "My manager now sponsors me"}
    page = respondent(surveys).post(f"/r/{token}", data=answers)
    assert page.status_code == 200 and "Your answers have been recorded" in page.text
    received = mongo_client[database_name(tenant["id"], "surveylistener")]["received"]
    [event] = [doc["data"] for doc in eventually(lambda: list(received.find()), what="response.submitted")]
    assert event["answers"] == {"satisfaction": 5, "knowledge_increased": 4}  # no free text
    assert {key: event[key] for key in ("invitation_id", "participant_id", "cohort_id", "role", "wave",
                                        "instrument_key", "instrument_version")} == {
        "invitation_id": invitation["id"], "participant_id": invitation["participant_id"],
        "cohort_id": invitation["cohort_id"], "role": "newcomer", "wave": "post",
        "instrument_key": "caip_post", "instrument_version": 1}
    stored = survey_db["responses"].find_one({"_id": event["response_id"]})
    assert stored["answers"]["comments"] == "My manager now sponsors me"  # free text stays here
    listing = surveys.get("/v1/invitations", params={"participant_id": invitation["participant_id"],
                                                     "wave": "post"})
    assert listing.json()["items"][0]["status"] == "responded"


def test_a_link_answered_once_is_gone(surveys, invite, survey_db):
    _, token = invite()
    answers = {"satisfaction": "3", "knowledge_increased": "3"}
    assert respondent(surveys).post(f"/r/{token}", data=answers).status_code == 200
    again = respondent(surveys).post(f"/r/{token}", data=answers)
    assert again.status_code == 410 and "This survey link can no longer be used" in again.text
    assert respondent(surveys).get(f"/r/{token}").status_code == 410
    assert len(submitted_events(survey_db)) == 1


def test_json_answers_get_json_back(surveys, invite, survey_db):
    _, token = invite(role="manager")
    bad = respondent(surveys).post(f"/r/{token}", {"satisfaction": 9, "colour": "red"})
    assert bad.status_code == 400
    body = bad.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["fields"] == {"satisfaction": ["Must be one of: 1, 2, 3, 4, 5, na."],
                              "knowledge_increased": ["Missing data for required field."],
                              "colour": ["Unknown item."]}
    good = respondent(surveys).post(f"/r/{token}", {"satisfaction": 4, "knowledge_increased": "na"})
    assert good.status_code == 200
    assert good.json()["response_id"] == submitted_events(survey_db)[0]["response_id"]
    gone = respondent(surveys).post(f"/r/{token}", {"satisfaction": 4, "knowledge_increased": 4})
    assert gone.status_code == 410 and gone.json()["error"] == "GONE"


def test_staff_enter_a_paper_response_once(surveys, invite, survey_db, tenant):
    invitation, _ = invite()
    staff = surveys.with_key(tenant["staff"])
    bad = staff.post("/v1/responses", {"invitation_id": invitation["id"], "answers": {"satisfaction": 4}})
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"answers": {"knowledge_increased": ["Missing data for required field."]}}
    body = {"invitation_id": invitation["id"], "answers": {"satisfaction": 4, "knowledge_increased": 5}}
    created = staff.post("/v1/responses", body)
    assert created.status_code == 201, created.text
    assert [event["answers"] for event in submitted_events(survey_db)] == [
        {"satisfaction": 4, "knowledge_increased": 5}]
    assert staff.post("/v1/responses", body).status_code == 409
    assert staff.post("/v1/responses", {**body, "invitation_id": "inv_nope"}).status_code == 404
    assert surveys.with_key(tenant["analyst"]).post("/v1/responses", body).status_code == 403


def test_erasure_forgets_the_answers_kept_for_idempotency_key_replays_that_name_the_participant(
        surveys, invite, survey_db, tenant, amqp_uri):
    # a paper response's answer echoes its free text, and is kept for replays of its Idempotency-Key
    staff = surveys.with_key(tenant["staff"])
    erased, other = invite(), invite()
    for invitation, _ in (erased, other):
        answers = {"satisfaction": 4, "knowledge_increased": 5, "comments": "Priya Sharma helped me"}
        body = {"invitation_id": invitation["id"], "answers": answers}
        created = staff.post("/v1/responses", body, headers={"Idempotency-Key": secrets.token_hex(8)})
        assert created.status_code == 201, created.text
    assert [record["body"].count("Priya Sharma") for record in survey_db["idempotency_keys"].find()] == [1, 1]
    participant_id = erased[0]["participant_id"]

    event = new_event("intake", "participant.erased", tenant["id"], {"participant_id": participant_id})
    publish_event(amqp_uri, "intake", event)
    # (waiting for the whole state: nx-27017 shows a transaction's writes before it commits)
    [kept] = eventually(lambda: len(found := list(survey_db["idempotency_keys"].find())) == 1 and found,
                        what="the erased participant's answer forgotten")  # the other's stays for its replays
    assert other[0]["id"] in kept["body"]
    assert erased[0]["id"] not in kept["body"] and participant_id not in kept["body"]


def test_every_tenant_has_the_standard_instruments(surveys, tenant):
    listing = surveys.with_key(tenant["analyst"]).get("/v1/instruments")
    assert listing.status_code == 200
    standard = {(each["key"], each["wave"]) for each in listing.json()["items"] if each["standard"]}
    assert standard == {("caip_baseline", "baseline"), ("caip_post", "post"), ("caip_fu3", "fu3"),
                        ("caip_fu12", "fu12")}


OWN_INSTRUMENT = {
    "key": "mentoring_exit", "version": 1, "wave": "post", "roles": ["mentee", "mentor"],
    "items": [{"id": "match_quality", "type": "likert5", "required": True,
               "text": {"en": "My match was a good fit.", "fr": "Mon jumelage me convenait."}},
              # the standard items the indicators read stay (INDICATORS.md); the council adds its own
              {"id": "satisfaction", "type": "likert5", "required": True,
               "text": {"en": "Overall, I was satisfied.", "fr": "Dans l'ensemble, j'étais satisfait."}},
              {"id": "knowledge_increased", "type": "likert5", "required": True,
               "text": {"en": "I learned how advancement works.", "fr": "J'ai appris comment avancer."}}]}


def test_staff_add_their_own_instrument_once(surveys, tenant):
    staff = surveys.with_key(tenant["staff"])
    created = staff.post("/v1/instruments", OWN_INSTRUMENT)
    assert created.status_code == 201, created.text
    assert created.json()["key"] == "mentoring_exit" and created.json()["standard"] is False
    keys = [(each["key"], each["version"]) for each in staff.get("/v1/instruments").json()["items"]]
    assert ("mentoring_exit", 1) in keys
    assert staff.post("/v1/instruments", OWN_INSTRUMENT).status_code == 409
    assert staff.post("/v1/instruments", {**OWN_INSTRUMENT, "version": 2}).status_code == 201
    standard_key = {**OWN_INSTRUMENT, "key": "caip_post", "version": 7}
    assert staff.post("/v1/instruments", standard_key).status_code == 409
    assert surveys.with_key(tenant["analyst"]).post("/v1/instruments", OWN_INSTRUMENT).status_code == 403


def test_an_instrument_with_bad_fields_is_a_400_naming_them(surveys):
    answer = surveys.post("/v1/instruments", {**OWN_INSTRUMENT, "wave": "someday", "roles": []})
    assert answer.status_code == 400
    assert answer.json() == {"error": "VALIDATION_ERROR", "message": "the request is not valid",
                             "fields": {"wave": ["Must be one of: baseline, post, fu3, fu12."],
                                        "roles": ["Shorter than minimum length 1."]}}


def test_another_councils_link_does_not_open(surveys, invite, tenant, other_council):
    _, ours = invite()
    _, theirs = invite(council=other_council)
    assert respondent(surveys).get(f"/r/{theirs}").status_code == 200  # a real link, in its own council
    for council, token in ((tenant, theirs), (other_council, ours)):  # a secret under the other council
        forged = f"{council['id']}.{token.split('.', 1)[1]}"
        page = respondent(surveys).get(f"/r/{forged}")
        assert page.status_code == 404
        assert "<h1>We could not find this survey link</h1>" in page.text
        assert "Please check that you copied the whole link from the email you received." in page.text
