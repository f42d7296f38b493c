"""What intake tells the other services: its events as a consumer receives them, the
``consent.withdrawn`` handler, and the ``get_contact`` RPC; real RabbitMQ and the Mongo server.

``intakerec`` is a small consumer with the kernel's reliable ``event_handler``s: it records each
event it receives in its own tenant database, so the tests read what a real consumer got.
"""
from __future__ import annotations

import secrets

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from prometheus_client import REGISTRY

from services.common.envelope import new_event
from services.common.events import event_handler
from services.common.mongo import TenantDatabase
from services.common.tenancy import TenantRegistry, database_name
from services.intake.service import IntakeService
from tests.integration.intake_support import created, participant
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually

PERSONAL = ("Amina", "Haddad", "example.org", "555 0101")


class Recorder:
    """Receives every intake event type this slice publishes and keeps it, per tenant."""

    name = "intakerec"
    db = TenantDatabase(indexes={"received": []})

    def _keep(self, event: dict) -> None:
        with self.db.transaction() as tx:
            tx["received"].insert_one({"_id": event["id"], "type": event["type"], "event": event})

    @event_handler("intake", "employer.registered")
    def employer_registered(self, event):
        self._keep(event)

    @event_handler("intake", "program.created")
    def program_created(self, event):
        self._keep(event)

    @event_handler("intake", "cohort.opened")
    def cohort_opened(self, event):
        self._keep(event)

    @event_handler("intake", "participant.registered")
    def participant_registered(self, event):
        self._keep(event)

    @event_handler("intake", "participant.enrolled")
    def participant_enrolled(self, event):
        self._keep(event)

    @event_handler("intake", "attendance.recorded")
    def attendance_recorded(self, event):
        self._keep(event)

    @event_handler("intake", "cohort.completed")
    def cohort_completed(self, event):
        self._keep(event)

    @event_handler("intake", "consent.changed")
    def consent_changed(self, event):
        self._keep(event)


@pytest.fixture
def recorder(service_env, container_factory, amqp_uri) -> None:
    start_service(container_factory, Recorder, amqp_uri)


@pytest.fixture
def intake(service_env, container_factory, amqp_uri, tenant, recorder) -> Api:
    return Api(start_service(container_factory, IntakeService, amqp_uri), tenant["staff"])


def received(mongo_client, tenant_id: str, event_type: str, count: int = 1) -> list[dict]:
    """The ``event_type`` events the recorder got for the tenant, once it has ``count`` of them."""
    collection = mongo_client[database_name(tenant_id, "intakerec")]["received"]

    def probe() -> list[dict]:
        found = [doc["event"] for doc in collection.find({"type": event_type})]
        return found if len(found) >= count else []
    return eventually(probe, what=f"{count} {event_type} event(s)")


def test_registrations_are_published_with_ids_and_coded_facts_only(intake, mongo_client, tenant):
    employer = created(intake.post("/v1/employers", {"name": "Maple Foods", "sector": "Food",
                                                     "employee_count": 700, "city": "Toronto"}))
    program = created(intake.post("/v1/programs", {"name": "CAIP 2.0", "kind": "caip_2",
                                                   "sessions_planned": 6, "train_the_trainer": True}))
    someone = participant(intake, employer_id=employer["id"])
    [registered] = received(mongo_client, tenant["id"], "employer.registered")
    assert (registered["tenantid"], registered["subject"], registered["source"]) == (
        tenant["id"], employer["id"], "/services/intake")
    assert registered["data"] == {"employer_id": employer["id"], "name": "Maple Foods", "sector": "Food",
                                  "size_class": "large", "city": "Toronto"}
    [program_created] = received(mongo_client, tenant["id"], "program.created")
    assert program_created["data"] == {"program_id": program["id"], "kind": "caip_2", "name": "CAIP 2.0",
                                       "sessions_planned": 6, "train_the_trainer": True}
    [joined] = received(mongo_client, tenant["id"], "participant.registered")
    assert joined["data"] == {
        "participant_id": someone["id"], "role": "newcomer", "employer_id": employer["id"],
        "occupation_noc": "21231", "years_in_canada": 3, "preferred_language": "fr",
        "consent": {"surveys": True, "research": False, "contact": True}}
    assert not any(personal in str(joined) for personal in PERSONAL)


