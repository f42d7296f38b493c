"""The schema of an instrument: as staff post it (``POST /v1/instruments``), as it is stored and listed.

Loading makes an ``instruments.Instrument`` and checks what ties its fields together: options only
on choice items, bounds only on number items, unique item ids, item roles within the instrument's,
``required_with`` naming a multi item, and the standard items the indicators read kept
(``standard.missing_standard_items``). JSON types are taken strictly (``services.common.fields``).
This module does no I/O.
"""
from __future__ import annotations

import math

from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validate, validates_schema

from services.common.fields import StrictBoolean, StrictInteger
from services.surveys.instruments import (
    CHOICE_TYPES,
    ID_PATTERN,
    ITEM_TYPES,
    OPTION_PATTERN,
    ROLES,
    WAVES,
    Instrument,
    Item,
    Option,
    Text,
)
from services.surveys.standard import missing_standard_items

_KEEP_NONE = ("required",)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


class TextSchema(Schema):
    """A text in English and French, both required and not blank."""

    en = fields.String(required=True, validate=[validate.Length(max=1000), _not_blank])
    fr = fields.String(required=True, validate=[validate.Length(max=1000), _not_blank])

    @post_load
    def make(self, data: dict, **kwargs) -> Text:
        return Text(data["en"].strip(), data["fr"].strip())


class OptionSchema(Schema):
    """One option of a choice item."""

    value = fields.String(required=True, validate=validate.Regexp(OPTION_PATTERN))
    label = fields.Nested(TextSchema, required=True)

    @post_load
    def make(self, data: dict, **kwargs) -> Option:
        return Option(**data)


class ItemSchema(Schema):
    """One item; the rules that tie its fields together live in `check_consistency`."""

    id = fields.String(required=True, validate=validate.Regexp(ID_PATTERN))
    type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    text = fields.Nested(TextSchema, required=True)
    options = fields.List(fields.Nested(OptionSchema), load_default=())
    required = StrictBoolean(load_default=False)
    min = fields.Float(allow_none=True, load_default=None, allow_nan=False)
    max = fields.Float(allow_none=True, load_default=None, allow_nan=False)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), allow_none=True, load_default=None,
                        validate=validate.Length(min=1))
    required_with = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(ID_PATTERN))

    @validates_schema
    def check_consistency(self, data: dict, **kwargs) -> None:
        errors = {**_option_errors(data), **_bound_errors(data)}
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data: dict, **kwargs) -> Item:
        roles = tuple(data["roles"]) if data["roles"] is not None else None
        return Item(**{**data, "options": tuple(data["options"]), "roles": roles})

    @post_dump
    def drop_empty(self, data: dict, **kwargs) -> dict:
        return {key: value for key, value in data.items() if value not in (None, []) or key in _KEEP_NONE}


def _option_errors(data: dict) -> dict:
    options = data.get("options") or ()
    if data.get("type") not in CHOICE_TYPES:
        return {"options": ["Only single and multi items have options."]} if options else {}
    values = [option.value for option in options]
    if len(values) < 2:
        return {"options": ["A single or multi item needs at least 2 options."]}
    if len(set(values)) != len(values):
        return {"options": ["Option values must be unique."]}
    return {}


def _bound_errors(data: dict) -> dict:
    low, high = data.get("min"), data.get("max")
    if data.get("type") != "number":
        return {"min": ["Only number items have bounds."]} if (low, high) != (None, None) else {}
    if any(bound is not None and math.isinf(bound) for bound in (low, high)):
        return {"min": ["Bounds must be finite."]}
    if low is not None and high is not None and low >= high:
        return {"max": ["Must be greater than min."]}
    return {}


class InstrumentSchema(Schema):
    """An instrument as posted by staff (API.md), loaded into an `Instrument`; dumps to JSON-able dicts."""

    key = fields.String(required=True, validate=validate.Regexp(ID_PATTERN))
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    wave = fields.String(required=True, validate=validate.OneOf(WAVES))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def check_items(self, data: dict, **kwargs) -> None:
        errors = _item_errors(data.get("items") or [], data.get("roles") or [])
        if errors:
            raise ValidationError({"items": errors})
        missing = missing_standard_items(data.get("wave"), data.get("roles") or [], data.get("items") or [])
        if missing:
            raise ValidationError({"items": [
                f"Must keep the standard items the indicators read for {role}: {', '.join(ids)}."
                for role, ids in missing.items()]})

    @post_load
    def make(self, data: dict, **kwargs) -> Instrument:
        return Instrument(data["key"], data["version"], data["wave"], tuple(dict.fromkeys(data["roles"])),
                          tuple(data["items"]))


def _item_errors(items: list[Item], roles: list[str]) -> dict:
    """Rules between items: unique ids, item roles within the instrument's, `required_with` resolvable."""
    errors: dict = {}
    seen: set[str] = set()
    by_id = {item.id: item for item in items}
    for index, item in enumerate(items):
        problem = _item_problem(item, seen, roles, by_id)
        if problem:
            errors[index] = {problem[0]: [problem[1]]}
        seen.add(item.id)
    return errors


def _item_problem(item: Item, seen: set[str], roles: list[str], by_id: dict[str, Item]) -> tuple | None:
    if item.id in seen:
        return "id", "Item ids must be unique."
    if item.roles is not None and not set(item.roles) <= set(roles):
        return "roles", "Must be roles of the instrument."
    target = by_id.get(item.required_with) if item.required_with else None
    if item.required_with and (target is None or target.type != "multi"):
        return "required_with", "Must name a multi item of this instrument."
    return None


def load_instrument(data: dict) -> Instrument:
    """Validate and load a posted instrument; raises marshmallow's ValidationError naming each bad field."""
    return InstrumentSchema().load(data)


def dump_instrument(instrument: Instrument) -> dict:
    """An instrument as a JSON-able dict, the same shape `load_instrument` accepts."""
    return InstrumentSchema().dump(instrument)
