"""What the reporting integration tests share: the events intake and surveys publish for a cohort
(``CohortStream``), fed to the broker, and the insights report once its figures have settled."""
from __future__ import annotations

import secrets
from datetime import timedelta

from services.common.clock import now, stamp
from services.common.envelope import new_event
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.waiting import eventually

# (role, answers to the post survey, or None for no response)
STANDARD_COHORT = [
    ("newcomer", {"satisfaction": 5, "knowledge_increased": 4}),
    ("newcomer", {"satisfaction": 4, "knowledge_increased": "na"}),
    ("newcomer", None),
    ("manager", {"satisfaction": 2, "knowledge_increased": 5}),
    ("manager", None),
]
# Six newcomers and managers who all answered the post survey: I2 4 of 5 valid, I3 4 of 6.
WIDE_COHORT = [
    ("newcomer", {"satisfaction": 5, "knowledge_increased": 4}),
    ("newcomer", {"satisfaction": 5, "knowledge_increased": 4}),
    ("newcomer", {"satisfaction": 4, "knowledge_increased": 4}),
    ("manager", {"satisfaction": 4, "knowledge_increased": 1}),
    ("manager", {"satisfaction": 2, "knowledge_increased": 1}),
    ("manager", {"satisfaction": "na", "knowledge_increased": 5}),
]


class CohortStream:
    """The events intake and surveys publish for one CAIP cohort whose members all get a post invitation.

    The invitations are open now, as they were when surveys took the responses (a response counts when
    it was submitted by its invitation's close)."""

    def __init__(self, tenant_id: str, members: list[tuple[str, dict | None]], size_class: str = "large",
                 ended_on: str = "2025-06-30"):
        self.tenant_id, self.ended_on = tenant_id, ended_on
        tag = secrets.token_hex(4)
        self.cohort_id, self.program_id, self.employer_id = f"c-{tag}", f"prog-{tag}", f"e-{tag}"
        self.members = [(f"p-{tag}-{n}", role, answers) for n, (role, answers) in enumerate(members)]
        self.intake = [self._employer(size_class), self._program(), self._cohort_opened(),
                       *self._participants(), self._cohort_completed()]
        self.invitations = [event for pid, role, _ in self.members for event in self._invited(pid, role)]
        self.responses = [self._response(pid, role, answers)
                          for pid, role, answers in self.members if answers]

    def all_events(self) -> list[tuple[str, dict]]:
        """(source service, envelope) in the order things happen."""
        return [*(("intake", e) for e in self.intake), *(("surveys", e) for e in self.invitations),
                *(("surveys", e) for e in self.responses)]

    def _event(self, service: str, event_type: str, data: dict) -> dict:
        return new_event(service, event_type, self.tenant_id, data)

    def _employer(self, size_class: str) -> dict:
        return self._event("intake", "employer.registered", {
            "employer_id": self.employer_id, "name": "Acme", "sector": "finance", "size_class": size_class,
            "city": "Toronto"})

    def _program(self) -> dict:
        return self._event("intake", "program.created", {
            "program_id": self.program_id, "kind": "caip", "name": "CAIP", "sessions_planned": 6,
            "train_the_trainer": False})

    def _cohort_opened(self) -> dict:
        return self._event("intake", "cohort.opened", {
            "cohort_id": self.cohort_id, "program_id": self.program_id, "program_kind": "caip",
            "employer_ids": [self.employer_id], "start_date": "2025-04-01", "end_date": "2025-06-30",
            "sessions_planned": 6, "facilitated_by": "council"})

    def _participants(self) -> list[dict]:
        events = []
        for pid, role, _ in self.members:
            events.append(self._event("intake", "participant.registered", {
                "participant_id": pid, "role": role, "employer_id": self.employer_id,
                "occupation_noc": "21231", "years_in_canada": 4, "preferred_language": "en",
                "consent": {"surveys": True, "research": True, "contact": True}}))
            events.append(self._event("intake", "participant.enrolled", {
                "participant_id": pid, "cohort_id": self.cohort_id, "role": role, "program_kind": "caip",
                "employer_id": self.employer_id, "program_id": self.program_id}))
        return events

    def _cohort_completed(self) -> dict:
        return self._event("intake", "cohort.completed", {
            "cohort_id": self.cohort_id, "program_kind": "caip", "ended_on": self.ended_on,
            "program_id": self.program_id, "employer_ids": [self.employer_id], "sessions_planned": 6,
            "enrolments": [{"participant_id": pid, "role": role, "sessions_attended": 6, "completed": True}
                           for pid, role, _ in self.members]})

    def invitation_id(self, participant_id: str) -> str:
        return f"i-{participant_id}"

    def _invited(self, pid: str, role: str) -> list[dict]:
        common = {"invitation_id": self.invitation_id(pid), "participant_id": pid,
                  "cohort_id": self.cohort_id, "wave": "post", "instrument_key": "caip_post",
                  "closes_at": stamp(now() + timedelta(days=30))}
        return [
            self._event("surveys", "invitation.scheduled", {
                **common, "due_at": stamp(now() - timedelta(days=1)), "role": role, "program_kind": "caip"}),
            self._event("surveys", "invitation.due", {
                **common, "link": f"http://surveys/r/{self.tenant_id}.secret-{pid}", "attempt": 0}),
        ]

    def _response(self, pid: str, role: str, answers: dict) -> dict:
        return self._event("surveys", "response.submitted", {
            "response_id": f"r-{pid}", "invitation_id": self.invitation_id(pid), "participant_id": pid,
            "cohort_id": self.cohort_id, "role": role, "wave": "post", "instrument_key": "caip_post",
            "instrument_version": 1, "answers": answers})


def feed(amqp_uri: str, stream: CohortStream) -> None:
    for source, event in stream.all_events():
        publish_event(amqp_uri, source, event)


def figures_of(report: dict) -> dict[str, dict]:
    return {figure["indicator_id"]: figure for figure in report["figures"]}


def settled_report(api: Api, indicator_id: str, numerator: int, denominator: int, **query) -> dict:
    """The council's own view of the report once `indicator_id` reads numerator of denominator."""
    def probe():
        answer = api.get("/v1/reports/insights", params={"suppress_below": "0", **query})
        assert answer.status_code == 200, answer.text
        figure = figures_of(answer.json())[indicator_id]
        reads = (figure["numerator"], figure["denominator"])
        return answer.json() if reads == (numerator, denominator) else None
    return eventually(probe, timeout=30, what=f"{indicator_id} = {numerator}/{denominator}")
