"""Use cases of program delivery: opening cohorts, enrolling, recording attendance, completing.

Each function takes the worker's ``IntakeStore`` and input already checked by ``schemas``; ids named
in a path that do not exist in the tenant are 404, ids named in a body are 400 naming the field.
"""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import ValidationError

from services.common.clock import stamp
from services.common.errors import Conflict
from services.common.ids import new_id
from services.intake import cohorts, completion, event_data
from services.intake.enrolments import still_enrolled
from services.intake.storage import COHORTS, EMPLOYERS, PARTICIPANTS, PROGRAMS, IntakeStore


def open_cohort(store: IntakeStore, fields: Mapping) -> dict:
    """Open a cohort of a program; emits ``cohort.opened``."""
    program = _check_cohort_references(store, fields)
    cohort = cohorts.new_cohort(new_id("coh"), fields, program, stamp())
    with store.transaction() as tx:
        tx.add(COHORTS, cohort)
        tx.emit("cohort.opened", event_data.cohort_opened(cohort), subject=cohort["id"])
    return cohorts.view(cohort, [], [])


def _check_cohort_references(store: IntakeStore, fields: Mapping) -> dict:
    problems: dict[str, list[str]] = {}
    program = store.find(PROGRAMS, fields["program_id"])
    if program is None:
        problems["program_id"] = ["Unknown program."]
    else:
        problems.update(cohorts.problems_with_program(fields, program))
    unknown = store.missing(EMPLOYERS, fields["employer_ids"])
    if unknown:
        problems["employer_ids"] = [f"Unknown employer: {employer_id}." for employer_id in unknown]
    if problems:
        raise ValidationError(problems)
    return program


def cohort_view(store: IntakeStore, cohort_id: str) -> dict:
    """A cohort with its enrolments and attendance."""
    cohort = store.get(COHORTS, cohort_id)
    return cohorts.view(cohort, store.enrolments(cohort_id), store.attendance(cohort_id))


def enrol(store: IntakeStore, cohort_id: str, fields: Mapping) -> dict:
    """Enrol a participant in an open cohort; emits ``participant.enrolled``."""
    cohort = store.get(COHORTS, cohort_id)
    participant = store.find(PARTICIPANTS, fields["participant_id"])
    if participant is None:
        raise ValidationError({"participant_id": ["Unknown participant."]})
    enrolment = {"id": new_id("enr"), "cohort_id": cohort_id, **fields, "enrolled_at": stamp()}
    with store.transaction() as tx:
        tx.change_open_cohort(cohort_id)
        tx.add_enrolment(enrolment)
        tx.emit("participant.enrolled", event_data.participant_enrolled(enrolment, cohort, participant),
                subject=participant["id"])
    return enrolment


def record_attendance(store: IntakeStore, cohort_id: str, session_index: int, present: list[str]) -> dict:
    """Record who attended a session of an open cohort (replacing an earlier record of it);
    emits ``attendance.recorded``."""
    cohort = store.get(COHORTS, cohort_id)
    enrolled = {enrolment["participant_id"] for enrolment in still_enrolled(store.enrolments(cohort_id))}
    cohorts.check_attendance(cohort, session_index, present, enrolled)
    recorded_at = stamp()
    with store.transaction() as tx:
        tx.change_open_cohort(cohort_id)
        tx.replace_attendance(cohort_id, session_index, present, recorded_at)
        tx.emit("attendance.recorded", event_data.attendance_recorded(cohort_id, session_index, present),
                subject=cohort_id)
    return {"cohort_id": cohort_id, "session_index": session_index, "present": present,
            "recorded_at": recorded_at}


def complete(store: IntakeStore, cohort_id: str, given_ended_on: str | None) -> dict:
    """Complete a cohort: who attended enough sessions completed it; emits ``cohort.completed``."""
    cohort = store.get(COHORTS, cohort_id)
    if cohort["status"] == cohorts.COMPLETED:
        raise Conflict("the cohort is completed already")
    ended_on = cohorts.ended_on(cohort, given_ended_on)
    with store.transaction() as tx:
        # read inside the transaction: what it counts is what it commits against
        enrolments, attendance = tx.enrolments(cohort_id), tx.attendance(cohort_id)
        present_lists = (record["present"] for record in attendance)
        results = completion.outcomes(enrolments, present_lists, cohort["sessions_planned"])
        completers = completion.completers(results)
        tx.complete_cohort(cohort_id, ended_on, results, completers)
        tx.emit("cohort.completed", event_data.cohort_completed(cohort, ended_on, results), subject=cohort_id)
    completed = {**cohort, "status": cohorts.COMPLETED, "ended_on": ended_on, "outcomes": results,
                 "completers": completers}
    return cohorts.view(completed, enrolments, attendance)

