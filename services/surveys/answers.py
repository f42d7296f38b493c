"""Validating a respondent's answers against an instrument, with messages in English or French.

Answers come from a JSON body (typed values) or a form (strings; a multi as repeated field names).
Clean values: likert5 an int 1..5 or "na"; yes_no "yes" or "no"; single a code; multi a list of codes
in the options' order; number an int or float; date an ISO "YYYY-MM-DD" string (kept as text so that
answers go into events and MongoDB as they are); text a stripped string. This module does no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from services.surveys.instruments import NONE_OPTION, TEXT_MAX_LENGTH, Instrument, Item, Text, items_for_role

LIKERT_VALUES = ("1", "2", "3", "4", "5", "na")
YES_NO_VALUES = ("yes", "no")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,15}$")
_DECIMAL = re.compile(r"^[+-]?(\d{1,15}(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")

MESSAGES: dict[str, dict[str, str]] = {
    "missing": {
        "en": "Missing data for required field.",
        "fr": "Donnée manquante pour un champ obligatoire.",
    },
    "unknown": {"en": "Unknown item.", "fr": "Question inconnue."},
    "one_of": {
        "en": "Must be one of: {choices}.",
        "fr": "Doit être l'une des valeurs suivantes : {choices}.",
    },
    "contains_only": {
        "en": "One or more of the choices you made was not among: {choices}.",
        "fr": "Un ou plusieurs de vos choix ne figurent pas parmi : {choices}.",
    },
    "none_exclusive": {
        "en": "\u201c{label}\u201d cannot be combined with other choices.",
        "fr": "\u00ab\u00a0{label}\u00a0\u00bb ne peut pas être combiné avec d'autres choix.",
    },
    "one_answer": {"en": "Only one answer is allowed.", "fr": "Une seule réponse est permise."},
    "not_list": {"en": "Not a valid list.", "fr": "Liste non valide."},
    "not_number": {"en": "Not a valid number.", "fr": "Nombre non valide."},
    "range": {
        "en": "Must be greater than or equal to {min} and less than or equal to {max}.",
        "fr": "Doit être supérieur ou égal à {min} et inférieur ou égal à {max}.",
    },
    "range_min": {
        "en": "Must be greater than or equal to {min}.",
        "fr": "Doit être supérieur ou égal à {min}.",
    },
    "range_max": {
        "en": "Must be less than or equal to {max}.",
        "fr": "Doit être inférieur ou égal à {max}.",
    },
    "not_date": {"en": "Not a valid date (YYYY-MM-DD).", "fr": "Date non valide (AAAA-MM-JJ)."},
    "not_string": {"en": "Not a valid string.", "fr": "Texte non valide."},
    "too_long": {
        "en": "Longer than maximum length {max}.",
        "fr": "Dépasse la longueur maximale de {max} caractères.",
    },
}


class InvalidAnswer(Exception):
    """An answer that does not fit its item: a message key of MESSAGES and its parameters."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str) -> str:
        """The message in `lang` (English for a language the platform does not have)."""
        texts = MESSAGES[self.key]
        params = {key: _localised(value, lang) for key, value in self.params.items()}
        return texts.get(lang, texts["en"]).format(**params)


def _localised(value: Any, lang: str) -> Any:
    return value.get(lang) if isinstance(value, Text) else value


def message(key: str, lang: str, **params: Any) -> str:
    """One message of MESSAGES in `lang`."""
    return InvalidAnswer(key, **params).message(lang)


def validate_answers(
    instrument: Instrument, role: str, raw: Mapping, lang: str = "en"
) -> tuple[dict, dict]:
    """Check `raw` answers of a respondent in `role`: (clean {item_id: value}, errors {item_id: [message]}).

    Only the items shown to `role` may be answered; any other key is an "Unknown item.". Blank
    answers count as missing. Messages are in `lang`.
    """
    values = as_lists(raw)
    items = {item.id: item for item in items_for_role(instrument, role)}
    errors = {key: [message("unknown", lang)] for key in values if key not in items}
    clean: dict = {}
    for item in items.values():
        try:
            value = parse_answer(item, values.get(item.id, []))
        except InvalidAnswer as invalid:
            errors[item.id] = [invalid.message(lang)]
            continue
        if value is not None:
            clean[item.id] = value
        elif _is_required(item, clean):
            errors[item.id] = [message("missing", lang)]
    return clean, errors


