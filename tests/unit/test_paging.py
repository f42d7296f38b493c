"""Paged lists: `{items, next}` from a read of `limit + 1`, and the same `limit`/`after` query fields."""
import pytest
from marshmallow import Schema, ValidationError

from services.common.paging import after_field, limit_field, page


def test_a_full_page_with_more_behind_it_points_at_its_last_item():
    assert page([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}], 2) == {"items": [{"_id": "a"}, {"_id": "b"}],
                                                                   "next": "b"}


def test_the_last_page_has_no_next():
    assert page([{"_id": "a"}, {"_id": "b"}], 2) == {"items": [{"_id": "a"}, {"_id": "b"}], "next": None}
    assert page([], 2) == {"items": [], "next": None}


def test_the_cursor_can_be_another_field():
    assert page([{"id": "x"}, {"id": "y"}], 1, key="id")["next"] == "x"


class Query(Schema):
    limit = limit_field(maximum=200)
    after = after_field()


def test_limit_defaults_to_50_and_after_is_optional():
    assert Query().load({}) == {"limit": 50}


def test_limit_is_bounded_by_the_endpoints_maximum():
    assert Query().load({"limit": "200", "after": "n1"}) == {"limit": 200, "after": "n1"}
    with pytest.raises(ValidationError) as raised:
        Query().load({"limit": "201", "after": ""})
    assert raised.value.messages == {
        "limit": ["Must be greater than or equal to 1 and less than or equal to 200."],
        "after": ["Length must be between 1 and 100."]}
