"""A participants CSV: its columns, its header, and each row checked as a registration would be.

The columns are the fields of ``ImportRowSchema`` (the schema of ``POST /v1/participants`` plus
the optional enrolment columns), a nested field flattened as ``<field>_<subfield>``
(``consent_surveys``); the header must name every required one, and nothing else. Cells are text:
an empty cell is an absent value, integer and boolean columns are converted before the schema
sees them (booleans as true/false, yes/no or 1/0, in any case), and whatever does not convert is
left for the schema to name. Cells are separated by commas, or by semicolons when the header has
more of those (spreadsheets save CSV so where the decimal separator is a comma, as in French).
No I/O beyond the text stream given.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TextIO

from marshmallow import Schema, ValidationError, fields

from services.common.errors import BadRequest
from services.intake.schemas import ImportRowSchema

_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")  # longer is out of every range, and int() of it is costly
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that are not UTF-8


@dataclass(frozen=True)
class Column:
    """Where a column's cells go: the field path (``("consent", "surveys")``) and its schema field."""

    path: tuple[str, ...]
    field: fields.Field
    required: bool


@dataclass(frozen=True)
class Row:
    """One record of the file: the line it starts on, its cells, and its loaded fields or its errors
    by column."""

    line: int
    cells: list[str]
    fields: dict | None = None
    errors: dict | None = None


def columns(schema: Schema) -> dict[str, Column]:
    """Every column a file may have, by name."""
    found: dict[str, Column] = {}
    for name, field in schema.fields.items():
        if isinstance(field, fields.Nested):
            for sub_name, sub_field in field.schema.fields.items():
                found[f"{name}_{sub_name}"] = Column((name, sub_name), sub_field,
                                                     field.required and sub_field.required)
        else:
            found[name] = Column((name,), field, field.required)
    return found


class ParticipantRows:
    """The rows of a CSV text stream; reading the header at construction raises BadRequest (400)
    when it does not name the columns. Iterating yields a ``Row`` per non-blank record."""

    def __init__(self, text: TextIO):
        self._schema = ImportRowSchema()
        self._columns = columns(self._schema)
        first = text.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self._reader = csv.reader(chain([first] if first else [], text), delimiter=delimiter, strict=True)
        self.header = self._read_header()

    def __iter__(self) -> Iterator[Row]:
        while True:
            line = self._reader.line_num + 1  # a quoted cell may span lines: a row is where it starts
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(line, [], errors={"_schema": [f"Not valid CSV: {exc}."]})
                continue
            if any(cell.strip() for cell in cells):  # blank lines and rows of empty cells are skipped
                yield self.load(line, cells)

    def _read_header(self) -> list[str]:
        try:
            names = [cell.strip().lower() for cell in next(self._reader)]
        except StopIteration:
            raise BadRequest("the file is empty", fields={"_schema": ["Expected a header row."]}) from None
        except csv.Error as exc:
            raise BadRequest("the header row is not valid CSV", fields={"_schema": [f"{exc}."]}) from None
        if any(_UNDECODABLE.search(name) for name in names):
            raise BadRequest("the header row is not UTF-8 text", fields={"_schema": ["Expected UTF-8 text."]})
        problems = header_problems(names, self._columns)
        if problems:
            raise BadRequest("the header row does not name the participant columns", fields=problems)
        return names

    def load(self, line: int, cells: list[str]) -> Row:
        """The row of these cells, checked: with its fields, or its errors."""
        if len(cells) != len(self.header):
            counted = f"Expected {len(self.header)} cells, found {len(cells)}."
            return Row(line, cells, errors={"_schema": [counted]})
        undecodable = {name: ["Not UTF-8 text."] for name, cell in zip(self.header, cells, strict=True)
                       if _UNDECODABLE.search(cell)}
        if undecodable:
            return Row(line, cells, errors=undecodable)
        try:
            return Row(line, cells, fields=self._schema.load(self._input(cells)))
        except ValidationError as exc:
            return Row(line, cells, errors=_by_column(exc.messages))

    def _input(self, cells: list[str]) -> dict:
        data: dict = {}
        for name, cell in zip(self.header, cells, strict=True):
            column, text = self._columns[name], cell.strip()
            target = data
            for key in column.path[:-1]:
                target = target.setdefault(key, {})
            if text:
                target[column.path[-1]] = _converted(column.field, text)
        return data


def header_problems(names: list[str], known: dict[str, Column]) -> dict[str, list[str]]:
    """What is wrong with a header row, by column name: unknown, repeated, missing or unnamed."""
    if not set(names) & set(known):
        # most likely no header at all: the first row is data, and is not echoed back as column names
        return {"_schema": [f"Expected a header row naming the columns ({', '.join(known)})."]}
    problems: dict[str, list[str]] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            problems.setdefault("_schema", []).append(f"Column {position} has no name.")
        elif name not in known:
            problems[name] = ["Unknown column."]
        elif names.count(name) > 1:
            problems[name] = ["Named more than once."]
    for name, column in known.items():
        if column.required and name not in names:
            problems[name] = ["Missing column."]
    return problems


def _converted(field: fields.Field, text: str) -> object:
    if isinstance(field, fields.Boolean):
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    if isinstance(field, fields.Integer) and _INTEGER.match(text):
        return int(text)
    return text


def _by_column(messages: dict) -> dict:
    """marshmallow's messages keyed by column: ``{"consent": {"surveys": m}}`` -> ``consent_surveys``."""
    flat: dict = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{sub}": sub_messages for sub, sub_messages in value.items()})
        else:
            flat[key] = value
    return flat
