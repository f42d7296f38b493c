"""Marshmallow fields that take JSON types strictly, for every service's request schemas.

``"3"`` is not a number and ``1`` or ``"yes"`` is not a boolean: a client's mistake is named
(marshmallow's own messages: "Not a valid boolean.", "Not a valid integer.", "Not a valid date.")
instead of guessed at.
"""
from __future__ import annotations

from datetime import date

from marshmallow import fields


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictInteger(fields.Integer):
    """A JSON integer only (not a string, a fraction or a boolean)."""

    def _validated(self, value) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class IsoDate(fields.Date):
    """A ``YYYY-MM-DD`` date, kept as that text: ISO dates compare correctly as strings."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value)
        parsed: date = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat()
