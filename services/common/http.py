"""``api``: the HTTP entrypoint of every service. Auth, body limits and the error table, once.

A request is authenticated before any worker runs: ``Authorization: Bearer <key>`` resolves the
tenant and role (never the body or the path); the worker gets them as context data
(``tenant_id``, ``role``). Public pages (a respondent's survey link, an unsubscribe link) carry
the tenant in their token, ``<tenant>.<secret>``. Every error answer is the JSON of API.md.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime
from functools import partial

from eventlet.event import Event
from marshmallow import ValidationError
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Request, Response

from services.common.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    NotFound,
    TooLarge,
    Unauthenticated,
    error_body,
    to_api_error,
)
from services.common.idempotency import IdempotencyRecords, KeyInUse, fingerprint, requested_key
from services.common.runtime import Runtime
from services.common.tenancy import database_name
from services.common.tokens import tenant_of_token

_log = logging.getLogger(__name__)
ADMIN = ("admin",)
STAFF = ("admin", "staff")
READERS = ("admin", "staff", "analyst")
JSON = "application/json"


def _default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(status: int, payload: object, headers: dict | None = None) -> Response:
    """A JSON answer."""
    return Response(json.dumps(payload, default=_default), status=status, mimetype=JSON, headers=headers)


def html_response(status: int, html: str) -> Response:
    """An HTML page."""
    return Response(html, status=status, mimetype="text/html")


def body_bytes(request: Request) -> bytes:
    """The request body; TooLarge past the entrypoint's limit, even when no length was declared."""
    data = request.get_data(cache=True)
    if request.max_content_length is not None and len(data) >= request.max_content_length:
        raise TooLarge(f"the body is larger than {request.max_content_length - 1} bytes")
    return data


def json_body(request: Request) -> dict:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    data = body_bytes(request)
    try:
        body = json.loads(data or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON", fields={"_schema": ["Invalid JSON."]}) from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", fields={"_schema": ["Expected a JSON object."]})
    return body


class ApiEntrypoint(HttpRequestHandler):
    """``@api(method, url, roles=STAFF)``; ``public=True`` for pages reached without a key,
    ``token_arg`` for public pages whose path token names the tenant."""

    runtime = Runtime()
    records_idempotency_key = True  # TenantStore records the request's Idempotency-Key with its effect

    def __init__(self, method: str, url: str, roles: tuple[str, ...] = STAFF, public: bool = False,
                 token_arg: str | None = None, max_body: int | None = None, idempotent: bool = True,
                 body: type | None = None, answer: type | None = None, query: type | None = None,
                 status: int = 200, conflicts: tuple[int, ...] = (), **kwargs):
        # A caller's mistake is not the service's error: nameko logs expected exceptions as warnings.
        expected = tuple(kwargs.pop("expected_exceptions", ())) + (ApiError, ValidationError)
        super().__init__(method, url, expected_exceptions=expected, **kwargs)
        # a page whose path token names the council is reached without a key: public by definition
        self.roles, self.public, self.token_arg = roles, public or bool(token_arg), token_arg
        self.max_body = max_body
        # False where an Idempotency-Key's answer must not be stored and replayed: a streamed body (the
        # fingerprint would read it whole), a secret shown once (POST /v1/subscribers' password), a pass
        # that is safe to run again and answers that run's counts (POST /v1/notifications/run)
        self.idempotent = idempotent
        # what the OpenAPI document says of it (services/common/openapi.py): schemas and statuses
        self.body, self.answer, self.query = body, answer, query
        self.status, self.conflicts = status, conflicts

    def handle_request(self, request: Request) -> Response:
        request.shallow = False
        try:
            self._check_size(request)
            args, kwargs = self.get_entrypoint_parameters(request)
            context_data = self._context_for(request, kwargs)
            self.check_signature(args, kwargs)
            key = requested_key(request) if self.idempotent and "tenant_id" in context_data else None
            if key is None:
                return self._answer(args, kwargs, context_data)
            return self._answer_once(request, key, args, kwargs, context_data)
        except Exception as exc:
            return self.response_from_exception(exc)

    def _answer(self, args: tuple, kwargs: dict, context_data: dict) -> Response:
        done = Event()
        self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                    handle_result=partial(self.handle_result, done))
        result, exc_info = done.wait()
        if exc_info is not None:
            raise exc_info[1]
        return self.response_from_result(result)

    def _answer_once(self, request: Request, key: str, args: tuple, kwargs: dict,
                     context_data: dict) -> Response:
        print_ = fingerprint(request, body_bytes(request))
        db = self.runtime.client[database_name(context_data["tenant_id"], self.container.service_name)]
        records = IdempotencyRecords(db)
        replayed = records.replay(key, print_)
        if replayed is not None:
            return replayed
        context_data = {**context_data, "idempotency_key": key, "idempotency_fingerprint": print_}
        try:
            answer = self._answer(args, kwargs, context_data)
        except KeyInUse:
            raise  # the key's answer is the other request's to store
        except Exception as exc:
            answer = self.response_from_exception(exc)
        records.remember(key, print_, answer)
        return answer

    def handle_result(self, event, worker_ctx, result, exc_info):
        event.send((result, exc_info))
        return result, exc_info

    def _check_size(self, request: Request) -> None:
        limit = self.max_body or self.runtime.settings.max_body_bytes
        # The declared length is checked now. A chunked body (no length) is read through werkzeug's
        # limited stream, which stops one byte past the limit so that `body_bytes` can tell.
        # eventlet's server de-chunks the input, but does not tell werkzeug so.
        request.max_content_length = limit + 1
        if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
            request.environ["wsgi.input_terminated"] = True
        if (request.content_length or 0) > limit:
            raise TooLarge(f"the body is larger than {limit} bytes")

    def _context_for(self, request: Request, kwargs: dict) -> dict:
        if self.token_arg:
            tenant_id = tenant_of_token(kwargs[self.token_arg])
            if not self.runtime.served.serves(tenant_id):
                raise NotFound("no such link")
            return {"tenant_id": tenant_id, "role": "public"}
        if self.public:
            return {}
        principal = self.runtime.registry.authenticate(_bearer(request))
        if principal is None:
            raise Unauthenticated("a valid API key is required (Authorization: Bearer <key>)")
        if principal.role not in self.roles:
            raise Forbidden(f"the {principal.role} role may not do this")
        if principal.funder is not None:
            return {"role": principal.role, "key_id": principal.key_id, "funder": principal.funder}
        if not self.runtime.served.serves(principal.tenant_id):
            raise Forbidden("this instance does not serve your council")
        return {"tenant_id": principal.tenant_id, "role": principal.role, "key_id": principal.key_id}

    def response_from_result(self, result: object) -> Response:
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        if status == 204:
            return Response(status=204)
        return json_response(status, payload)

    def response_from_exception(self, exc: BaseException) -> Response:
        err = to_api_error(exc)
        if err.status >= 500:
            _log.error("unexpected error in %s %s", self.method, self.url, exc_info=exc)
        return json_response(err.status, error_body(err))


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


api = ApiEntrypoint.decorator
__all__ = ["api", "ApiEntrypoint", "json_body", "json_response", "html_response", "ADMIN", "STAFF", "READERS",
           "ApiError"]
