"""Collecting a response: find the invitation it answers, check it is open, validate, record.

A respondent comes through a link (``/r/<token>``); staff enter a paper response by invitation id.
Either way the answers are validated against the invitation's instrument for the invitation's
role, and the response, the invitation's ``responded`` state and ``response.submitted`` (coded
answers only: free text stays here) commit together.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.common.clock import stamp
from services.common.errors import BadRequest, Conflict, Gone, NotFound
from services.common.ids import new_id
from services.common.mongo import TenantStore
from services.common.tokens import token_digest
from services.surveys import catalog, storage
from services.surveys import invitations as rules
from services.surveys.answers import coded_answers, validate_answers
from services.surveys.instruments import Instrument
from services.surveys.storage import Db


@dataclass(frozen=True)
class Opened:
    """An invitation that may be answered, with what answering it needs."""

    invitation: dict
    instrument: Instrument
    participant: dict | None

    @property
    def role(self) -> str:
        """The role the respondent answers in: their role in that cohort."""
        return self.invitation["role"]


class LinkClosed(Gone):
    """A link whose invitation was answered, expired or cancelled; ``opened`` says whose it was."""

    def __init__(self, opened: Opened):
        super().__init__("this link was used or has expired")
        self.opened = opened


def open_by_token(db: Db, token: str, now: datetime) -> Opened:
    """The invitation behind a link; NotFound if there is none, LinkClosed if it was used or has closed."""
    invitation = storage.invitation_by_token(db, token_digest(token))
    if invitation is None:
        raise NotFound("no such link")
    opened = _opened(db, invitation)
    if not rules.is_open_at(invitation, now):
        raise LinkClosed(opened)
    return opened


def open_for_paper(db: Db, invitation_id: str, now: datetime) -> Opened:
    """An invitation staff enter a paper response for; NotFound, or Conflict if it cannot take one."""
    invitation = storage.invitation(db, invitation_id)
    if invitation is None:
        raise NotFound(f"no invitation {invitation_id}")
    if not rules.is_open_at(invitation, now):
        raise Conflict(f"the invitation is {invitation['status']} and its window closes at "
                       f"{invitation['closes_at']}: it takes no response now")
    return _opened(db, invitation)


def _opened(db: Db, invitation: dict) -> Opened:
    instrument = catalog.find(db, invitation["instrument_key"], invitation["instrument_version"])
    return Opened(invitation, instrument, storage.participant(db, invitation["participant_id"]))


def record_paper(store: TenantStore, invitation_id: str, raw: Mapping, now: datetime) -> dict:
    """Staff's paper response: validated as a respondent's is; BadRequest names each bad answer."""
    opened = open_for_paper(store, invitation_id, now)
    clean, errors = check(opened, raw, "en")
    if errors:
        raise BadRequest("some answers are not valid", fields={"answers": errors})
    try:
        response_id = record(store, opened, clean, channel="paper", lang="en", now=now)
    except Gone:  # answered online a moment ago
        raise Conflict("the invitation was answered already") from None
    return {"id": response_id, "invitation_id": invitation_id, "answers": clean}


def check(opened: Opened, raw: Mapping, lang: str) -> tuple[dict, dict]:
    """Validate raw answers: (clean answers, errors by item id in ``lang``)."""
    return validate_answers(opened.instrument, opened.role, raw, lang)


def record(store: TenantStore, opened: Opened, answers: dict, *, channel: str, lang: str,
           now: datetime) -> str:
    """Store valid answers and emit ``response.submitted``; returns the response id.

    Raises Gone if the invitation was answered (or closed) since it was opened.
    """
    invitation, response_id = opened.invitation, new_id("rsp")
    with store.transaction() as tx:
        answered = {"status": rules.RESPONDED, "responded_at": stamp(now)}
        if not storage.change_invitation(tx, invitation, answered):
            raise Gone("this invitation was answered already")
        doc = _response_doc(response_id, opened, answers, channel, lang, now)
        storage.insert_response(tx, doc)
        event = {**{key: doc[key] for key in _EVENT_KEYS}, "response_id": response_id,
                 "answers": coded_answers(opened.instrument, answers)}
        tx.emit("response.submitted", event, subject=response_id)
    return response_id


_EVENT_KEYS = ("invitation_id", "participant_id", "cohort_id", "role", "wave", "instrument_key",
               "instrument_version")


def _response_doc(response_id: str, opened: Opened, answers: dict, channel: str, lang: str,
                  now: datetime) -> dict:
    invitation = opened.invitation
    return {"_id": response_id, "invitation_id": invitation["_id"],
            "participant_id": invitation["participant_id"], "cohort_id": invitation["cohort_id"],
            "role": opened.role, "wave": invitation["wave"], "instrument_key": opened.instrument.key,
            "instrument_version": opened.instrument.version, "answers": answers, "channel": channel,
            "language": lang, "submitted_at": stamp(now)}
