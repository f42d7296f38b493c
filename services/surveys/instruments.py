"""Survey instruments: the model. The standard CAIP instruments are in ``standard``, the schema of an
instrument staff post (and of one stored) in ``instrument_schema``.

An instrument is data: a key, a version, the wave it is sent at, the respondent roles it is sent to
and its items. Each item has an id (the answer key, stable across versions and used by the
indicators of INDICATORS.md), a type, a text in English and French, options for choice items and
optionally the roles that see it. This module does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

WAVES = ("baseline", "post", "fu3", "fu12")
ROLES = ("newcomer", "manager", "hr_leader", "senior_leader", "trainer", "mentor", "mentee")
ITEM_TYPES = ("likert5", "yes_no", "single", "multi", "number", "date", "text")
CHOICE_TYPES = ("single", "multi")
LANGUAGES = ("en", "fr")
NONE_OPTION = "none"  # in a multi item, "none of these": it excludes every other option
TEXT_MAX_LENGTH = 2000
ID_PATTERN = r"^[a-z][a-z0-9_]{1,40}$"
OPTION_PATTERN = r"^[a-z0-9][a-z0-9_]{0,40}$"


@dataclass(frozen=True)
class Text:
    """A text in both languages of the platform."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        """The text in `lang`, English for a language the platform does not have."""
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Option:
    """One choice of a single or multi item: the coded value and its label."""

    value: str
    label: Text


@dataclass(frozen=True)
class Item:
    """One question. `roles` None means every role of the instrument sees it.

    `required_with` names a multi item: this item becomes required once that item has an answer
    other than `none` (e.g. the date of the first advancement).
    """

    id: str
    type: str
    text: Text
    options: tuple[Option, ...] = ()
    required: bool = False
    min: float | None = None
    max: float | None = None
    roles: tuple[str, ...] | None = None
    required_with: str | None = None

    @property
    def coded(self) -> bool:
        """Whether answers are codes or numbers (everything but free text)."""
        return self.type != "text"

    def option_values(self) -> tuple[str, ...]:
        """The coded values of the options, in their declared order."""
        return tuple(option.value for option in self.options)

    def option(self, value: str) -> Option | None:
        """The option with this value, or None."""
        return next((option for option in self.options if option.value == value), None)

    def shown_to(self, role: str) -> bool:
        """Whether a respondent in `role` sees this item."""
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire sent at one wave to the listed roles."""

    key: str
    version: int
    wave: str
    roles: tuple[str, ...]
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return next((item for item in self.items if item.id == item_id), None)


def items_for_role(instrument: Instrument, role: str) -> list[Item]:
    """The items a respondent in `role` answers, in order; none for a role the instrument is not for."""
    if role not in instrument.roles:
        return []
    return [item for item in instrument.items if item.shown_to(role)]
