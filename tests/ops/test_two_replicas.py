"""Two processes of each service on one broker process one stream: nothing counted or sent twice.

Both replicas consume from the same queues (the broker hands each message to one of them), both
outbox relays poll the same outboxes, both surveys timers run the due-work pass for the same council
every second, and staff calls alternate between them as behind a load balancer. A CAIP cohort goes
through from employer to indicator, and every participant gets exactly one invitation.
"""
from __future__ import annotations

import itertools
import secrets
import time

import pymongo
import requests
from prometheus_client.parser import text_string_to_metric_families

from services.cli.infra import SERVICES
from services.common.tenancy import database_name
from tests.ops.tools import REPLICAS
from tests.support.caip import indicator, invitations, link_in, new_council, recipient, run_cohort
from tests.support.waiting import eventually

SETTLE_SECONDS = 4  # several timer passes (1 s) and relay polls (0.1 s) in both replicas


class Alternating:
    """Sends each call to the next replica in turn, as a load balancer in front of two pods."""

    def __init__(self, apis: list):
        self._next = itertools.cycle(apis)

    def get(self, path: str, **kwargs) -> requests.Response:
        return next(self._next).get(path, **kwargs)

    def post(self, path: str, json: object = None, **kwargs) -> requests.Response:
        return next(self._next).post(path, json, **kwargs)


def consumed_by_each_replica(platform, service: str, event_type: str) -> list[float]:
    """How many ``event_type`` events each replica of ``service`` processed, from its own /metrics."""
    counts = []
    for replica in REPLICAS:
        text = requests.get(f"{platform.urls[replica][service]}/metrics", timeout=10).text
        family, = (f for f in text_string_to_metric_families(text) if f.name == "iec_events_consumed")
        wanted = {"event_type": event_type, "outcome": "processed"}
        counts.append(sum(sample.value for sample in family.samples
                          if wanted.items() <= sample.labels.items()))
    return counts


def test_two_replicas_send_one_invitation_each_and_count_every_answer_once(platform):
    tenant = f"pair{secrets.token_hex(3)}"
    key = new_council(platform.stack("a"), tenant)["intake"].key
    api = {svc: Alternating([platform.api(replica, key)[svc] for replica in REPLICAS]) for svc in SERVICES}
    cohort, people = run_cohort(api, ["en", "fr", "en", "en", "fr"],
                                ["newcomer", "newcomer", "newcomer", "manager", "manager"])

    mails = invitations(platform.mail, people)
    answers = [(0, "5", "4"), (1, "4", "2"), (3, "2", "5")]  # (participant, satisfaction, knowledge)
    for n, (who, satisfaction, knowledge) in enumerate(answers):
        link = link_in(mails[people[who]["id"]])
        # the second answer goes through replica b's surveys, as a balancer might route it
        if n == 1:
            link = link.replace(platform.urls["a"]["surveys"], platform.urls["b"]["surveys"])
        reply = requests.post(link, data={"satisfaction": satisfaction, "knowledge_increased": knowledge},
                              timeout=10)
        assert reply.status_code == 200, reply.text
    eventually(lambda: indicator(api, "I2", cohort_id=cohort["id"])["denominator"] == 3,
               timeout=30, what="three responses counted")

    # one invitation per participant, one thank-you per answer
    expected_mail = [person["email"] for person in people] + [people[who]["email"] for who, *_ in answers]
    emails = set(expected_mail)

    def received() -> list[str]:
        return sorted(recipient(m) for m in platform.mail.messages if recipient(m) in emails)

    eventually(lambda: len(received()) >= len(expected_mail), timeout=30, what="the thank-you mails")
    time.sleep(SETTLE_SECONDS)  # a second copy of anything would arrive by now
    assert received() == sorted(expected_mail)
    for indicator_id, expected in (("I2", (2, 3)), ("I3", (2, 3)), ("I13", (3, 5))):
        row = indicator(api, indicator_id, cohort_id=cohort["id"])
        assert (row["numerator"], row["denominator"]) == expected, indicator_id
    assert indicator(api, "I2", cohort_id=cohort["id"])["invited"] == 5
    assert_stored_once(platform, tenant)
    # both replicas took part: the broker spread the five enrolments over the two consumers
    assert all(n >= 1 for n in consumed_by_each_replica(platform, "reporting", "participant.enrolled"))


def assert_stored_once(platform, tenant: str) -> None:
    """What each service stored for the council: one of everything, whichever replica did it."""
    with pymongo.MongoClient(platform.mongo_uri) as client:
        reporting = client[database_name(tenant, "reporting")]
        log = reporting["event_log"]
        expected = {"participant.enrolled": 5, "cohort.completed": 1, "invitation.due": 5,
                    "response.submitted": 3}
        assert {kind: log.count_documents({"type": kind}) for kind in expected} == expected
        assert reporting["enrolments"].count_documents({}) == 5
        notifications = client[database_name(tenant, "notifications")]["notifications"]
        sent = sorted((doc["template"], doc["status"]) for doc in notifications.find({}))
        assert sent == [("survey_invitation", "sent")] * 5 + [("thank_you", "sent")] * 3
        surveys = client[database_name(tenant, "surveys")]
        assert surveys["invitations"].count_documents({"wave": "post"}) == 5
