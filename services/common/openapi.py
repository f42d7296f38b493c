"""OpenAPI 3 documents generated from a service class: its ``@api`` entrypoints and their schemas.

An entrypoint declares what it takes and answers as marshmallow schemas
(``@api("POST", "/v1/employers", body=EmployerSchema, answer=EmployerAnswer, status=201)``); this
module turns the class into a document with apispec, so the document cannot drift from the code.
An HTML page (a respondent's form) declares ``answer=Page``, or a ``Page`` whose ``json`` is what a
JSON request gets instead. The error statuses follow from the route: 400 and 404 always; 401 and
403 unless public; 409 for a write that takes an ``Idempotency-Key`` (the key reused for another
request); 413 for a route with a body; ``conflicts`` adds others (a 409 of the route's own, a 410).
"""
from __future__ import annotations

import inspect
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.http import ApiEntrypoint
from services.common.idempotency import WRITE_METHODS
from services.common.metrics import package_version

_PATH_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_ERRORS = {400: "VALIDATION_ERROR: every bad field named", 401: "UNAUTHENTICATED", 403: "FORBIDDEN (role)",
           404: "NOT_FOUND (also another council's id)", 409: "CONFLICT", 410: "GONE", 413: "TOO_LARGE"}
_HTML = {"text/html": {"schema": {"type": "string"}}}


class ErrorSchema(Schema):
    """The body of every error answer (API.md, Common)."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


class Page:
    """``answer=Page``: the route answers an HTML page, and so do its errors where a person reads them
    (a JSON request gets the error body). A subclass whose ``json`` is a schema answers a JSON request
    with that schema; a page's ``body`` comes as JSON or as a form."""

    json: type[Schema] | None = None


def api_entrypoints(service_cls: type) -> list[tuple[str, ApiEntrypoint]]:
    """(method name, entrypoint) of every ``@api`` entrypoint of a service class, by URL then method."""
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for extension in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, ApiEntrypoint):
                found.append((name, extension))
    return sorted(found, key=lambda item: (item[1].url, item[1].method))


def _error_statuses(entry: ApiEntrypoint, method: str) -> list[int]:
    errors = {400, 404, *entry.conflicts}
    if not entry.public:
        errors |= {401, 403}
    # an Idempotency-Key is honoured on a write whose caller names a council (a key, or a link's token)
    if entry.idempotent and method in WRITE_METHODS and (entry.token_arg or not entry.public):
        errors.add(409)
    if entry.body is not None or entry.max_body is not None:
        errors.add(413)
    return sorted(errors)


def _operation(name: str, entry: ApiEntrypoint, method: str, function: Any) -> dict:
    doc = inspect.getdoc(function) or name
    operation: dict = {"operationId": name, "summary": doc.splitlines()[0], "responses": {}}
    args = _PATH_ARG.findall(entry.url)
    if args:
        operation["parameters"] = [{"name": a, "in": "path", "required": True, "schema": {"type": "string"}}
                                   for a in args]
    if entry.query is not None:
        operation.setdefault("parameters", []).append({"in": "query", "schema": entry.query})
    page = isinstance(entry.answer, type) and issubclass(entry.answer, Page)
    if entry.body is not None:
        kinds = ("application/json", "application/x-www-form-urlencoded") if page else ("application/json",)
        operation["requestBody"] = {"required": True,
                                    "content": {kind: {"schema": entry.body} for kind in kinds}}
    answer = {"description": "success"}
    if page:
        json = {"application/json": {"schema": entry.answer.json}} if entry.answer.json else {}
        answer["content"] = {**_HTML, **json}
    elif entry.answer is not None:
        answer["content"] = {"application/json": {"schema": entry.answer}}
    operation["responses"][str(entry.status)] = answer
    for status in _error_statuses(entry, method):
        error = {**(_HTML if page else {}), "application/json": {"schema": ErrorSchema}}
        operation["responses"][str(status)] = {"description": _ERRORS[status], "content": error}
    if not entry.public:
        operation["security"] = [{"apiKey": []}]
        operation["description"] = f"Roles: {', '.join(entry.roles)}."
    return operation


def build(service_cls: type, server: str = "") -> dict:
    """The OpenAPI 3 document of a service class."""
    spec = APISpec(title=f"IEC {service_cls.name}", version=package_version(), openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], servers=[{"url": server}] if server else [])
    spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict] = {}
    for name, entry in api_entrypoints(service_cls):
        path = _PATH_ARG.sub(r"{\1}", entry.url)
        for method in entry.method.split(","):
            paths.setdefault(path, {})[method.lower()] = _operation(name, entry, method,
                                                                    getattr(service_cls, name))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
