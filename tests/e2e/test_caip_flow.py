"""A CAIP cohort from employer to indicator, through the four services as separate processes.

Staff register an employer, a program, a cohort and five participants, enrol them, record attendance
and complete the cohort; the SMTP server receives five invitations whose links work; three
participants answer through them; the reporting service then shows I2 and I3.
"""
from __future__ import annotations

import html
import secrets

import pytest
import requests

from tests.support.caip import council_name, indicator, invitations, link_in, new_council, run_cohort
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
# The post survey's two rated questions, as a respondent reads them in each language.
QUESTIONS = {"en": ("Overall, I was satisfied with the program.",
                    "The program increased my knowledge of how career advancement works here."),
             "fr": ("Dans l'ensemble, le programme m'a donné satisfaction.",
                    "Le programme a accru mes connaissances sur le fonctionnement de l'avancement "
                    "professionnel ici.")}


def test_a_caip_cohort_from_employer_to_indicator(stack, e2e_mail):
    tenant_id = f"toronto{secrets.token_hex(3)}"
    api = new_council(stack, tenant_id)
    cohort, people = run_cohort(api, ["en", "fr", "en", "en", "fr"],
                                ["newcomer", "newcomer", "newcomer", "manager", "manager"])

    mails = invitations(e2e_mail, people)
    assert "Person1" in mails[people[1]["id"]].get_body(preferencelist=("plain",)).get_content()
    assert mails[people[1]["id"]]["Content-Language"] == "fr"

    answers = [(0, "5", "4"), (1, "4", "2"), (3, "2", "5")]  # (participant, satisfaction, knowledge)
    for who, satisfaction, knowledge in answers:
        link = link_in(mails[people[who]["id"]])
        form = requests.get(link, timeout=10)
        assert form.status_code == 200
        page = html.unescape(form.text)
        assert council_name(tenant_id) in page
        assert all(question in page for question in QUESTIONS[people[who]["preferred_language"]]), page
        reply = requests.post(link, data={"satisfaction": satisfaction, "knowledge_increased": knowledge},
                              timeout=10)
        assert reply.status_code == 200, reply.text
        assert requests.post(link, data={"satisfaction": "5", "knowledge_increased": "5"},
                             timeout=10).status_code == 410

    i2 = eventually(lambda: (row := indicator(api, "I2", cohort_id=cohort["id"]))["denominator"] == 3 and row,
                    timeout=30, what="three responses counted")
    assert (i2["numerator"], i2["denominator"]) == (2, 3)
    assert i2["rate"] == 0.6667  # 2/3, as published (four decimals)
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
    # reporting has projected the first council's cohort: its own view shows the four invited
    eventually(lambda: indicator(first, "I2", cohort_id=cohort["id"])["invited"] == 4
               and indicator(first, "I13")["invited"] == 4, timeout=60, what="the first council's figures")

    assert first["intake"].get(f"/v1/cohorts/{cohort['id']}").status_code == 200
    hidden = second["intake"].get(f"/v1/cohorts/{cohort['id']}")
    assert hidden.status_code == 404
    assert hidden.json()["error"] == "NOT_FOUND"
    assert indicator(second, "I2", cohort_id=cohort["id"])["denominator"] == 0
    assert indicator(second, "I13")["invited"] == 0
