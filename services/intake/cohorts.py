"""Cohorts: one delivery of a program, its sessions, who attends them, and how it reads. No I/O."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from marshmallow import ValidationError

from services.intake.completion import sessions_attended
from services.intake.programs import CAIP_SME, SME_DELIVERY

OPEN, COMPLETED = "open", "completed"
DELIVERIES = ("virtual", "in_person", "hybrid")
FACILITATORS = ("council", "internal_trainer")


def problems_with_program(cohort: Mapping, program: Mapping) -> dict[str, list[str]]:
    """What keeps ``cohort`` (as staff gave it) from being a delivery of ``program``, by field."""
    problems: dict[str, list[str]] = {}
    planned, given = program["sessions_planned"], len(cohort["sessions"])
    if given != planned:
        problems["sessions"] = [f"The program plans {planned} sessions; {given} given."]
    if program["kind"] == CAIP_SME and cohort["delivery"] != SME_DELIVERY:
        problems["delivery"] = [f"A {CAIP_SME} cohort is delivered {SME_DELIVERY}."]
    return problems


def new_cohort(cohort_id: str, fields: Mapping, program: Mapping, created_at: str) -> dict:
    """An open cohort of ``program``; it carries the program's kind and sessions for its events."""
    return {"id": cohort_id, **fields, "program_kind": program["kind"],
            "sessions_planned": program["sessions_planned"], "status": OPEN, "ended_on": None,
            "completers": [], "outcomes": [], "created_at": created_at}


def check_attendance(cohort: Mapping, session_index: int, present: Sequence[str],
                     enrolled: Collection[str]) -> None:
    """Raise ValidationError unless the session exists and everyone present is enrolled."""
    problems: dict[str, list[str]] = {}
    last = cohort["sessions_planned"] - 1
    if not 0 <= session_index <= last:
        problems["session_index"] = [f"Must be between 0 and {last}."]
    strangers = [participant_id for participant_id in present if participant_id not in enrolled]
    if strangers:
        problems["present"] = [f"Not enrolled in this cohort: {', '.join(strangers)}."]
    if problems:
        raise ValidationError(problems)


def ended_on(cohort: Mapping, given: str | None) -> str:
    """The date a cohort ended: ``given`` or its planned end_date; never before it started."""
    ended = given or cohort["end_date"]
    if ended < cohort["start_date"]:  # ISO dates compare as text
        raise ValidationError({"ended_on": [f"Must not be before the start_date {cohort['start_date']}."]})
    return ended


def view(cohort: Mapping, enrolments: Sequence[Mapping], attendance: Sequence[Mapping]) -> dict:
    """What staff see of a cohort: with its enrolments (sessions attended, completed) and attendance."""
    attended = sessions_attended(record["present"] for record in attendance)
    completed = {result["participant_id"]: result["completed"] for result in cohort["outcomes"]}
    answer = {key: value for key, value in cohort.items() if key != "outcomes"}
    answer["enrolments"] = [{**enrolment, "sessions_attended": attended[enrolment["participant_id"]],
                             "completed": completed.get(enrolment["participant_id"])}
                            for enrolment in enrolments]
    answer["attendance"] = sorted(attendance, key=lambda record: record["session_index"])
    return answer
