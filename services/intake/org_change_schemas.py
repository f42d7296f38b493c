"""What the organisational-change endpoints accept (``schemas`` has the strict JSON types they share).

Dates of things done (delivered, adopted, certified) default to today and may not lie in the future:
the council's today, in its time zone, which the service gives each schema (``today=``); rules that
need stored data (the recommendation a change names) run in ``organisation``.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from services.intake.org_change import (
    AREAS,
    CERTIFICATION_KINDS,
    INTERVIEWEE_ROLES,
    MAX_TEXT,
    not_after_today,
    problems_with_assessment,
)
from services.intake.schemas import ID, CouncilDaySchema, IsoDate

TEXT = validate.Length(min=1, max=MAX_TEXT)


def _check_done(day: str | None, today: str) -> None:
    problems = not_after_today(day, today) if day is not None else []
    if problems:
        raise ValidationError(problems)


class InterviewSchema(Schema):
    """One leader the council interviewed for an assessment."""

    role = fields.String(required=True, validate=validate.OneOf(INTERVIEWEE_ROLES))
    date = IsoDate(required=True)


class RecommendationSchema(Schema):
    """One recommendation of an assessment."""

    area = fields.String(required=True, validate=validate.OneOf(AREAS))
    text = fields.String(required=True, validate=TEXT)


class AssessmentSchema(CouncilDaySchema):
    """``POST /v1/employers/{id}/assessments``: at least one recommendation."""

    delivered_on = IsoDate(load_default=None)
    interviews = fields.List(fields.Nested(InterviewSchema), load_default=list)
    gaps = fields.List(fields.String(validate=TEXT), load_default=list)
    recommendations = fields.List(fields.Nested(RecommendationSchema), required=True,
                                  validate=validate.Length(min=1))

    @post_load
    def _delivered_today_unless_said(self, assessment: dict, **_: object) -> dict:
        # here, not in a validator: the dates are checked against the defaulted delivered_on
        assessment["delivered_on"] = assessment["delivered_on"] or self.today
        problems = problems_with_assessment(assessment, self.today)
        if problems:
            raise ValidationError(problems)
        return assessment


class ChangeSchema(CouncilDaySchema):
    """``POST /v1/employers/{id}/changes``."""

    kind = fields.String(required=True, validate=validate.OneOf(AREAS))
    recommendation_id = fields.String(load_default=None, allow_none=True, validate=ID)
    adopted_on = IsoDate(required=True)

    @validates("adopted_on")
    def _not_in_the_future(self, adopted_on: str, **_: object) -> None:
        _check_done(adopted_on, self.today)


class CertificationSchema(CouncilDaySchema):
    """``POST /v1/participants/{id}/certifications``; ``certified_on`` (additive) defaults to today."""

    kind = fields.String(required=True, validate=validate.OneOf(CERTIFICATION_KINDS))
    certified_on = IsoDate(load_default=None)

    @validates("certified_on")
    def _not_in_the_future(self, certified_on: str | None, **_: object) -> None:
        _check_done(certified_on, self.today)

    @post_load
    def _certified_today_unless_said(self, certification: dict, **_: object) -> dict:
        certification["certified_on"] = certification["certified_on"] or self.today
        return certification