def test_a_cohorts_life_is_published_and_its_completion_names_who_completed(intake, mongo_client, tenant):
    employer = created(intake.post("/v1/employers", {"name": "Small Co", "sector": "IT",
                                                     "size_class": "small", "city": "Toronto"}))
    program = created(intake.post("/v1/programs", {"name": "SME", "kind": "caip_sme", "sessions_planned": 4}))
    dates = ["2026-04-07", "2026-04-14", "2026-04-21", "2026-04-28"]
    cohort = created(intake.post("/v1/cohorts", {
        "program_id": program["id"], "name": "April", "employer_ids": [employer["id"]],
        "start_date": "2026-04-01", "end_date": "2026-04-30", "delivery": "virtual",
        "sessions": [{"date": day, "topic": "CAIP"} for day in dates], "facilitated_by": "internal_trainer"}))
    manager, newcomer = participant(intake, role="manager", employer_id=employer["id"]), participant(intake)
    for someone in (manager, newcomer):
        created(intake.post(f"/v1/cohorts/{cohort['id']}/enrolments",
                            {"participant_id": someone["id"], "role": someone["role"]}))
    m, n = manager["id"], newcomer["id"]
    for index, present in enumerate([[m, n], [m], [m, n], []]):
        session = {"session_index": index, "present": present}
        assert intake.post(f"/v1/cohorts/{cohort['id']}/attendance", session).status_code == 200
    assert intake.post(f"/v1/cohorts/{cohort['id']}/complete", {"ended_on": "2026-04-29"}).status_code == 200

    [opened] = received(mongo_client, tenant["id"], "cohort.opened")
    assert opened["data"] == {
        "cohort_id": cohort["id"], "program_id": program["id"], "program_kind": "caip_sme",
        "employer_ids": [employer["id"]], "start_date": "2026-04-01", "end_date": "2026-04-30",
        "sessions_planned": 4, "facilitated_by": "internal_trainer",
        "sessions": [{"date": day, "topic": "CAIP"} for day in dates]}
    enrolled = received(mongo_client, tenant["id"], "participant.enrolled", 2)
    assert sorted((e["data"]["participant_id"], e["data"]["employer_id"]) for e in enrolled) == sorted(
        [(m, employer["id"]), (n, None)])
    facts = {(e["data"]["program_kind"], e["data"]["program_id"], e["data"]["cohort_id"]) for e in enrolled}
    assert facts == {("caip_sme", program["id"], cohort["id"])}
    sessions = received(mongo_client, tenant["id"], "attendance.recorded", 4)
    assert sorted((s["data"]["session_index"], s["data"]["present"]) for s in sessions) == [
        (0, [m, n]), (1, [m]), (2, [m, n]), (3, [])]
    [completed] = received(mongo_client, tenant["id"], "cohort.completed")
    assert completed["data"] == {
        "cohort_id": cohort["id"], "program_kind": "caip_sme", "ended_on": "2026-04-29",
        "enrolments": [
            {"participant_id": m, "role": "manager", "sessions_attended": 3, "completed": True},
            {"participant_id": n, "role": "newcomer", "sessions_attended": 2, "completed": False}],
        "program_id": program["id"], "employer_ids": [employer["id"]], "sessions_planned": 4}


def test_a_consent_change_by_staff_is_published(intake, mongo_client, tenant):
    someone = participant(intake)
    answer = intake.put(f"/v1/participants/{someone['id']}/consent",
                        {"surveys": False, "research": True, "contact": True})
    assert answer.status_code == 200
    [changed] = received(mongo_client, tenant["id"], "consent.changed")
    assert changed["data"] == {"participant_id": someone["id"], "surveys": False, "research": True,
                               "contact": True}


def withdrawal(tenant_id: str, participant_id: str) -> dict:
    return new_event("notifications", "consent.withdrawn", tenant_id,
                     {"participant_id": participant_id, "scope": "contact"})


def duplicate_withdrawals() -> float:
    """How many consent.withdrawn events intake (in this process) acked as already processed."""
    labels = {"service": "intake", "event_type": "consent.withdrawn", "outcome": "duplicate"}
    return REGISTRY.get_sample_value("iec_events_consumed_total", labels) or 0.0


def test_an_unsubscribe_withdraws_contact_consent_once_even_if_delivered_twice(
        intake, amqp_uri, mongo_client, tenant):
    someone = participant(intake)
    duplicates_before = duplicate_withdrawals()
    event = withdrawal(tenant["id"], someone["id"])
    publish_event(amqp_uri, "notifications", event)
    publish_event(amqp_uri, "notifications", event)
    eventually(lambda: duplicate_withdrawals() == duplicates_before + 1, what="the second copy acked")
    [changed] = received(mongo_client, tenant["id"], "consent.changed")
    assert changed["data"] == {"participant_id": someone["id"], "surveys": True, "research": False,
                               "contact": False}
    consent = intake.get(f"/v1/participants/{someone['id']}").json()["consent"]
    assert (consent["contact"], consent["surveys"]) == (False, True)
    outbox = mongo_client[database_name(tenant["id"], "intake")]["outbox"]
    assert outbox.count_documents({"type": "consent.changed"}) == 1


def test_a_withdrawal_for_an_unknown_participant_changes_nothing_and_is_not_retried(
        intake, amqp_uri, mongo_client, tenant):
    event = withdrawal(tenant["id"], "par_0000000000000000")
    publish_event(amqp_uri, "notifications", event)
    processed = mongo_client[database_name(tenant["id"], "intake")]["processed_events"]
    eventually(lambda: processed.count_documents({"event_id": event["id"]}) == 1, what="the event recorded")
    assert mongo_client[database_name(tenant["id"], "intake")]["outbox"].count_documents({}) == 0


def test_notifications_get_a_participants_contact_over_rpc_in_their_council_only(
        intake, amqp_uri, mongo_client, tenant):
    someone = participant(intake)
    other = f"o{secrets.token_hex(5)}"
    TenantRegistry(mongo_client).create_tenant(other, name="Other council", city="Halifax")
    config = {"AMQP_URI": amqp_uri}
    with ServiceRpcProxy("intake", config, context_data={"tenant_id": tenant["id"]}) as rpc:
        assert rpc.get_contact(someone["id"]) == {
            "participant_id": someone["id"], "given_name": "Amina", "family_name": "Haddad",
            "email": someone["email"], "preferred_language": "fr",
            "consent": {"surveys": True, "research": False, "contact": True}}
        assert rpc.get_contact("par_0000000000000000") is None
    with ServiceRpcProxy("intake", config, context_data={"tenant_id": other}) as rpc:
        assert rpc.get_contact(someone["id"]) is None
