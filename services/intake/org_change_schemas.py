"""What the organisational-change endpoints accept (``schemas`` has the strict JSON types they share).

Dates of things done (delivered, adopted, certified) default to today, in UTC, and may not lie in
the future; rules that need stored data (the recommendation a change names) run in ``organisation``.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from services.common.clock import now
from services.intake.org_change import (
    AREAS,
    CERTIFICATION_KINDS,
    INTERVIEWEE_ROLES,
    MAX_TEXT,
    not_after_today,
    problems_with_assessment,
)
from services.intake.schemas import ID, IsoDate

TEXT = validate.Length(min=1, max=MAX_TEXT)


def _today() -> str:
    return now().date().isoformat()


def _check_done(day: str | None) -> None:
    problems = not_after_today(day, _today()) if day is not None else []
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


class AssessmentSchema(Schema):
    """``POST /v1/employers/{id}/assessments``: at least one recommendation."""

    delivered_on = IsoDate(load_default=None)
    interviews = fields.List(fields.Nested(InterviewSchema), load_default=list)
    gaps = fields.List(fields.String(validate=TEXT), load_default=list)
    recommendations = fields.List(fields.Nested(RecommendationSchema), required=True,
                                  validate=validate.Length(min=1))

    @post_load
    def _delivered_today_unless_said(self, assessment: dict, **_: object) -> dict:
        # here, not in a validator: the dates are checked against the defaulted delivered_on
        assessment["delivered_on"] = assessment["delivered_on"] or _today()
        problems = problems_with_assessment(assessment, _today())
        if problems:
            raise ValidationError(problems)
        return assessment


class ChangeSchema(Schema):
    """``POST /v1/employers/{id}/changes``."""

    kind = fields.String(required=True, validate=validate.OneOf(AREAS))
    recommendation_id = fields.String(load_default=None, allow_none=True, validate=ID)
    adopted_on = IsoDate(required=True)

    @validates("adopted_on")
    def _not_in_the_future(self, adopted_on: str, **_: object) -> None:
        _check_done(adopted_on)


class CertificationSchema(Schema):
    """``POST /v1/participants/{id}/certifications``; ``certified_on`` (additive) defaults to today."""

    kind = fields.String(required=True, validate=validate.OneOf(CERTIFICATION_KINDS))
    certified_on = IsoDate(load_default=None)

    @validates("certified_on")
    def _not_in_the_future(self, certified_on: str | None, **_: object) -> None:
        _check_done(certified_on)

    @post_load
    def _certified_today_unless_said(self, certification: dict, **_: object) -> dict:
        certification["certified_on"] = certification["certified_on"] or _today()
        return certification
