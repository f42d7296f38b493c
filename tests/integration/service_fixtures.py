"""Each service started in-process, speaking as the test's council: the fixtures of the integration and
browser tiers (a pytest plugin, registered by tests/conftest.py's ``pytest_plugins``).

A module that needs a service otherwise (another key, other settings) overrides the fixture by name
and builds on this one (``reporting.with_key(...)``, ``start_notifications(role=..., **settings)``).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest

from services.cli.infra import free_port
from services.common.clock import parse_stamp
from services.common.tenancy import database_name
from services.intake.service import IntakeService
from services.notifications.service import NotificationsService
from services.reporting.service import ReportingService
from services.surveys.service import SurveysService
from tests.integration.notifications_support import IntakeDouble, Subscriber
from tests.integration.surveys_support import Intake, invitations, outbox_events, run_pass, token_of
from tests.support.council import council_today
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually


@pytest.fixture
def intake(service_env, container_factory, amqp_uri, tenant) -> Api:
    """The intake service, called with the council's staff key."""
    return Api(start_service(container_factory, IntakeService, amqp_uri), tenant["staff"])


# --- surveys ------------------------------------------------------------------------------------

@pytest.fixture
def surveys(service_env, container_factory, amqp_uri, tenant) -> Api:
    """The surveys service, called with the council's admin key (the scheduler endpoint is admin's)."""
    return Api(start_service(container_factory, SurveysService, amqp_uri), tenant["admin"])


@pytest.fixture
def survey_db(mongo_client, tenant):
    """The council's surveys database, read raw."""
    return mongo_client[database_name(tenant["id"], "surveys")]


@pytest.fixture
def intake_events(amqp_uri, tenant, survey_db) -> Intake:
    """Intake, played by publishing its events to surveys (and whoever listens)."""
    return Intake(amqp_uri, tenant["id"], survey_db)


@pytest.fixture
def invite(surveys, amqp_uri, mongo_client, tenant) -> Callable[..., tuple[dict, str]]:
    """``invite(language, role, council)`` makes a participant of the council (the test's unless told),
    completes their cohort and runs the due pass: returns (their post invitation, the token of its link)."""

    def invite(language: str = "en", role: str = "newcomer",
               council: dict | None = None) -> tuple[dict, str]:
        council = council or tenant
        survey_db = mongo_client[database_name(council["id"], "surveys")]
        intake_events, api = Intake(amqp_uri, council["id"], survey_db), surveys.with_key(council["admin"])
        participant_id, cohort_id = f"p{secrets.token_hex(4)}", f"c{secrets.token_hex(4)}"
        intake_events.publish("participant.registered", {
            "participant_id": participant_id, "role": role, "preferred_language": language,
            "consent": {"surveys": True}})
        eventually(lambda: survey_db["participants"].find_one({"_id": participant_id}), what="the projection")
        intake_events.publish("cohort.completed", {
            "cohort_id": cohort_id, "program_kind": "caip",
            "ended_on": (council_today() + timedelta(days=2)).isoformat(),
            "enrolments": [{"participant_id": participant_id, "role": role}]})
        [found] = eventually(lambda: invitations(api, cohort_id=cohort_id, wave="post"),
                             what="the invitation")
        run_pass(api, parse_stamp(found["due_at"]))
        [due] = [event["data"] for event in outbox_events(survey_db, "invitation.due")
                 if event["data"]["invitation_id"] == found["id"]]
        return found, token_of(due["link"])

    return invite


# --- reporting ----------------------------------------------------------------------------------

@pytest.fixture
def reporting(service_env, container_factory, amqp_uri, tenant) -> Api:
    """The reporting service, called with the council's analyst key."""
    return Api(start_service(container_factory, ReportingService, amqp_uri), tenant["analyst"])


# --- notifications ------------------------------------------------------------------------------

@pytest.fixture
def start_notifications(service_env, container_factory, amqp_uri, tenant) -> Callable[..., Api]:
    """``start(smtp_port, role="staff", public_url=None, **settings)`` starts notifications with
    ``settings`` (environment variables), mailing through ``smtp_port`` when given; answers it called
    with the council's ``role`` key. Mails' links point to ``public_url`` (``NOTIFICATIONS_PUBLIC_URL``),
    by default the service itself, so that tests can follow them."""

    def start(smtp_port: int | None = None, role: str = "staff", public_url: str | None = None,
              **settings: str) -> Api:
        for name, value in settings.items():
            service_env.setenv(name, value)
        if smtp_port is not None:
            service_env.setenv("SMTP_HOST", "127.0.0.1")
            service_env.setenv("SMTP_PORT", str(smtp_port))
        port = free_port()
        service_env.setenv("NOTIFICATIONS_PUBLIC_URL", public_url or f"http://127.0.0.1:{port}")
        return Api(start_service(container_factory, NotificationsService, amqp_uri, port=port), tenant[role])

    return start


@pytest.fixture
def notifications(start_notifications, mail_sink) -> Api:
    """The notifications service mailing to the test's ``mail_sink``, called with the council's staff key."""
    return start_notifications(mail_sink.port)


@pytest.fixture
def notifications_stand_ins(service_env, container_factory, amqp_uri) -> None:
    """Intake's stand-in (``get_contact`` from notifications_support.CONTACTS) and a subscriber keeping
    what notifications publishes (notifications_support.HEARD)."""
    start_service(container_factory, IntakeDouble, amqp_uri)
    start_service(container_factory, Subscriber, amqp_uri)
