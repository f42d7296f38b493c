"""Use case: a participant withdraws from a cohort (``POST /v1/participants/{id}/withdraw``).

The checks run inside the transaction that writes the withdrawal: together with the cohort's
revision (``change_open_cohort``), that makes a withdrawal and a completion, or two withdrawals,
of one cohort conflict instead of both committing.
"""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import ValidationError

from services.common.clock import stamp
from services.common.errors import Conflict
from services.intake import enrolment_store, event_data
from services.intake.cohorts import COMPLETED
from services.intake.enrolments import is_withdrawn, withdrawn
from services.intake.storage import COHORTS, PARTICIPANTS, IntakeStore, Writes


def withdraw(store: IntakeStore, participant_id: str, fields: Mapping) -> dict:
    """Withdraw a participant from a cohort; answers the withdrawn enrolment.

    404 for an unknown participant; 400 (``cohort_id``) if they are not enrolled in that cohort;
    409 if the cohort is completed or they withdrew already. Emits ``participant.withdrawn``.
    """
    store.get(PARTICIPANTS, participant_id)
    cohort_id, reason = fields["cohort_id"], fields["reason"]
    with store.transaction() as tx:
        enrolment = _withdrawable_enrolment(tx, cohort_id, participant_id)
        after = withdrawn(enrolment, reason, stamp())
        tx.change_open_cohort(cohort_id)
        enrolment_store.withdraw_enrolment(tx, after)
        tx.emit("participant.withdrawn", event_data.participant_withdrawn(participant_id, cohort_id, reason),
                subject=participant_id)
    return after


def _withdrawable_enrolment(tx: Writes, cohort_id: str, participant_id: str) -> dict:
    cohort = tx.find(COHORTS, cohort_id)
    enrolment = enrolment_store.enrolment(tx, cohort_id, participant_id) if cohort is not None else None
    if enrolment is None:
        # another council's cohort reads as one this participant is not enrolled in: nothing leaks
        raise ValidationError({"cohort_id": ["The participant is not enrolled in this cohort."]})
    if cohort["status"] == COMPLETED:
        raise Conflict("the cohort is completed")
    if is_withdrawn(enrolment):
        raise Conflict("the participant has withdrawn from this cohort already")
    return enrolment
