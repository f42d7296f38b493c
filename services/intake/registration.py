"""Use cases of the people and organisations intake knows: employers, programs, participants, consent.

Each function takes the worker's ``IntakeStore`` and input already checked by ``schemas``; it applies
the rules that need stored data, writes in one transaction with the events it causes, and returns
what the caller sees.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from marshmallow import ValidationError

from services.common.clock import stamp
from services.common.ids import new_id
from services.intake import event_data, org_change
from services.intake.participants import consent_choices, withdraw
from services.intake.storage import EMPLOYERS, PARTICIPANTS, PROGRAMS, IntakeStore, Writes

_log = logging.getLogger(__name__)


def register_employer(store: IntakeStore, fields: Mapping) -> dict:
    """Register an employer partner; emits ``employer.registered``."""
    employer = {"id": new_id("emp"), **fields, "created_at": stamp()}
    with store.transaction() as tx:
        tx.add(EMPLOYERS, employer)
        tx.emit("employer.registered", event_data.employer_registered(employer), subject=employer["id"])
    return org_change.employer_view(employer, [], [], [])  # as GET shows it: nothing assessed yet


def create_program(store: IntakeStore, fields: Mapping) -> dict:
    """Create a program; emits ``program.created``."""
    program = {"id": new_id("prg"), **fields, "created_at": stamp()}
    with store.transaction() as tx:
        tx.add(PROGRAMS, program)
        tx.emit("program.created", event_data.program_created(program), subject=program["id"])
    return program


def register_participant(store: IntakeStore, fields: Mapping) -> dict:
    """Register a participant (409 on an email registered already); emits ``participant.registered``."""
    employer_id = fields["employer_id"]
    if employer_id is not None and store.find(EMPLOYERS, employer_id) is None:
        raise ValidationError({"employer_id": ["Unknown employer."]})
    participant = new_participant(fields, stamp())
    with store.transaction() as tx:
        tx.add_participant(participant)
        tx.emit("participant.registered", event_data.participant_registered(participant),
                subject=participant["id"])
    return participant


def new_participant(fields: Mapping, at: str) -> dict:
    """A participant as registered at ``at`` (by the API or an import): a new id, consent stamped."""
    consent = {**fields["consent"], "updated_at": at}
    return {"id": new_id("par"), **fields, "consent": consent, "created_at": at}


def change_consent(store: IntakeStore, participant_id: str, choices: Mapping) -> dict:
    """Set a participant's consent choices as staff recorded them; emits ``consent.changed``."""
    participant = store.get(PARTICIPANTS, participant_id)
    consent = {**participant["consent"], **choices, "updated_at": stamp()}
    with store.transaction() as tx:
        _save_consent(tx, participant_id, consent)
    return {**participant, "consent": consent}


def apply_consent_withdrawal(store: IntakeStore, participant_id: str, scope: str) -> None:
    """Withdraw one consent scope (from an unsubscribe link); emits ``consent.changed``.

    An unknown participant (erased, say) is nothing to change: the event is still recorded as handled.
    """
    with store.transaction() as tx:
        participant = tx.find(PARTICIPANTS, participant_id)
        if participant is None:
            _log.warning("consent withdrawn for unknown participant %s; nothing to change", participant_id)
            return
        _save_consent(tx, participant_id, withdraw(participant["consent"], scope, stamp()))


def _save_consent(tx: Writes, participant_id: str, consent: Mapping) -> None:
    tx.set_consent(participant_id, consent)
    tx.emit("consent.changed", event_data.consent_changed(participant_id, consent), subject=participant_id)


def contact(store: IntakeStore, participant_id: str) -> dict | None:
    """How to reach a participant, for notifications at send time; None for an unknown id."""
    participant = store.find(PARTICIPANTS, participant_id)
    if participant is None:
        return None
    return {"participant_id": participant["id"], "given_name": participant["given_name"],
            "family_name": participant["family_name"], "email": participant["email"],
            "preferred_language": participant["preferred_language"],
            "consent": consent_choices(participant["consent"])}
