"""A CAIP cohort driven through running services, as staff and participants would (e2e and ops tiers).

Councils and keys are made with the ``iec`` command as an operator would; everything else goes
through the services' HTTP APIs, the mails the SMTP sink received and the links in them.
"""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import requests

from services.cli.infra import MailSink
from tests.support.council import council_today
from tests.support.http import Api
from tests.support.waiting import eventually

LINK = re.compile(r"http://127\.0\.0\.1:\d+/r/[A-Za-z0-9._-]+")
# Timers and relays of the services under test, quick enough for a test to wait on.
FAST_TIMERS = {"SCHEDULER_INTERVAL_SECONDS": "1", "OUTBOX_POLL_SECONDS": "0.1"}


@dataclass(frozen=True)
class Stack:
    """Running services: the environment they were started with and each one's base URL."""

    env: dict[str, str]
    urls: dict[str, str]

    def api(self, key: str | None = None) -> dict[str, Api]:
        """An ``Api`` per service, speaking with ``key``."""
        return {svc: Api(url, key) for svc, url in self.urls.items()}


def iec(env: dict[str, str], *args: str) -> str:
    """Run the `iec` console script as an operator would; returns its output."""
    command = [str(Path(sys.executable).with_name("iec")), *args]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def council_name(tenant_id: str) -> str:
    """The name ``new_council`` gives a council."""
    return f"{tenant_id.title()} Council"


def create_key(env: dict[str, str], tenant_id: str, role: str) -> str:
    """A new key of ``role`` for the council, made with `iec key create` (the key it prints once)."""
    output = iec(env, "key", "create", tenant_id, "--role", role)
    return next(line.split()[-1] for line in output.splitlines() if line.startswith("key:"))


def new_council(stack: Stack, tenant_id: str) -> dict[str, Api]:
    """Create a council and a staff key with the CLI; returns an Api per service speaking with it."""
    iec(stack.env, "tenant", "create", tenant_id, "--name", council_name(tenant_id),
        "--city", "Toronto", "--timezone", "America/Toronto", "--languages", "en,fr")
    return stack.api(create_key(stack.env, tenant_id, "staff"))


def created(answer: requests.Response) -> dict:
    """The body of a 201 answer (any other status fails, with the answer's text)."""
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


def recipient(message: EmailMessage) -> str:
    """The one address a mail was sent to."""
    return message["To"].addresses[0].addr_spec


def mails_to(sink: MailSink, people: list[dict]) -> dict[str, list[EmailMessage]]:
    """The messages received for these participants so far, oldest first, by participant id."""
    by_email = {p["email"]: p["id"] for p in people}
    found: dict[str, list[EmailMessage]] = {}
    for message in sink.messages:
        if recipient(message) in by_email:
            found.setdefault(by_email[recipient(message)], []).append(message)
    return found


def invitations(sink: MailSink, people: list[dict], timeout: float = 60) -> dict[str, EmailMessage]:
    """Wait until each participant has mail, and return it by participant id: exactly one each
    (a second invitation to anyone fails here)."""
    mails = eventually(lambda: (found := mails_to(sink, people)) and len(found) == len(people) and found,
                       timeout=timeout, what=f"{len(people)} invitations")
    assert {pid: len(messages) for pid, messages in mails.items()} == {p["id"]: 1 for p in people}
    return {pid: messages[0] for pid, messages in mails.items()}


def link_in(message: EmailMessage) -> str:
    """The survey link in a mail's plain-text body."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    return LINK.search(text).group(0)


def indicator(api: dict, indicator_id: str, **query: str) -> dict:
    """One indicator's row from reporting's GET /v1/indicators."""
    answer = api["reporting"].get("/v1/indicators", params=query)
    assert answer.status_code == 200, answer.text
    return next(row for row in answer.json()["indicators"] if row["id"] == indicator_id)
