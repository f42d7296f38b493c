"""Paged lists, as every list endpoint answers them: ``{"items": [...], "next": <cursor or null>}``.

A store reads one more than ``limit`` (``limit + 1``, in cursor order, after ``after``): if that
one exists there is a next page, and it starts after the last item shown. The query fields
``limit`` and ``after`` are the same everywhere; only the largest ``limit`` differs by endpoint.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import Schema, fields, validate

DEFAULT_LIMIT = 50
CURSOR_LENGTH = 100


def page(found: Sequence[Mapping[str, Any]], limit: int, key: str = "_id") -> dict:
    """The page of ``found`` (read with ``limit + 1``): its first ``limit`` items, and ``next``, the
    ``key`` of the last of them if more were found, else None."""
    items = list(found[:limit])
    return {"items": items, "next": items[-1][key] if len(found) > limit else None}


def limit_field(maximum: int, default: int = DEFAULT_LIMIT) -> fields.Integer:
    """The ``limit`` query field: 1 to ``maximum`` items a page, ``default`` when not given."""
    return fields.Integer(load_default=default, validate=validate.Range(min=1, max=maximum))


def after_field(**options: Any) -> fields.String:
    """The ``after`` query field: the ``next`` of the previous page (``options`` as for any field)."""
    return fields.String(validate=validate.Length(min=1, max=CURSOR_LENGTH), **options)


class PageAnswer(Schema):
    """The answer schema of a list endpoint: subclass it with ``items = fields.List(fields.Nested(...))``;
    ``next`` is the ``after`` of the next page, null on the last."""

    next = fields.String(required=True, allow_none=True)