def coded_answers(instrument: Instrument, answers: Mapping) -> dict:
    """The answers that go into the `response.submitted` event: every coded one, no free text."""
    return {key: value for key, value in answers.items() if (item := instrument.item(key)) and item.coded}


def as_lists(raw: Mapping) -> dict[str, list]:
    """Every raw answer as a list of values, whether from JSON, a form dict or a werkzeug MultiDict."""
    if hasattr(raw, "getlist"):
        return {key: raw.getlist(key) for key in raw}
    return {key: list(value) if isinstance(value, (list, tuple)) else [value] for key, value in raw.items()}


def _is_required(item: Item, clean: Mapping) -> bool:
    """Required outright, or because the multi item it goes with has an answer other than `none`."""
    if item.required:
        return True
    return bool(item.required_with) and any(code != NONE_OPTION for code in clean.get(item.required_with, ()))


def parse_answer(item: Item, values: list) -> Any:
    """The clean value of one item from its raw values; None when unanswered; InvalidAnswer if bad."""
    present = [value for value in values if not _blank(value)]
    if not present:
        return None
    if item.type == "multi":
        return _parse_multi(item, present)
    if len(present) > 1:
        raise InvalidAnswer("one_answer")
    return _PARSERS[item.type](item, present[0])


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _parse_likert(item: Item, value: Any) -> int | str:
    code = _code(value)
    if code not in LIKERT_VALUES:
        raise InvalidAnswer("one_of", choices=", ".join(LIKERT_VALUES))
    return code if code == "na" else int(code)


def _parse_yes_no(item: Item, value: Any) -> str:
    code = {True: "yes", False: "no"}[value] if isinstance(value, bool) else _code(value)
    if code not in YES_NO_VALUES:
        raise InvalidAnswer("one_of", choices=", ".join(YES_NO_VALUES))
    return code


def _parse_single(item: Item, value: Any) -> str:
    code = _code(value)
    if code not in item.option_values():
        raise InvalidAnswer("one_of", choices=", ".join(item.option_values()))
    return code


def _parse_multi(item: Item, values: list) -> list[str]:
    codes = {_code(value) for value in values}
    allowed = item.option_values()
    if not codes <= set(allowed):
        raise InvalidAnswer("contains_only", choices=", ".join(allowed))
    if NONE_OPTION in codes and len(codes) > 1:
        raise InvalidAnswer("none_exclusive", label=item.option(NONE_OPTION).label)
    return [code for code in allowed if code in codes]


def _parse_number(item: Item, value: Any) -> int | float:
    number = _number(value)
    low, high = item.min, item.max
    if (low is not None and number < low) or (high is not None and number > high):
        raise _range_error(low, high)
    return number


def _parse_date(item: Item, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not _DATE.match(text):
        raise InvalidAnswer("not_date")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:  # well formed but not a day of the calendar, e.g. 2024-02-30
        raise InvalidAnswer("not_date") from None


def _parse_text(item: Item, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidAnswer("not_string")
    text = value.strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidAnswer("too_long", max=TEXT_MAX_LENGTH)
    return text


_PARSERS: dict[str, Callable[[Item, Any], Any]] = {
    "likert5": _parse_likert,
    "yes_no": _parse_yes_no,
    "single": _parse_single,
    "number": _parse_number,
    "date": _parse_date,
    "text": _parse_text,
}


def _code(value: Any) -> str | None:
    """A choice as its code: strings as they are (trimmed, lower case), JSON integers as digits."""
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidAnswer("not_number")
    if isinstance(value, str):
        value = _number_from_text(value.strip())
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidAnswer("not_number")
    return value


def _number_from_text(text: str) -> int | float:
    if _INTEGER.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return float(text)
    raise InvalidAnswer("not_number")


def _range_error(low: float | None, high: float | None) -> InvalidAnswer:
    if low is not None and high is not None:
        return InvalidAnswer("range", min=format_bound(low), max=format_bound(high))
    if low is not None:
        return InvalidAnswer("range_min", min=format_bound(low))
    return InvalidAnswer("range_max", max=format_bound(high))


def format_bound(number: float) -> str:
    """A number item's bound as messages and the form show it (``-100``, ``2.5``)."""
    return f"{number:g}"

