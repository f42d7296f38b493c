"""Survey instruments: the model, the standard CAIP instruments, and the schema for staff-posted ones.

An instrument is data: a key, a version, the wave it is sent at, the respondent roles it is sent to
and its items. Each item has an id (the answer key, stable across versions and used by the
indicators of INDICATORS.md), a type, a text in English and French, options for choice items and
optionally the roles that see it. This module does no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from marshmallow import Schema, ValidationError, fields, post_dump, post_load, validate, validates_schema

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


# --- The standard CAIP instruments -------------------------------------------------------------

ALL_ROLES = ROLES
LEADERS = ("hr_leader", "senior_leader")


def _options(*pairs: tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, Text(en, fr)) for value, en, fr in pairs)


_NONE = (NONE_OPTION, "None of these", "Aucun de ces choix")


def _likert(item_id: str, en: str, fr: str, roles: tuple[str, ...] | None) -> Item:
    return Item(item_id, "likert5", Text(en, fr), required=True, roles=roles)


def _multi(item_id: str, en: str, fr: str, roles: tuple[str, ...] | None, *options) -> Item:
    return Item(item_id, "multi", Text(en, fr), _options(*options, _NONE), required=True, roles=roles)


def _text(item_id: str, en: str, fr: str, roles: tuple[str, ...] | None = None) -> Item:
    return Item(item_id, "text", Text(en, fr), roles=roles)


EMPLOYMENT_STATUS = Item(
    "employment_status", "single",
    Text("Which describes your work now?", "Laquelle de ces situations décrit votre travail actuel?"),
    _options(
        ("in_field_full_time", "Working full time in my field",
         "Je travaille à temps plein dans mon domaine"),
        ("in_field_part_time", "Working part time in my field",
         "Je travaille à temps partiel dans mon domaine"),
        ("outside_field", "Working outside my field", "Je travaille hors de mon domaine"),
        ("not_employed", "Not employed", "Je n'ai pas d'emploi"),
    ),
    required=True, roles=("mentee",),
)

CAIP_BASELINE = Instrument("caip_baseline", 1, "baseline", ALL_ROLES, (
    _likert("baseline_confidence", "I feel confident navigating my career advancement here.",
            "Je me sens en confiance pour gérer mon avancement professionnel ici.", ("newcomer", "mentee")),
    _likert("baseline_prepared", "I feel prepared to support newcomer team members' advancement.",
            "Je me sens outillé pour soutenir l'avancement des nouveaux arrivants de mon équipe.",
            ("manager",)),
    _text("baseline_goals", "What do you hope to gain from the program?",
          "Qu'espérez-vous retirer du programme?"),
))

CAIP_POST = Instrument("caip_post", 1, "post", ALL_ROLES, (
    _likert("satisfaction", "Overall, I was satisfied with the program.",
            "Dans l'ensemble, le programme m'a donné satisfaction.", None),
    _likert("knowledge_increased", "The program increased my knowledge of how career advancement works here.",
            "Le programme a accru mes connaissances sur le fonctionnement de l'avancement professionnel ici.",
            None),
    _text("comments", "Any other comments about the program?",
          "Avez-vous d'autres commentaires sur le programme?"),
))

CAIP_FU3 = Instrument("caip_fu3", 1, "fu3", ALL_ROLES, (
    _likert("confidence_navigating", "I am more confident navigating my career advancement.",
            "Je me sens plus en confiance pour gérer mon avancement professionnel.", ("newcomer",)),
    _multi("actions_taken", "Since the program, which of these have you done?",
           "Depuis le programme, lesquelles de ces actions avez-vous faites?", None,
           ("career_conversation", "Had a conversation about career development",
            "Eu une conversation sur le développement de carrière"),
           ("development_plan", "Made a development plan", "Établi un plan de développement"),
           ("networking", "Expanded my professional network", "Élargi mon réseau professionnel"),
           ("applied_for_role", "Applied for a new role", "Postulé à un nouveau poste"),
           ("sought_mentor", "Looked for a mentor", "Cherché un mentor"),
           ("other", "Something else", "Autre chose")),
    _multi("pd_opportunity", "Since the program, have you been offered any of the following?",
           "Depuis le programme, vous a-t-on offert l'une des possibilités suivantes?", ("newcomer",),
           ("training", "Training", "Une formation"),
           ("stretch_assignment", "A stretch assignment", "Une affectation de perfectionnement"),
           ("high_profile_project", "A high-profile project", "Un projet de grande visibilité"),
           ("new_assignment", "A new assignment", "Une nouvelle affectation"),
           ("mentor_or_sponsor", "A mentor or sponsor", "Un mentor ou un parrain")),
    _likert("prepared_to_support", "I feel more prepared to support newcomer team members' advancement.",
            "Je me sens mieux outillé pour soutenir l'avancement des nouveaux arrivants de mon équipe.",
            ("manager",)),
    _multi("manager_practices", "Which have you done with newcomer team members?",
           "Qu'avez-vous fait avec les nouveaux arrivants de votre équipe?", ("manager",),
           ("career_conversation", "Held a career conversation", "Tenu une conversation sur la carrière"),
           ("development_plan", "Created a development plan", "Élaboré un plan de développement"),
           ("sponsorship", "Sponsored someone for an opportunity",
            "Recommandé une personne pour une occasion (parrainage)"),
           ("stretch_assignment", "Offered a stretch assignment",
            "Offert une affectation de perfectionnement")),
    _likert("open_communication", "Conversations about career progression in my team are more open.",
            "Dans mon équipe, on parle plus ouvertement de progression de carrière.", ("manager",)),
    EMPLOYMENT_STATUS,
))

CAIP_FU12 = Instrument("caip_fu12", 1, "fu12", ("newcomer", *LEADERS, "mentee"), (
    _multi("advancement", "Since the program, have you had any of the following?",
           "Depuis le programme, avez-vous obtenu l'un des éléments suivants?", ("newcomer",),
           ("promotion", "A promotion", "Une promotion"),
           ("wage_increase", "A wage increase", "Une augmentation de salaire"),
           ("new_role", "A new role", "Un nouveau poste")),
    Item("advancement_date", "date",
         Text("When did the first of these happen?", "Quand le premier de ces changements a-t-il eu lieu?"),
         roles=("newcomer",), required_with="advancement"),
    Item("base_pay_change_pct", "number",
         Text("By what percentage has your base pay changed?",
              "De quel pourcentage votre salaire de base a-t-il changé?"),
         min=-100, max=1000, roles=("newcomer",)),
    _multi("org_changes", "Which changes has your organisation made?",
           "Quels changements votre organisation a-t-elle apportés?", LEADERS,
           ("policy", "Updated a policy or practice", "Mis à jour une politique ou une pratique"),
           ("promotion_criteria", "Revised promotion criteria", "Révisé les critères de promotion"),
           ("leader_training", "Trained its leaders", "Formé ses gestionnaires"),
           ("mentoring", "Started or expanded mentoring", "Lancé ou élargi du mentorat"),
           ("resource_group", "Created an employee resource group", "Créé un groupe-ressource d'employés"),
           ("continued_program", "Continued the program internally", "Poursuivi le programme à l'interne")),
    EMPLOYMENT_STATUS,
))

_STANDARD = (CAIP_BASELINE, CAIP_POST, CAIP_FU3, CAIP_FU12)
# the standard items of INDICATORS.md: the indicators read them, so no instrument may drop them
INDICATOR_ITEMS = frozenset((
    "satisfaction", "knowledge_increased", "confidence_navigating", "actions_taken", "pd_opportunity",
    "advancement", "advancement_date", "base_pay_change_pct", "prepared_to_support", "manager_practices",
    "open_communication", "org_changes", "employment_status"))


def standard_instruments() -> list[Instrument]:
    """The standard CAIP instruments, one per wave, that every tenant has from the start."""
    return list(_STANDARD)


def standard_instrument_for(wave: str) -> Instrument:
    """The standard CAIP instrument sent at `wave`; KeyError for an unknown wave."""
    for instrument in _STANDARD:
        if instrument.wave == wave:
            return instrument
    raise KeyError(wave)


# --- The schema of an instrument posted by staff ---------------------------------------------

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
    required = fields.Boolean(load_default=False)
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
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
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


def missing_standard_items(wave: str | None, roles: list[str], items: list[Item]) -> dict[str, list[str]]:
    """For each role, the standard items of ``wave`` (same id and type) that ``items`` do not ask it.

    A council's own instrument replaces the standard one for its wave and roles, so it keeps the
    standard items (INDICATORS.md) and adds its own: the indicators stay computable.
    """
    if wave not in WAVES:
        return {}
    standard = standard_instrument_for(wave)
    missing = {}
    for role in dict.fromkeys(roles):
        asked = {(item.id, item.type) for item in items if item.shown_to(role)}
        lacking = [item.id for item in items_for_role(standard, role)
                   if item.id in INDICATOR_ITEMS and (item.id, item.type) not in asked]
        if lacking:
            missing[role] = lacking
    return missing


def load_instrument(data: dict) -> Instrument:
    """Validate and load a posted instrument; raises marshmallow's ValidationError naming each bad field."""
    return InstrumentSchema().load(data)


def dump_instrument(instrument: Instrument) -> dict:
    """An instrument as a JSON-able dict, the same shape `load_instrument` accepts."""
    return InstrumentSchema().dump(instrument)
