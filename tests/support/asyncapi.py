"""The AsyncAPI document of ``iec.outcomes`` (docs/asyncapi/iec-outcomes.yaml), and checking an
outcome event against its message's payload schema: what the unit tests check the document with, and
what the integration tests check every event a real subscriber receives with."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
DOCUMENT_URI = "urn:iec:outcomes"


@cache
def asyncapi_document() -> dict:
    """The AsyncAPI document of `iec.outcomes`, parsed."""
    return yaml.safe_load((ASYNCAPI / "iec-outcomes.yaml").read_text(encoding="utf-8"))


@cache
def _message_validators() -> dict[str, Draft7Validator]:
    document = asyncapi_document()
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(
        document, default_specification=DRAFT7))
    validators = {}
    for key, message in document["components"]["messages"].items():
        schema = {"$ref": f"{DOCUMENT_URI}#/components/messages/{key}/payload"}
        validators[message["name"]] = Draft7Validator(schema, registry=registry,
                                                      format_checker=Draft7Validator.FORMAT_CHECKER)
    return validators


def outcome_schema_errors(event: dict) -> list[str]:
    """Why `event` does not match its message in the AsyncAPI document (empty when it does)."""
    validator = _message_validators().get(event.get("type"))
    if validator is None:
        return [f"no message {event.get('type')!r} in the AsyncAPI document"]
    return [f"{'/'.join(map(str, error.absolute_path)) or '(event)'}: {error.message}"
            for error in validator.iter_errors(event)]


def assert_valid_outcome(event: dict) -> None:
    """Fail naming every difference between `event` and its message schema."""
    errors = outcome_schema_errors(event)
    assert not errors, f"{event.get('type')} does not match docs/asyncapi/iec-outcomes.yaml: {errors}"
