"""OpenAPI 3 documents generated from a service class: its ``@api`` entrypoints and their schemas.

An entrypoint declares what it takes and answers as marshmallow schemas
(``@api("POST", "/v1/employers", body=EmployerSchema, answer=EmployerAnswer, status=201)``); this
module turns the class into a document with apispec, so the document cannot drift from the code.
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
from services.common.metrics import package_version

_PATH_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_ERRORS = {400: "VALIDATION_ERROR: every bad field named", 401: "UNAUTHENTICATED", 403: "FORBIDDEN (role)",
           404: "NOT_FOUND (also another council's id)", 409: "CONFLICT", 413: "TOO_LARGE"}


class ErrorSchema(Schema):
    """The body of every error answer (API.md, Common)."""

    error = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)


def api_entrypoints(service_cls: type) -> list[tuple[str, ApiEntrypoint]]:
    """(method name, entrypoint) of every ``@api`` entrypoint of a service class, by URL then method."""
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for extension in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, ApiEntrypoint):
                found.append((name, extension))
    return sorted(found, key=lambda item: (item[1].url, item[1].method))


def _operation(name: str, entry: ApiEntrypoint, function: Any) -> dict:
    doc = inspect.getdoc(function) or name
    operation: dict = {"operationId": name, "summary": doc.splitlines()[0], "responses": {}}
    args = _PATH_ARG.findall(entry.url)
    if args:
        operation["parameters"] = [{"name": a, "in": "path", "required": True, "schema": {"type": "string"}}
                                   for a in args]
    if entry.query is not None:
        operation.setdefault("parameters", []).append({"in": "query", "schema": entry.query})
    if entry.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": entry.body}}}
    answer = {"description": "success"}
    if entry.answer is not None:
        answer["content"] = {"application/json": {"schema": entry.answer}}
    operation["responses"][str(entry.status)] = answer
    errors = [400, 404] + ([] if entry.public else [401, 403]) + list(entry.conflicts)
    for status in sorted(set(errors)):
        operation["responses"][str(status)] = {
            "description": _ERRORS[status], "content": {"application/json": {"schema": ErrorSchema}}}
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
            paths.setdefault(path, {})[method.lower()] = _operation(name, entry, getattr(service_cls, name))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
