"""Use cases of organisational change: delivering an assessment to an employer, recording a change
it adopted, certifying an internal trainer, and the employer as staff see it with all of these.

Each function takes the worker's ``IntakeStore`` and input already checked by ``org_change_schemas``;
an unknown employer or participant in the path is 404, a recommendation named in the body that was
not made to this employer is 400 naming ``recommendation_id``.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from marshmallow import ValidationError

from services.common.clock import stamp
from services.common.errors import Conflict
from services.common.ids import new_id
from services.intake import event_data, org_change, org_change_store
from services.intake.storage import EMPLOYERS, PARTICIPANTS, IntakeStore


def _recommendation_ids() -> Iterator[str]:
    while True:
        yield new_id("rec")


def deliver_assessment(store: IntakeStore, employer_id: str, fields: Mapping) -> dict:
    """Record an assessment delivered to an employer; emits ``assessment.delivered``."""
    store.get(EMPLOYERS, employer_id)
    assessment = org_change.new_assessment(new_id("asm"), employer_id, fields, _recommendation_ids(), stamp())
    with store.transaction() as tx:
        org_change_store.add_assessment(tx, assessment)
        tx.emit("assessment.delivered", event_data.assessment_delivered(assessment), subject=employer_id)
    return assessment


def record_change(store: IntakeStore, employer_id: str, fields: Mapping) -> dict:
    """Record a change an employer adopted, possibly answering a recommendation made to it;
    emits ``org_change.recorded``."""
    store.get(EMPLOYERS, employer_id)
    recommendation_id, recommending = fields["recommendation_id"], None
    if recommendation_id is not None:
        recommending = org_change_store.recommending_assessment(store, employer_id, recommendation_id)
    problems = org_change.problems_with_change(fields, recommending)
    if problems:
        raise ValidationError(problems)
    change = org_change.new_change(new_id("chg"), employer_id, fields, stamp())
    with store.transaction() as tx:
        org_change_store.add_change(tx, change)
        tx.emit("org_change.recorded", event_data.org_change_recorded(change), subject=employer_id)
    return change


def certify(store: IntakeStore, participant_id: str, fields: Mapping) -> dict:
    """Certify a participant (as a trainer) for their employer: 400 without an employer, 409 if
    certified already; emits ``trainer.certified``."""
    participant = store.get(PARTICIPANTS, participant_id)
    if participant["employer_id"] is None:
        raise ValidationError({"participant_id": ["Has no employer to be a certified trainer for."]})
    if org_change_store.is_certified(store, participant_id, fields["kind"]):
        raise Conflict(f"the participant is certified as a {fields['kind']} already")
    certification = org_change.new_certification(new_id("crt"), participant, fields, stamp())
    with store.transaction() as tx:
        org_change_store.add_certification(tx, certification)
        tx.emit("trainer.certified", event_data.trainer_certified(certification), subject=participant_id)
    return certification


def employer_view(store: IntakeStore, employer_id: str) -> dict:
    """The employer with its assessments, adopted changes and certified trainers."""
    employer = store.get(EMPLOYERS, employer_id)
    return org_change.employer_view(employer, org_change_store.assessments(store, employer_id),
                                    org_change_store.changes(store, employer_id),
                                    org_change_store.certifications(store, employer_id))
