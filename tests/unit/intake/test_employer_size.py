"""An employer's size class: small under 100 employees, medium 100-499, large from 500."""

import pytest
from marshmallow import ValidationError

from services.intake.employers import resolve_size_class, size_class_for


@pytest.mark.parametrize(
    ("employees", "size_class"),
    [(1, "small"), (99, "small"), (100, "medium"), (499, "medium"), (500, "large"), (20000, "large")],
)
def test_size_class_follows_the_employee_count(employees, size_class):
    assert size_class_for(employees) == size_class


def test_a_given_size_class_stands_without_a_count():
    assert resolve_size_class("medium", None) == "medium"


def test_a_count_alone_gives_the_size_class():
    assert resolve_size_class(None, 250) == "medium"


def test_a_size_class_that_agrees_with_the_count_is_accepted():
    assert resolve_size_class("large", 500) == "large"


def test_a_size_class_that_contradicts_the_count_is_refused_naming_size_class():
    with pytest.raises(ValidationError) as refused:
        resolve_size_class("small", 250)
    assert refused.value.messages == {"size_class": ["Does not match employee_count 250, which is medium."]}


def test_neither_size_class_nor_count_is_refused():
    with pytest.raises(ValidationError) as refused:
        resolve_size_class(None, None)
    assert refused.value.messages == {"size_class": ["Give size_class or employee_count."]}
