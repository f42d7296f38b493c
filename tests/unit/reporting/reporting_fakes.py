"""A small in-memory stand-in for a tenant database, enough for reporting's projector (unit tier).

It answers the calls `services/reporting/storage.py` makes: equality filters (dotted paths, and a
value inside an array field), `$set` with upsert, replace, delete, and `sort` on one field.
"""

from __future__ import annotations

import copy
from typing import Any


def _value(doc: dict, path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _matches(doc: dict, where: dict) -> bool:
    for path, wanted in where.items():
        found = _value(doc, path)
        if not (found == wanted or (isinstance(found, list) and wanted in found)):
            return False
    return True


class _Cursor(list):
    def sort(self, key: str, direction: int = 1) -> _Cursor:
        return _Cursor(sorted(self, key=lambda doc: _value(doc, key) or "", reverse=direction < 0))


class FakeCollection:
    def __init__(self) -> None:
        self.docs: dict[Any, dict] = {}

    def find(self, where: dict | None = None, projection: dict | None = None) -> _Cursor:
        return _Cursor(copy.deepcopy(doc) for doc in self.docs.values() if _matches(doc, where or {}))

    def find_one(self, where: dict) -> dict | None:
        found = self.find(where)
        return found[0] if found else None

    def insert_one(self, doc: dict) -> None:
        if doc["_id"] in self.docs:
            raise KeyError(f"duplicate _id {doc['_id']}")
        self.docs[doc["_id"]] = copy.deepcopy(doc)

    def update_one(self, where: dict, update: dict, upsert: bool = False) -> None:
        doc = self.find_one(where) or ({"_id": where["_id"]} if upsert else None)
        if doc is not None:
            doc.update(copy.deepcopy(update["$set"]))
            self.docs[doc["_id"]] = doc

    def replace_one(self, where: dict, doc: dict, upsert: bool = False) -> None:
        if upsert or where["_id"] in self.docs:
            self.docs[where["_id"]] = copy.deepcopy({**doc, "_id": where["_id"]})

    def delete_one(self, where: dict) -> None:
        self.docs.pop(where["_id"], None)

    def delete_many(self, where: dict) -> None:
        for doc in self.find(where):
            self.docs.pop(doc["_id"])

    def count_documents(self, where: dict) -> int:
        return len(self.find(where))


class FakeDb(dict):
    """Collections by name, made on first use."""

    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection()
        return self[name]
