"""Calling a service as its OpenAPI document (``/openapi.json``) says it answers, checking every answer."""
from __future__ import annotations

import re
from collections import defaultdict

import requests
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

from services.common.openapi import api_entrypoints

URI = "urn:iec:openapi"  # where the answer schemas find the document's components


def served_routes(service_cls: type) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every HTTP entrypoint of ``service_cls``."""
    routes = set()
    for _, extension in api_entrypoints(service_cls):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", extension.url)
        routes |= {(method.lower(), path) for method in extension.method.split(",")}
    return routes


def operations(document: dict) -> set[tuple[str, str]]:
    """(method, path) of every operation the document describes."""
    return {(method, path) for path, item in document["paths"].items() for method in item
            if method != "parameters"}


class DocumentedCalls:
    """Calls the service and checks each answer against the document: its status is documented for
    the operation, and its body validates against that status's schema (a success's JSON request body
    against the documented request body too). Records the statuses each operation answered."""

    def __init__(self, base_url: str, document: dict):
        self.base_url, self.document = base_url.rstrip("/"), document
        self.registry = Registry().with_resource(URI, DRAFT4.create_resource(document))
        self.answered: dict[tuple[str, str], set[int]] = defaultdict(set)

    def __call__(self, key: str | None, method: str, template: str, *, json: object = None,
                 params: dict | None = None, data: bytes | None = None, content_type: str | None = None,
                 **path: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if content_type:
            headers["Content-Type"] = content_type
        answer = requests.request(method, self.base_url + template.format(**path), json=json, params=params,
                                  data=data, headers=headers, timeout=30)
        self.check(method.lower(), template, answer, json)
        self.answered[method.lower(), template].add(answer.status_code)
        return answer

    def check(self, method: str, template: str, answer: requests.Response, request_body: object) -> None:
        """Fail unless ``answer`` is as the document says ``method template`` answers."""
        status = str(answer.status_code)
        responses = self.document["paths"][template][method]["responses"]
        assert status in responses, f"{method} {template}: {status} is not documented ({answer.text})"
        schema_at = ("paths", template, method, "responses", status, "content", "application/json", "schema")
        if "content" not in responses[status]:
            assert status != "204" or answer.content == b"", f"{method} {template}: 204 with a body"
            return
        media = answer.headers.get("Content-Type", "").split(";")[0]
        assert media in responses[status]["content"], f"{method} {template} {status}: {media} undocumented"
        if media != "application/json":
            return  # an HTML page (services.common.openapi.Page): text, nothing to validate
        self.assert_valid(answer.json(), schema_at, f"{method} {template} {status}")
        if answer.ok and request_body is not None:
            request_at = ("paths", template, method, "requestBody", "content", "application/json", "schema")
            self.assert_valid(request_body, request_at, f"{method} {template} request body")

    def assert_valid(self, instance: object, pointer: tuple[str, ...], what: str) -> None:
        """Fail, naming every problem, unless ``instance`` validates against the schema at ``pointer``."""
        escaped = "/".join(part.replace("~", "~0").replace("/", "~1") for part in pointer)
        validator = OAS30Validator({"$ref": f"{URI}#/{escaped}"}, registry=self.registry,
                                   format_checker=oas30_format_checker)
        problems = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                    for error in validator.iter_errors(instance)]
        assert not problems, f"{what} differs from the document: {problems}"

    def fails(self, status: int, key: str | None, method: str, template: str, **kwargs) -> None:
        """A call that must answer the error ``status``."""
        answer = self(key, method, template, **kwargs)
        assert answer.status_code == status, answer.text

    def created(self, key: str | None, method: str, template: str, **kwargs) -> dict:
        """The JSON of a call that must succeed (2xx)."""
        answer = self(key, method, template, **kwargs)
        assert answer.ok, answer.text
        return answer.json()
