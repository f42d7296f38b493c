"""Errors that reach a caller, and the one table that maps them to HTTP answers (API.md, Common)."""
from __future__ import annotations

from marshmallow import ValidationError
from pymongo.errors import PyMongoError
from werkzeug.exceptions import RequestEntityTooLarge


class AlreadyProcessed(Exception):
    """The event a worker handles was processed before: its effect is already committed."""


class ApiError(Exception):
    """An error with a stable code that callers can act on."""

    status = 500
    code = "INTERNAL"

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadRequest(ApiError):
    status, code = 400, "VALIDATION_ERROR"


class Unauthenticated(ApiError):
    status, code = 401, "UNAUTHENTICATED"


class Forbidden(ApiError):
    status, code = 403, "FORBIDDEN"


class NotFound(ApiError):
    """Unknown id, or another tenant's id: the answer never reveals which."""

    status, code = 404, "NOT_FOUND"


class Conflict(ApiError):
    status, code = 409, "CONFLICT"


class WriteConflict(Conflict):
    """MongoDB aborted a transaction that wrote what a concurrent one wrote: the caller may retry."""

    def __init__(self, message: str = "another change to the same records happened at the same time; "
                                      "try again"):
        super().__init__(message)


def is_write_conflict(exc: BaseException) -> bool:
    """True for MongoDB's verdict that a transaction lost a race and may simply be retried."""
    return isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")


class Gone(ApiError):
    status, code = 410, "GONE"


class TooLarge(ApiError):
    status, code = 413, "TOO_LARGE"


class Unavailable(ApiError):
    status, code = 503, "UNAVAILABLE"


def to_api_error(exc: BaseException) -> ApiError:
    """Translate any exception into the ApiError a caller should see.

    marshmallow's messages become a 400 naming every bad field; anything unexpected is a 500 whose
    message says nothing internal.
    """
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationError):
        return BadRequest("the request is not valid", fields=_field_messages(exc.messages))
    if isinstance(exc, RequestEntityTooLarge):
        return TooLarge("the body is too large")
    return ApiError("internal error")


def _field_messages(messages: dict | list | str) -> dict:
    if isinstance(messages, dict):
        return messages
    return {"_schema": messages if isinstance(messages, list) else [messages]}


def error_body(err: ApiError) -> dict:
    """The JSON body every error answer carries."""
    return {"error": err.code, "message": err.message, "fields": err.fields}
