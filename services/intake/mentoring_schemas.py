"""What the mentoring endpoints accept (see ``schemas`` for the strict JSON types they share)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate, validates

from services.intake.mentoring import END_REASONS, check_planned_end
from services.intake.schemas import ID, CouncilDaySchema, IsoDate, StrictBoolean

MAX_SUGGESTIONS, DEFAULT_SUGGESTIONS = 50, 10


class SuggestionQuerySchema(Schema):
    """``GET /v1/mentoring/suggestions?mentee_id=&limit=`` (query text, so ``limit`` is parsed)."""

    mentee_id = fields.String(required=True, validate=ID)
    limit = fields.Integer(load_default=DEFAULT_SUGGESTIONS,
                           validate=validate.Range(min=1, max=MAX_SUGGESTIONS))


class MatchSchema(CouncilDaySchema):
    """``POST /v1/mentoring/matches``: ``planned_end`` after the council's ``today``."""

    mentor_id = fields.String(required=True, validate=ID)
    mentee_id = fields.String(required=True, validate=ID)
    planned_end = IsoDate(required=True)

    @validates("planned_end")
    def _after_today(self, planned_end: str, **_: object) -> None:
        check_planned_end(planned_end, self.today)


class EndMatchSchema(Schema):
    """``POST /v1/mentoring/matches/{id}/end``: why it ended (a code: events carry no free text)."""

    reason = fields.String(required=True, validate=validate.OneOf(END_REASONS))
    planned_end_reached = StrictBoolean(required=True)
