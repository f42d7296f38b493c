"""Employer partners: the size class a council reports by (INDICATORS.md breaks results down by it).

Staff may give the size class directly or the number of employees it derives from; when they give
both, they must agree. No I/O.
"""
from __future__ import annotations

from marshmallow import ValidationError

SMALL, MEDIUM, LARGE = "small", "medium", "large"
SIZE_CLASSES = (SMALL, MEDIUM, LARGE)
MEDIUM_FROM = 100  # employees; fewer is small
LARGE_FROM = 500


def size_class_for(employee_count: int) -> str:
    """The size class of an employer with ``employee_count`` employees."""
    if employee_count >= LARGE_FROM:
        return LARGE
    return MEDIUM if employee_count >= MEDIUM_FROM else SMALL


def resolve_size_class(size_class: str | None, employee_count: int | None) -> str:
    """The employer's size class from what staff gave; ValidationError if neither or they disagree."""
    if employee_count is None:
        if size_class is None:
            raise ValidationError({"size_class": ["Give size_class or employee_count."]})
        return size_class
    derived = size_class_for(employee_count)
    if size_class not in (None, derived):
        message = f"Does not match employee_count {employee_count}, which is {derived}."
        raise ValidationError({"size_class": [message]})
    return derived
