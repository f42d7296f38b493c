"""Event streams as intake and surveys publish them, for reporting's tests (unit and integration).

`Council` builds envelopes with the data of EVENTS.md (plus docs/events.md's additive fields) and the
times the test chooses; each builder returns the ids it made and appends (source, envelope) to
`events`, in the order things happen.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime, timedelta

from services.common.envelope import new_event

_ENDED_ON = "2025-06-30"
_PROFILE = {"years_in_canada": 4, "occupation_noc": "21231", "preferred_language": "en"}
WAVE_DAYS = {"baseline": -90, "post": 1, "fu3": 90, "fu12": 365}
WINDOW_DAYS = {"baseline": 30, "post": 30, "fu3": 30, "fu12": 45}


def day(text: str, hour: int = 12) -> datetime:
    """Noon UTC of an ISO date."""
    return datetime.fromisoformat(text).replace(hour=hour, tzinfo=UTC)


class Council:
    def __init__(self, tenant_id: str = "toronto"):
        self.tenant_id, self.tag = tenant_id, secrets.token_hex(3)
        self.events: list[tuple[str, dict]] = []
        self._n = itertools.count(1)
        self.ended: dict[str, str] = {}

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{self.tag}-{next(self._n)}"

    def emit(self, source: str, event_type: str, data: dict, at: datetime | None = None) -> dict:
        event = new_event(source, event_type, self.tenant_id, data, at=at)
        self.events.append((source, event))
        return event

    # --- intake ---------------------------------------------------------------------------------
    def employer(self, size: str = "large") -> str:
        employer_id = self._id("e")
        self.emit(
            "intake",
            "employer.registered",
            {
                "employer_id": employer_id,
                "name": "Acme",
                "sector": "finance",
                "size_class": size,
                "city": "Toronto",
            },
        )
        return employer_id

    def program(self, kind: str = "caip") -> str:
        program_id = self._id("g")
        self.emit(
            "intake",
            "program.created",
            {
                "program_id": program_id,
                "kind": kind,
                "name": kind.upper(),
                "sessions_planned": 4,
                "train_the_trainer": False,
            },
        )
        return program_id

    def cohort(
        self,
        program_id: str,
        kind: str,
        employer_ids: list[str],
        start: str = "2025-04-01",
        end: str = _ENDED_ON,
        facilitated_by: str = "council",
    ) -> str:
        cohort_id = self._id("c")
        self.emit(
            "intake",
            "cohort.opened",
            {
                "cohort_id": cohort_id,
                "program_id": program_id,
                "program_kind": kind,
                "employer_ids": employer_ids,
                "start_date": start,
                "end_date": end,
                "sessions_planned": 4,
                "facilitated_by": facilitated_by,
            },
        )
        return cohort_id

    def participant(self, role: str, employer_id: str | None, at: datetime | None = None, **profile) -> str:
        participant_id = self._id("p")
        self.emit(
            "intake",
            "participant.registered",
            {
                "participant_id": participant_id,
                "role": role,
                "employer_id": employer_id,
                **_PROFILE,
                **profile,
                "consent": {"surveys": True, "research": True, "contact": True},
            },
            at=at,
        )
        return participant_id

    def enrol(
        self,
        participant_id: str,
        cohort_id: str,
        role: str,
        kind: str,
        employer_id: str | None,
        program_id: str,
    ) -> None:
        self.emit(
            "intake",
            "participant.enrolled",
            {
                "participant_id": participant_id,
                "cohort_id": cohort_id,
                "role": role,
                "program_kind": kind,
                "employer_id": employer_id,
                "program_id": program_id,
            },
        )

    def withdraw(self, participant_id: str, cohort_id: str) -> None:
        self.emit(
            "intake",
            "participant.withdrawn",
            {"participant_id": participant_id, "cohort_id": cohort_id, "reason": "employment"},
        )

    def complete(
        self, cohort_id: str, kind: str, results: list[tuple[str, str, bool, bool]], ended_on: str = _ENDED_ON
    ) -> None:
        """results: (participant_id, role, completed, withdrawn)."""
        self.ended[cohort_id] = ended_on
        self.emit(
            "intake",
            "cohort.completed",
            {
                "cohort_id": cohort_id,
                "program_kind": kind,
                "ended_on": ended_on,
                "sessions_planned": 4,
                "enrolments": [
                    {
                        "participant_id": pid,
                        "role": role,
                        "sessions_attended": 4 if done else 1,
                        "completed": done,
                        **({"withdrawn": True} if gone else {}),
                    }
                    for pid, role, done, gone in results
                ],
            },
            at=day(ended_on, 18),
        )

    def erase(self, participant_id: str) -> None:
        self.emit("intake", "participant.erased", {"participant_id": participant_id})

    def match(self, mentor_id: str, mentee_id: str, at: datetime) -> str:
        match_id = self._id("m")
        self.emit(
            "intake",
            "mentorship.matched",
            {
                "match_id": match_id,
                "mentor_id": mentor_id,
                "mentee_id": mentee_id,
                "occupation_noc": "21231",
                "score": 0.9,
                "planned_end": "2026-06-30",
            },
            at=at,
        )
        return match_id

    def end_match(self, match_id: str, mentee_id: str, planned_end_reached: bool) -> None:
        self.emit(
            "intake",
            "mentorship.ended",
            {
                "match_id": match_id,
                "mentee_id": mentee_id,
                "planned_end_reached": planned_end_reached,
                "reason": "completed" if planned_end_reached else "poor_fit",
                "ended_on": "2026-01-10",
            },
        )

    def assessment(self, employer_id: str, delivered_on: str) -> None:
        self.emit(
            "intake",
            "assessment.delivered",
            {
                "employer_id": employer_id,
                "assessment_id": self._id("a"),
                "delivered_on": delivered_on,
                "recommendations": [{"recommendation_id": self._id("rec"), "area": "promotion_criteria"}],
            },
        )

    def org_change(self, employer_id: str, adopted_on: str) -> None:
        self.emit(
            "intake",
            "org_change.recorded",
            {
                "employer_id": employer_id,
                "change_id": self._id("ch"),
                "kind": "policy",
                "recommendation_id": None,
                "adopted_on": adopted_on,
            },
        )

    def certify(self, participant_id: str, employer_id: str, certified_on: str) -> None:
        self.emit(
            "intake",
            "trainer.certified",
            {
                "participant_id": participant_id,
                "employer_id": employer_id,
                "certification_id": self._id("cert"),
                "certified_on": certified_on,
            },
        )

    # --- surveys --------------------------------------------------------------------------------
    def invite(
        self,
        participant_id: str,
        cohort_id: str,
        role: str,
        wave: str,
        ended_on: str = _ENDED_ON,
        sent: bool = True,
    ) -> dict:
        """An invitation for the wave (scheduled, and sent unless `sent=False`); returns its times."""
        due = day(ended_on) + timedelta(days=WAVE_DAYS[wave])
        closes = due + timedelta(days=WINDOW_DAYS[wave])
        invitation = {
            "invitation_id": self._id("i"),
            "participant_id": participant_id,
            "cohort_id": cohort_id,
            "wave": wave,
            "role": role,
            "due": due,
            "closes": closes,
        }
        common = {
            "invitation_id": invitation["invitation_id"],
            "participant_id": participant_id,
            "cohort_id": cohort_id,
            "wave": wave,
            "instrument_key": f"caip_{wave}",
            "closes_at": new_event("surveys", "x.y", self.tenant_id, {}, at=closes)["time"],
        }
        self.emit(
            "surveys",
            "invitation.scheduled",
            {
                **common,
                "due_at": new_event("surveys", "x.y", self.tenant_id, {}, at=due)["time"],
                "role": role,
                "program_kind": "caip",
            },
            at=due - timedelta(days=1),
        )
        if sent:
            self.emit(
                "surveys",
                "invitation.due",
                {**common, "link": f"http://s/r/{self.tenant_id}.x", "attempt": 0},
                at=due,
            )
        return invitation

    def respond(self, invitation: dict, answers: dict, days_late: float = 1) -> dict:
        """A response submitted `days_late` days after the invitation was due."""
        return self.emit(
            "surveys",
            "response.submitted",
            {
                "response_id": self._id("r"),
                "invitation_id": invitation["invitation_id"],
                "participant_id": invitation["participant_id"],
                "cohort_id": invitation["cohort_id"],
                "role": invitation["role"],
                "wave": invitation["wave"],
                "instrument_key": f"caip_{invitation['wave']}",
                "instrument_version": 1,
                "answers": answers,
            },
            at=invitation["due"] + timedelta(days=days_late),
        )

    def cancel(self, invitation: dict, reason: str = "withdrawn") -> None:
        self.emit(
            "surveys",
            "invitation.cancelled",
            {"invitation_id": invitation["invitation_id"], "reason": reason},
        )

    def expire(self, invitation: dict) -> None:
        self.emit(
            "surveys",
            "invitation.expired",
            {"invitation_id": invitation["invitation_id"]},
            at=invitation["closes"],
        )


# The figures of rich_stream, every cell shown, worked out by hand: id: (numerator, denominator, invited)
EXPECTED = {
    "I1": (11, 13, None),  # caip: 9 enrolled, one never completed, one withdrawn; caip_sme: 4 of 4
    "I2": (4, 6, 9),  # post satisfaction 5,3,4,na,-,2,5,4,-: 6 valid, 4 agree
    "I3": (3, 4, 9),  # knowledge 4,na,5,(left out),-,2,5,(left out),-
    "I4": (2, 4, 4),  # newcomers' fu3 confidence 5,4,3,2
    "I5": (3, 4, 5),  # actions: 3 newcomers did something, one none; the manager left it out
    "I6": (2, 4, 4),
    # promotion+wage 63 days after the end, new role 216 days after, none, promotion before the end
    "I7": (2, 4, 4),
    "I7a": (1, 4, 4),
    "I7b": (1, 4, 4),
    "I7c": (1, 4, 4),
    "I8": (10.0, 3, 4),  # median of 10, 20.5, 0 (an `na` is not a number)
    "I9": (1, 1, 1),
    "I10": (1, 1, 1),
    # large: its leader's fu12 names a change; medium: its change predates its assessment
    "I11": (1, 2, None),
    "I12": (1, 1, None),  # small: an internal-trainer cohort started after its trainer's certification
    "I13": (17, 19, 19),
    "M1": (1, 3, None),  # matched after 31 days; after 120 days; never matched (registered 60+ days ago)
    "M2": (1, 1, None),
    "M3": (0, 0, 0),
}


def rich_stream(tenant_id: str = "toronto") -> Council:
    """One of everything: two programs, three employers, every role, every wave, the edges."""
    council = Council(tenant_id)
    large, medium, small = council.employer("large"), council.employer("medium"), council.employer("small")
    caip, sme = council.program("caip"), council.program("caip_sme")
    first = council.cohort(caip, "caip", [large, medium])
    second = council.cohort(
        sme, "caip_sme", [small], start="2025-05-01", end="2025-08-31", facilitated_by="internal_trainer"
    )
    people = []
    for n, (role, employer) in enumerate(
        [
            ("newcomer", large),
            ("newcomer", large),
            ("newcomer", medium),
            ("newcomer", medium),
            ("newcomer", large),
            ("manager", large),
            ("manager", medium),
            ("hr_leader", large),
            ("senior_leader", medium),
        ]
    ):
        pid = council.participant(
            role,
            employer,
            years_in_canada=n * 2,
            occupation_noc=f"{n % 3 + 1}1231",
            preferred_language="fr" if n % 4 == 0 else "en",
        )
        council.enrol(pid, first, role, "caip", employer, caip)
        people.append((pid, role))
    sme_people = []
    for role in ("newcomer", "newcomer", "manager", "trainer"):
        pid = council.participant(role, small)
        council.enrol(pid, second, role, "caip_sme", small, sme)
        sme_people.append((pid, role))
    council.withdraw(people[4][0], first)
    council.complete(first, "caip", [(pid, role, n != 3, n == 4) for n, (pid, role) in enumerate(people)])
    council.complete(
        second, "caip_sme", [(pid, role, True, False) for pid, role in sme_people], ended_on="2025-08-31"
    )
    answers = [
        {"satisfaction": 5, "knowledge_increased": 4},
        {"satisfaction": 3, "knowledge_increased": "na"},
        {"satisfaction": 4, "knowledge_increased": 5},
        {"satisfaction": "na"},
        None,
        {"satisfaction": 2, "knowledge_increased": 2},
        {"satisfaction": 5, "knowledge_increased": 5},
        {"satisfaction": 4},
        None,
    ]
    for (pid, role), given in zip(people, answers, strict=True):
        invitation = council.invite(pid, first, role, "post")
        if given is not None:
            council.respond(invitation, given)
    for n, (pid, role) in enumerate(people[:4]):
        fu3 = council.invite(pid, first, role, "fu3")
        council.respond(
            fu3,
            {
                "confidence_navigating": 5 - n,
                "actions_taken": ["none"] if n == 2 else ["networking"],
                "pd_opportunity": ["training"] if n < 2 else ["none"],
            },
        )
        fu12 = council.invite(pid, first, role, "fu12")
        council.respond(
            fu12,
            {
                "advancement": ["promotion", "wage_increase"]
                if n == 0
                else ["new_role"]
                if n == 1
                else ["none"]
                if n == 2
                else ["promotion"],
                "advancement_date": ["2025-09-01", "2026-02-01", None, "2025-06-01"][n],
                "base_pay_change_pct": [10, 20.5, 0, "na"][n],
            },
        )
    manager_fu3 = council.invite(people[5][0], first, "manager", "fu3")
    council.respond(manager_fu3, {"prepared_to_support": 4, "manager_practices": ["sponsorship"]})
    leader_fu12 = council.invite(people[7][0], first, "hr_leader", "fu12")
    council.respond(leader_fu12, {"org_changes": ["policy"]})
    council.assessment(large, "2025-03-01")
    council.assessment(medium, "2025-03-01")
    council.org_change(medium, "2025-02-01")  # before its assessment: does not count
    trainer = sme_people[3][0]
    council.certify(trainer, small, "2025-01-15")
    mentee = council.participant("mentee", large, at=day("2025-01-01"))
    mentor = council.participant("mentor", medium, at=day("2025-01-01"))
    late_mentee = council.participant("mentee", medium, at=day("2025-01-01"))
    council.participant("mentee", medium, at=day("2025-01-01"))  # never matched
    done = council.match(mentor, mentee, at=day("2025-02-01"))
    council.end_match(done, mentee, True)
    council.match(mentor, late_mentee, at=day("2025-05-01"))
    return council
