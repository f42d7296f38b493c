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

from tests.support.caip import create_key, indicator, invitations, link_in, new_council, recipient, run_cohort
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
UNSUBSCRIBE = re.compile(r"<(http://[^>]+/u/[^>]+)>")
QUASI_IDENTIFIERS = ("preferred_language", "occupation_noc", "years_in_canada", "noc_broad", "years_band")
# what a respondent gets for the survey link of an erased participant: the "we could not find this
# link" page (the erasure removes the link's token, not only closes the invitation)
DEAD_LINK_STATUS = 404


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
    admin = stack.api(create_key(stack.env, tenant_id, "admin"))
    cohort, people = run_cohort(api, ["en"] * 5, ["newcomer"] * 5)
    mails = invitations(e2e_mail, people)
    answered, silent, others = people[0], people[1], people[2:]
    comment = f"my manager {secrets.token_hex(4)} was great"
    reply = requests.post(link_in(mails[answered["id"]]), timeout=10,
                          data={"satisfaction": "5", "knowledge_increased": "4", "comments": comment})
    assert reply.status_code == 200, reply.text
    eventually(lambda: indicator(api, "I2", cohort_id=cohort["id"])["denominator"] == 1,
               timeout=30, what="the answer counted")

    def received_by(person: dict) -> int:
        return sum(1 for m in e2e_mail.messages if recipient(m) == person["email"])

    eventually(lambda: received_by(answered) == 2, timeout=30, what="the thank-you mail")
    silent_link, silent_unsubscribe = link_in(mails[silent["id"]]), unsubscribe_link(mails[silent["id"]])
    assert requests.get(silent_unsubscribe, timeout=10).status_code == 200

    client = pymongo.MongoClient(stack.env["MONGO_URI"])
    # what the erasure must remove: surveys keeps the comment, reporting the quasi-identifiers
    assert any(mentions(document, comment) for _, _, document in council_documents(client, tenant_id))
    assert reporting_holds(client, tenant_id, answered["id"])

    for person in (answered, silent):
        assert admin["intake"].delete(f"/v1/participants/{person['id']}").status_code == 204

    # intake: they no longer exist
    for person in (answered, silent):
        assert api["intake"].get(f"/v1/participants/{person['id']}").status_code == 404
    # surveys: the open invitation is cancelled because of the erasure, its link is dead
    cancelled = eventually(
        lambda: (found := api["surveys"].get("/v1/invitations", params={"participant_id": silent["id"]})
                 .json()["items"]) and all(i["status"] == "cancelled" for i in found) and found,
        timeout=30, what="the silent participant's invitations cancelled")
    assert {i["reason"] for i in cancelled} == {"erased"}
    assert requests.get(silent_link, timeout=10).status_code == DEAD_LINK_STATUS
    # notifications: their unsubscribe link is dead (the token is gone)
    eventually(lambda: requests.get(silent_unsubscribe, timeout=10).status_code == 404,
               timeout=30, what="the unsubscribe token deleted")
    # reporting: once it has acted on the erasure (no quasi-identifier left), the answer still
    # counts, anonymously
    eventually(lambda: reporting_holds(client, tenant_id, answered["id"]) == set(), timeout=30,
               what="reporting to drop the erased participant's quasi-identifiers")
    assert indicator(api, "I2", cohort_id=cohort["id"])["denominator"] == 1

    # a week later the reminders go out to the others, and to no one erased
    week_later = (datetime.now(UTC) + timedelta(days=8)).isoformat().replace("+00:00", "Z")
    ran = admin["surveys"].post("/v1/scheduler/run", {"as_of": week_later})
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
