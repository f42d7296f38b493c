"""What the reporting integration tests share: the events intake and surveys publish for a cohort
(``CohortStream``), fed to the broker, and the insights report once its figures have settled."""
from __future__ import annotations

from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.waiting import eventually
from tests.unit.reporting.reporting_streams import Council

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
    """The events intake and surveys publish for one CAIP cohort whose members all get a post invitation,
    made by the unit tier's stream builder (``reporting_streams.Council``): intake's events, then the
    invitations (scheduled and sent the day after the cohort's end), then the responses (the day after)."""

    def __init__(self, tenant_id: str, members: list[tuple[str, dict | None]], size_class: str = "large",
                 ended_on: str = "2025-06-30"):
        council = Council(tenant_id)
        self.employer_id, self.program_id = council.employer(size_class), council.program("caip")
        self.cohort_id = council.cohort(self.program_id, "caip", [self.employer_id], end=ended_on)
        self.members = []
        for role, answers in members:
            pid = council.participant(role, self.employer_id)
            council.enrol(pid, self.cohort_id, role, "caip", self.employer_id, self.program_id)
            self.members.append((pid, role, answers))
        council.complete(self.cohort_id, "caip", [(pid, role, True, False) for pid, role, _ in self.members],
                         ended_on=ended_on)
        self.intake = self._taken(council)
        invited = {pid: council.invite(pid, self.cohort_id, role, "post", ended_on=ended_on)
                   for pid, role, _ in self.members}
        self.invitations = self._taken(council)
        for pid, _, answers in self.members:
            if answers:
                council.respond(invited[pid], answers)
        self.responses = self._taken(council)
        self._invitation_ids = {pid: invitation["invitation_id"] for pid, invitation in invited.items()}

    @staticmethod
    def _taken(council: Council) -> list[dict]:
        events = [event for _, event in council.events]
        council.events.clear()
        return events

    def all_events(self) -> list[tuple[str, dict]]:
        """(source service, envelope) in the order things happen."""
        return [*(("intake", e) for e in self.intake), *(("surveys", e) for e in self.invitations),
                *(("surveys", e) for e in self.responses)]

    def invitation_id(self, participant_id: str) -> str:
        return self._invitation_ids[participant_id]


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
