"""`DELETE /v1/participants/{id}`: every service acts on `participant.erased` (four real processes).

Two of a cohort's five newcomers are erased: one who answered the post survey (with a comment) and
got the thank-you mail, one who did not answer. Then intake no longer knows them; surveys has
cancelled the open invitation (reason `erased`) and its link is dead; notifications' unsubscribe link
for them is dead and no reminder reaches them while the others get theirs; reporting still counts the
answer (anonymously) and holds no quasi-identifier of theirs. Across every database of the council,
their name, email and comment are gone.
"""
from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pymongo
import pytest
import requests

from tests.e2e.conftest import iec, new_council
from tests.e2e.test_caip_flow import indicator, link_in, mails_to, run_cohort
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
UNSUBSCRIBE = re.compile(r"<(http://[^>]+/u/[^>]+)>")
QUASI_IDENTIFIERS = ("preferred_language", "occupation_noc", "years_in_canada", "noc_broad", "years_band")


def admin_key(stack: dict, tenant_id: str) -> str:
    output = iec(stack["env"], "key", "create", tenant_id, "--role", "admin")
    return next(line.split()[-1] for line in output.splitlines() if line.startswith("key:"))


def erase(stack: dict, key: str, participant_id: str) -> requests.Response:
    return requests.delete(f"{stack['urls']['intake']}/v1/participants/{participant_id}",
                           headers={"Authorization": f"Bearer {key}"}, timeout=10)


def unsubscribe_link(message) -> str:
    return UNSUBSCRIBE.search(message["List-Unsubscribe"]).group(1)


def council_documents(client: pymongo.MongoClient, tenant_id: str):
    """(database, collection, document) for every document of every service of the council."""
    for name in client.list_database_names():
        if name.startswith(f"iec_{tenant_id}_"):
            for collection in client[name].list_collection_names():
                for document in client[name][collection].find():
                    yield name, collection, document


def mentions(document, needle: str) -> bool:
    return needle in repr(document)


def reporting_holds(client: pymongo.MongoClient, tenant_id: str, participant_id: str) -> set[str]:
    """The quasi-identifiers reporting's documents about this participant carry."""
    held = set()
    for database, _, document in council_documents(client, tenant_id):
        if database.endswith("_reporting") and mentions(document, participant_id):
            held |= {key for key in QUASI_IDENTIFIERS if document.get(key) not in (None, "")}
    return held


def test_every_service_acts_on_an_erasure(stack, e2e_mail):
    tenant_id = f"erase{secrets.token_hex(3)}"
    api = new_council(stack, tenant_id)
    admin = admin_key(stack, tenant_id)
    cohort, people = run_cohort(api, ["en"] * 5, ["newcomer"] * 5)
    mails = eventually(lambda: (found := mails_to(e2e_mail, people)) and len(found) == 5 and found,
                       timeout=60, what="five invitations")
    answered, silent, others = people[0], people[1], people[2:]
    comment = f"my manager {secrets.token_hex(4)} was great"
    reply = requests.post(link_in(mails[answered["id"]]), timeout=10,
                          data={"satisfaction": "5", "knowledge_increased": "4", "comments": comment})
    assert reply.status_code == 200, reply.text
    eventually(lambda: indicator(api, "I2", cohort_id=cohort["id"])["denominator"] == 1,
               timeout=30, what="the answer counted")

    def received_by(person: dict) -> int:
        return sum(1 for m in e2e_mail.messages if m["To"].addresses[0].addr_spec == person["email"])

    eventually(lambda: received_by(answered) == 2, timeout=30, what="the thank-you mail")
    silent_link, silent_unsubscribe = link_in(mails[silent["id"]]), unsubscribe_link(mails[silent["id"]])
    assert requests.get(silent_unsubscribe, timeout=10).status_code == 200

    client = pymongo.MongoClient(stack["env"]["MONGO_URI"])
    # what the erasure must remove: surveys keeps the comment, reporting the quasi-identifiers
    assert any(mentions(document, comment) for _, _, document in council_documents(client, tenant_id))
    assert reporting_holds(client, tenant_id, answered["id"])

    for person in (answered, silent):
        assert erase(stack, admin, person["id"]).status_code == 204

    # intake: they no longer exist
    for person in (answered, silent):
        assert api["intake"].get(f"/v1/participants/{person['id']}").status_code == 404
    # surveys: the open invitation is cancelled because of the erasure, its link is dead
    invitations = eventually(
        lambda: (found := api["surveys"].get("/v1/invitations", params={"participant_id": silent["id"]})
                 .json()["items"]) and all(i["status"] == "cancelled" for i in found) and found,
        timeout=30, what="the silent participant's invitations cancelled")
    assert {i["reason"] for i in invitations} == {"erased"}
    assert requests.get(silent_link, timeout=10).status_code in (404, 410)
    # notifications: their unsubscribe link is dead (the token is gone)
    eventually(lambda: requests.get(silent_unsubscribe, timeout=10).status_code == 404,
               timeout=30, what="the unsubscribe token deleted")
    # reporting: the answer still counts, anonymously
    assert indicator(api, "I2", cohort_id=cohort["id"])["denominator"] == 1

    # a week later the reminders go out to the others, and to no one erased
    week_later = (datetime.now(UTC) + timedelta(days=8)).isoformat().replace("+00:00", "Z")
    ran = requests.post(f"{stack['urls']['surveys']}/v1/scheduler/run", json={"as_of": week_later},
                        headers={"Authorization": f"Bearer {admin}"}, timeout=30)
    assert ran.status_code == 200, ran.text
    eventually(lambda: all(received_by(p) == 2 for p in others), timeout=60, what="the others' reminders")
    assert received_by(answered) == 2 and received_by(silent) == 1  # nothing since the erasure

    # nowhere in the council's databases: their name, email or comment; reporting keeps no
    # quasi-identifier of theirs
    with client:
        for database, collection, document in council_documents(client, tenant_id):
            for person in (answered, silent):
                for secret in (person["email"], person["given_name"], comment):
                    assert not mentions(document, secret), (database, collection, secret)
        for person in (answered, silent):
            assert reporting_holds(client, tenant_id, person["id"]) == set()
