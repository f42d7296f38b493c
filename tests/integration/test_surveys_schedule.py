"""The durable schedule over real RabbitMQ and the Mongo server: baseline at enrolment, follow-ups
anchored on the cohort's real end, mentees' follow-ups after their match, erasure, pinned versions."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta

from services.common.clock import parse_stamp, stamp
from tests.integration.surveys_support import (
    ENDED_ON,
    invitations,
    nine_in_toronto,
    outbox_events,
    run_pass,
    token_of,
    wait_for_invitations,
)
from tests.support.council import council_today
from tests.support.waiting import eventually


def test_an_enrolment_schedules_a_baseline_due_at_once(surveys, intake_events):
    participant_id, cohort_id = intake_events.register(), f"c{secrets.token_hex(4)}"
    intake_events.publish("cohort.opened", {
        "cohort_id": cohort_id, "program_id": "prg1", "program_kind": "caip",
        "start_date": council_today().isoformat(), "end_date": ENDED_ON.isoformat(), "employer_ids": ["e1"]})
    intake_events.publish("participant.enrolled", {
        "participant_id": participant_id, "cohort_id": cohort_id, "role": "newcomer", "program_kind": "caip",
        "employer_id": "e1"})
    [baseline] = wait_for_invitations(surveys, cohort_id, 1, wave="baseline")
    assert (baseline["instrument_key"], baseline["status"]) == ("caip_baseline", "scheduled")
    assert run_pass(surveys, parse_stamp(baseline["due_at"]))["sent"] == 1


def test_no_baseline_is_asked_once_the_cohort_has_ended(surveys, intake_events):
    participant_id, cohort_id = intake_events.register(), f"c{secrets.token_hex(4)}"
    opened = intake_events.publish("cohort.opened", {
        "cohort_id": cohort_id, "program_id": "prg1", "program_kind": "caip",
        "start_date": (council_today() - timedelta(days=40)).isoformat(),
        "end_date": council_today().isoformat()})
    intake_events.handled(opened)
    enrolled = intake_events.publish("participant.enrolled", {
        "participant_id": participant_id, "cohort_id": cohort_id, "role": "newcomer", "program_kind": "caip"})
    intake_events.handled(enrolled)
    assert invitations(surveys, cohort_id=cohort_id) == []


def test_a_completed_cohort_schedules_fu3_and_fu12_at_nine_local_from_its_real_end(surveys, intake_events):
    participant_id = intake_events.register()
    ended_on = council_today() - timedelta(days=2)  # completed two days after the last session
    cohort = intake_events.complete_cohort([participant_id], ended_on=ended_on)
    cohort_id = cohort["data"]["cohort_id"]
    [fu3] = wait_for_invitations(surveys, cohort_id, 1, wave="fu3")
    [fu12] = wait_for_invitations(surveys, cohort_id, 1, wave="fu12")
    assert fu3["due_at"] == stamp(nine_in_toronto(ended_on + timedelta(days=90)))
    assert fu3["closes_at"] == stamp(nine_in_toronto(ended_on + timedelta(days=120)))
    assert fu12["due_at"] == stamp(nine_in_toronto(ended_on + timedelta(days=365)))
    assert fu12["closes_at"] == stamp(nine_in_toronto(ended_on + timedelta(days=410)))
    assert (fu3["instrument_key"], fu12["instrument_key"]) == ("caip_fu3", "caip_fu12")


def test_a_mentee_gets_fu3_and_fu12_after_the_match_ends_with_the_match_as_cohort(
        surveys, intake_events, survey_db):
    mentee = intake_events.register(role="mentee")
    match_id = f"m{secrets.token_hex(4)}"
    intake_events.publish("mentorship.matched", {
        "match_id": match_id, "mentor_id": "mentor1", "mentee_id": mentee, "occupation_noc": "21231",
        "score": 0.9, "planned_end": "2027-01-01"})
    ended_on = council_today()
    intake_events.publish("mentorship.ended", {
        "match_id": match_id, "reason": "completed", "planned_end_reached": True, "mentee_id": mentee,
        "ended_on": ended_on.isoformat()})
    found = eventually(lambda: len(got := invitations(surveys, cohort_id=match_id)) == 2 and got,
                       what="two follow-ups")
    by_wave = {each["wave"]: each for each in found}
    assert set(by_wave) == {"fu3", "fu12"}
    assert {(each["participant_id"], each["role"], each["program_kind"]) for each in found} == {
        (mentee, "mentee", "mentoring")}
    assert by_wave["fu3"]["due_at"] == stamp(nine_in_toronto(ended_on + timedelta(days=90)))
    run_pass(surveys, parse_stamp(by_wave["fu3"]["due_at"]))
    [due] = outbox_events(survey_db, "invitation.due")
    token = token_of(due["data"]["link"])
    form = surveys.with_key(None).get(f"/r/{token}")
    assert form.status_code == 200 and "Which describes your work now?" in form.text
    assert "more confident navigating" not in form.text  # a newcomer's item, not a mentee's


def test_a_match_ended_without_its_day_is_anchored_on_the_councils_day_at_the_event_time(
        surveys, intake_events):
    mentee = intake_events.register(role="mentee")
    match_id = f"m{secrets.token_hex(4)}"
    intake_events.publish("mentorship.matched", {
        "match_id": match_id, "mentor_id": "mentor1", "mentee_id": mentee, "occupation_noc": "21231",
        "score": 0.9, "planned_end": "2027-01-01"})
    day = council_today()
    # 02:00 UTC the next day is still `day` in Toronto (22:00 or 21:00): the UTC date is a day late
    late_evening = datetime.combine(day + timedelta(days=1), time(2), UTC)
    intake_events.publish("mentorship.ended", {
        "match_id": match_id, "reason": "completed", "planned_end_reached": True, "mentee_id": mentee},
        at=late_evening)
    found = eventually(lambda: len(got := invitations(surveys, cohort_id=match_id)) == 2 and got,
                       what="two follow-ups")
    by_wave = {each["wave"]: each["due_at"] for each in found}
    assert by_wave == {"fu3": stamp(nine_in_toronto(day + timedelta(days=90))),
                       "fu12": stamp(nine_in_toronto(day + timedelta(days=365)))}


def test_erasure_cancels_open_invitations_forgets_links_and_free_text_but_keeps_coded_answers(
        surveys, intake_events, survey_db):
    participant_id = intake_events.register()
    cohort_id = intake_events.complete_cohort([participant_id], ended_on=council_today())["data"]["cohort_id"]
    [post] = wait_for_invitations(surveys, cohort_id, 1)
    run_pass(surveys, parse_stamp(post["due_at"]))
    [due] = outbox_events(survey_db, "invitation.due")
    token = token_of(due["data"]["link"])
    answer = surveys.with_key(None).post(f"/r/{token}", {"satisfaction": 5, "knowledge_increased": 4,
                                                         "comments": "My manager Priya Sharma helped"})
    assert answer.status_code == 200, answer.text

    erased = intake_events.publish("participant.erased", {"participant_id": participant_id})
    intake_events.handled(erased)

    statuses = {each["wave"]: (each["status"], each["reason"])
                for each in invitations(surveys, participant_id=participant_id)}
    assert statuses == {"post": ("responded", ""), "fu3": ("cancelled", "erased"),
                        "fu12": ("cancelled", "erased")}
    reasons = [e["data"]["reason"] for e in outbox_events(survey_db, "invitation.cancelled")]
    assert reasons == ["erased", "erased"]
    [response] = survey_db["responses"].find({"participant_id": participant_id})
    assert response["answers"] == {"satisfaction": 5, "knowledge_increased": 4}  # coded answers stay
    assert "Priya" not in str(list(survey_db["responses"].find()))
    assert survey_db["tokens"].count_documents({"invitation_id": post["id"]}) == 0
    assert surveys.with_key(None).get(f"/r/{token}").status_code == 404
    assert survey_db["participants"].find_one({"_id": participant_id}) == {
        "_id": participant_id, "state": "erased", "registered": False,
        "erased_at": survey_db["participants"].find_one({"_id": participant_id})["erased_at"]}
    # a late registration does not bring them back
    late = intake_events.publish("participant.registered", {
        "participant_id": participant_id, "role": "newcomer", "preferred_language": "fr",
        "consent": {"surveys": True}})
    intake_events.handled(late)
    assert survey_db["participants"].find_one({"_id": participant_id})["state"] == "erased"


def test_an_invitation_keeps_the_instrument_version_it_was_scheduled_with(
        surveys, intake_events, tenant, survey_db):
    staff = surveys.with_key(tenant["staff"])
    listed = staff.get("/v1/instruments").json()["items"]
    [caip_post] = [each for each in listed if each["key"] == "caip_post"]
    standard = {item["id"]: item for item in caip_post["items"]}
    version_1 = {"key": "council_post", "version": 1, "wave": "post", "roles": ["newcomer"], "items": [
        standard["satisfaction"], standard["knowledge_increased"],
        {"id": "would_recommend", "type": "yes_no", "required": True,
         "text": {"en": "Would you recommend the program?", "fr": "Recommanderiez-vous le programme?"}}]}
    assert staff.post("/v1/instruments", version_1).status_code == 201
    first = intake_events.register()
    cohort_id = intake_events.complete_cohort([first], ended_on=council_today())["data"]["cohort_id"]
    [pinned] = wait_for_invitations(surveys, cohort_id, 1)
    assert (pinned["instrument_key"], pinned["instrument_version"]) == ("council_post", 1)

    version_2 = {**version_1, "version": 2, "items": [
        *version_1["items"][:2],
        {"id": "best_session", "type": "number", "min": 1, "max": 4, "required": True,
         "text": {"en": "Which session helped most?", "fr": "Quelle séance?"}}]}
    assert staff.post("/v1/instruments", version_2).status_code == 201
    run_pass(surveys, parse_stamp(pinned["due_at"]))
    [due] = outbox_events(survey_db, "invitation.due")
    token = token_of(due["data"]["link"])
    # the version-1 invitation takes version-1 answers, and refuses version 2's item
    refused = surveys.with_key(None).post(f"/r/{token}", {"satisfaction": 4, "knowledge_increased": 4,
                                                          "best_session": 2})
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"best_session", "would_recommend"}
    kept = surveys.with_key(None).post(f"/r/{token}", {"satisfaction": 4, "knowledge_increased": 4,
                                                       "would_recommend": "yes"})
    assert kept.status_code == 200, kept.text
    [event] = outbox_events(survey_db, "response.submitted")
    assert (event["data"]["instrument_key"], event["data"]["instrument_version"]) == ("council_post", 1)
    # the next cohort gets version 2
    second = intake_events.register()
    next_cohort = intake_events.complete_cohort([second], ended_on=council_today())["data"]["cohort_id"]
    [newer] = wait_for_invitations(surveys, next_cohort, 1)
    assert newer["instrument_version"] == 2


def test_an_own_instrument_without_the_standard_items_is_a_400_and_nothing_is_stored(surveys, tenant):
    staff = surveys.with_key(tenant["staff"])
    body = {"key": "thin_fu3", "version": 1, "wave": "fu3", "roles": ["manager"], "items": [
        {"id": "liked", "type": "yes_no", "text": {"en": "Liked it?", "fr": "Aimé?"}}]}
    answer = staff.post("/v1/instruments", body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "VALIDATION_ERROR"
    assert answer.json()["fields"] == {"items": [
        "Must keep the standard items the indicators read for manager: actions_taken, prepared_to_support, "
        "manager_practices, open_communication."]}
    assert "thin_fu3" not in {each["key"] for each in staff.get("/v1/instruments").json()["items"]}


def test_an_own_instrument_takes_json_booleans_and_integers_only(surveys, tenant):
    staff = surveys.with_key(tenant["staff"])
    item = {"id": "liked", "type": "yes_no", "text": {"en": "Liked it?", "fr": "Aimé?"}}
    body = {"key": "strict_baseline", "version": 1, "wave": "baseline", "roles": ["trainer"], "items": [item]}
    for bad, fields in (({"items": [{**item, "required": "yes"}]}, {"items": {"0": {"required": [
                            "Not a valid boolean."]}}}),
                        ({"items": [{**item, "required": 1}]}, {"items": {"0": {"required": [
                            "Not a valid boolean."]}}}),
                        ({"version": True}, {"version": ["Not a valid integer."]})):
        answer = staff.post("/v1/instruments", {**body, **bad})
        assert (answer.status_code, answer.json()) == (400, {
            "error": "VALIDATION_ERROR", "message": "the request is not valid", "fields": fields}), bad
    assert "strict_baseline" not in {each["key"] for each in staff.get("/v1/instruments").json()["items"]}
    assert staff.post("/v1/instruments", {**body, "items": [{**item, "required": True}]}).status_code == 201
