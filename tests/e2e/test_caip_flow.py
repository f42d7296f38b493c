"""A CAIP cohort from employer to indicator, through the four services as separate processes.

Staff register an employer, a program, a cohort and five participants, enrol them, record attendance
and complete the cohort; the SMTP server receives five invitations whose links work; three
participants answer through them; the reporting service then shows I2 and I3.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
import requests

from tests.e2e.conftest import new_council
from tests.support.council import council_today
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
LINK = re.compile(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9._-]+")


def created(answer: requests.Response) -> dict:
    assert answer.status_code == 201, answer.text
    return answer.json()


def run_cohort(api: dict, languages: list[str], roles: list[str]) -> tuple[dict, list[dict]]:
    """Register everything a cohort needs, run its four sessions and complete it."""
    intake = api["intake"]
    employer = created(intake.post("/v1/employers", {"name": "Maple Bank", "sector": "finance",
                                                      "employee_count": 1200, "city": "Toronto"}))
    program = created(intake.post("/v1/programs", {"name": "CAIP 2026", "kind": "caip", "sessions_planned": 4,
                                                    "train_the_trainer": False}))
    start = council_today() - timedelta(days=40)
    sessions = [{"date": (start + timedelta(days=7 * i)).isoformat(), "topic": f"Session {i + 1}"}
                for i in range(4)]
    cohort = created(intake.post("/v1/cohorts", {
        "program_id": program["id"], "name": "Spring cohort", "employer_ids": [employer["id"]],
        "start_date": start.isoformat(), "end_date": council_today().isoformat(), "delivery": "hybrid",
        "sessions": sessions, "facilitated_by": "council"}))
    people = []
    for i, (lang, role) in enumerate(zip(languages, roles, strict=True)):
        person = created(intake.post("/v1/participants", {
            "given_name": f"Person{i}", "family_name": "Test",
            "email": f"p{i}.{secrets.token_hex(3)}@example.org", "preferred_language": lang, "role": role,
            "employer_id": employer["id"], "occupation_noc": "21231", "years_in_canada": 3,
            "consent": {"version": "2026-01", "surveys": True, "research": True, "contact": True}}))
        created(intake.post(f"/v1/cohorts/{cohort['id']}/enrolments", {"participant_id": person["id"],
                                                                        "role": role}))
        people.append(person)
    for index in range(4):
        answer = intake.post(f"/v1/cohorts/{cohort['id']}/attendance",
                             {"session_index": index, "present": [p["id"] for p in people]})
        assert answer.status_code == 200, answer.text
    completed = intake.post(f"/v1/cohorts/{cohort['id']}/complete", {})
    assert completed.status_code == 200, completed.text
    return cohort, people


def mails_to(e2e_mail, people: list[dict]) -> dict[str, object]:
    """The messages received for these participants, by participant id (matched on the To address)."""
    by_email = {p["email"]: p["id"] for p in people}
    return {by_email[m["To"].addresses[0].addr_spec]: m for m in e2e_mail.messages
            if m["To"].addresses[0].addr_spec in by_email}


def link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return LINK.search(text).group(0)


def indicator(api: dict, indicator_id: str, **query: str) -> dict:
    answer = api["reporting"].get("/v1/indicators", params=query)
    assert answer.status_code == 200, answer.text
    return next(row for row in answer.json()["indicators"] if row["id"] == indicator_id)


def test_a_caip_cohort_from_employer_to_indicator(stack, e2e_mail):
    api = new_council(stack, f"toronto{secrets.token_hex(3)}")
    cohort, people = run_cohort(api, ["en", "fr", "en", "en", "fr"],
                                ["newcomer", "newcomer", "newcomer", "manager", "manager"])

    mails = eventually(lambda: (found := mails_to(e2e_mail, people)) and len(found) == 5 and found,
                       timeout=60, what="five invitations")
    assert "Person1" in mails[people[1]["id"]].get_body(preferencelist=("plain",)).get_content()
    assert mails[people[1]["id"]]["Content-Language"] == "fr"

    answers = [(0, "5", "4"), (1, "4", "2"), (3, "2", "5")]  # (participant, satisfaction, knowledge)
    for who, satisfaction, knowledge in answers:
        link = link_in(mails[people[who]["id"]])
        assert requests.get(link, timeout=10).status_code == 200
        reply = requests.post(link, data={"satisfaction": satisfaction, "knowledge_increased": knowledge},
                              timeout=10)
        assert reply.status_code == 200, reply.text
        assert requests.post(link, data={"satisfaction": "5", "knowledge_increased": "5"},
                             timeout=10).status_code == 410

    i2 = eventually(lambda: (row := indicator(api, "I2", cohort_id=cohort["id"]))["denominator"] == 3 and row,
                    timeout=30, what="three responses counted")
    assert (i2["numerator"], i2["denominator"]) == (2, 3)
    assert i2["ci95"][0] < i2["rate"] < i2["ci95"][1]
    i3 = indicator(api, "I3", cohort_id=cohort["id"])
    assert (i3["numerator"], i3["denominator"]) == (2, 3)
    newcomers = indicator(api, "I2", cohort_id=cohort["id"], role="newcomer")
    assert (newcomers["numerator"], newcomers["denominator"]) == (2, 2)
    assert i2["invited"] == 5


def test_another_council_sees_nothing_of_the_first(stack, e2e_mail):
    first = new_council(stack, f"ottawa{secrets.token_hex(3)}")
    second = new_council(stack, f"halifax{secrets.token_hex(3)}")
    cohort, _ = run_cohort(first, ["en"] * 4, ["newcomer"] * 4)

    assert first["intake"].get(f"/v1/cohorts/{cohort['id']}").status_code == 200
    hidden = second["intake"].get(f"/v1/cohorts/{cohort['id']}")
    assert hidden.status_code == 404
    assert hidden.json()["error"] == "NOT_FOUND"
    assert indicator(second, "I2", cohort_id=cohort["id"])["denominator"] == 0
    assert indicator(second, "I13")["invited"] == 0
