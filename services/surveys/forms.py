"""The respondent's pages: the survey form, the thank-you page and the "link no longer valid" page.

Plain server-rendered HTML in English or French (Jinja2, autoescaped), usable without JavaScript, on
a phone and with a screen reader. The form's field names are the item ids (a multi item repeats its
name), so a submitted form goes straight into `answers.validate_answers`. This module builds view
models for the templates and renders them; the templates hold the markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from services.common.templates import environment
from services.surveys.answers import LIKERT_VALUES, YES_NO_VALUES, as_lists, format_bound
from services.surveys.instruments import NONE_OPTION, TEXT_MAX_LENGTH, Instrument, Item, items_for_role

TEMPLATES = Path(__file__).with_name("templates")

UI: dict[str, dict[str, str]] = {
    "en": {
        "other_language": "Français",
        "intro": "Questions are required unless marked optional.",
        "optional": "(optional)",
        "submit": "Send my answers",
        "summary_title": "There is a problem with some answers",
        "error_prefix": "Error:",
        "conditional_hint": "Required if you chose an answer other than \u201c{none}\u201d above.",
        "number_hint": "Enter a number from {min} to {max}.",
        "date_hint": "Use the format YYYY-MM-DD, for example 2025-03-27.",
        "text_hint": "Up to {max} characters.",
        "thanks_title": "Thank you",
        "thanks_body": "Your answers have been recorded. You can close this page.",
        "gone_title": "This survey link can no longer be used",
        "gone_body": "It has already been used or it has expired. If you think this is a mistake, "
        "please contact the program staff who sent it to you.",
        "not_found_title": "We could not find this survey link",
        "not_found_body": "Please check that you copied the whole link from the email you received.",
    },
    "fr": {
        "other_language": "English",
        "intro": "Toutes les questions sont obligatoires, sauf celles marquées facultatives.",
        "optional": "(facultatif)",
        "submit": "Envoyer mes réponses",
        "summary_title": "Certaines réponses posent problème",
        "error_prefix": "Erreur :",
        "conditional_hint": "Obligatoire si vous avez choisi une autre réponse que "
        "\u00ab\u00a0{none}\u00a0\u00bb plus haut.",
        "number_hint": "Entrez un nombre de {min} à {max}.",
        "date_hint": "Utilisez le format AAAA-MM-JJ, par exemple 2025-03-27.",
        "text_hint": "Jusqu'à {max} caractères.",
        "thanks_title": "Merci",
        "thanks_body": "Vos réponses ont été enregistrées. Vous pouvez fermer cette page.",
        "gone_title": "Ce lien de questionnaire n'est plus valide",
        "gone_body": "Il a déjà été utilisé ou il a expiré. Si vous pensez qu'il s'agit d'une erreur, "
        "communiquez avec l'équipe du programme qui vous l'a envoyé.",
        "not_found_title": "Nous ne trouvons pas ce lien de questionnaire",
        "not_found_body": "Vérifiez que vous avez copié le lien en entier depuis le courriel reçu.",
    },
}

WAVE_TITLES = {
    "en": {"baseline": "Welcome survey", "post": "End-of-program survey",
           "fu3": "Three-month follow-up survey", "fu12": "One-year follow-up survey"},
    "fr": {"baseline": "Questionnaire d'accueil", "post": "Questionnaire de fin de programme",
           "fu3": "Questionnaire de suivi à trois mois", "fu12": "Questionnaire de suivi à un an"},
}

CHOICE_LABELS = {
    "en": {"1": "Strongly disagree", "2": "Disagree", "3": "Neither agree nor disagree", "4": "Agree",
           "5": "Strongly agree", "na": "Not applicable", "yes": "Yes", "no": "No"},
    "fr": {"1": "Tout à fait en désaccord", "2": "Plutôt en désaccord", "3": "Ni en accord ni en désaccord",
           "4": "Plutôt d'accord", "5": "Tout à fait d'accord", "na": "Sans objet",
           "yes": "Oui", "no": "Non"},
}


@dataclass(frozen=True)
class Choice:
    """One radio button or checkbox."""

    id: str
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class Field:
    """What the form template needs to draw one item."""

    id: str
    label: str
    required: bool
    widget: str  # radio, checkbox, number, date, textarea
    value: str = ""
    choices: tuple[Choice, ...] = ()
    errors: tuple[str, ...] = ()
    hint: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def hint_id(self) -> str:
        return f"{self.id}-hint"

    @property
    def target(self) -> str:
        """The element the error summary links to: the first control of the item."""
        return self.choices[0].id if self.choices else self.id

    @property
    def described_by(self) -> str:
        """The ids of this item's hint and error, for aria-describedby."""
        return " ".join([self.hint_id] * bool(self.hint) + [self.error_id] * bool(self.errors))


def render_form(
    instrument: Instrument,
    role: str,
    lang: str,
    action_url: str,
    council_name: str,
    answers: Mapping | None = None,
    errors: Mapping | None = None,
) -> str:
    """The survey form of `instrument` for a respondent in `role`, in `lang`.

    `answers` (raw submitted values or clean ones) are filled in again, and `errors` ({item_id:
    [message]}, from `validate_answers`) are shown next to their items and summarised at the top;
    errors about fields that are not on the form (e.g. "Unknown item.") appear in the summary only.
    """
    lang = language(lang)
    values = _answer_strings(answers or {})
    fields = [_field(instrument, item, lang, values.get(item.id, []), (errors or {}).get(item.id, ()))
              for item in items_for_role(instrument, role)]
    shown = {each.id for each in fields}
    stray = {key: messages for key, messages in (errors or {}).items() if key not in shown}
    return _render("form.html", lang, council_name=council_name, action_url=action_url, fields=fields,
                   invalid=[each for each in fields if each.errors], stray=stray,
                   title=WAVE_TITLES[lang][instrument.wave])


def render_thanks(lang: str, council_name: str) -> str:
    """The page shown once the answers are recorded."""
    lang = language(lang)
    return _render("thanks.html", lang, council_name=council_name, title=UI[lang]["thanks_title"])


GONE, NOT_FOUND = "gone", "not_found"  # the notices: a used or expired link (410), no such link (404)


def render_notice(notice: str, lang: str) -> str:
    """The page of a link that cannot be answered: ``GONE`` or ``NOT_FOUND`` (``UI``'s ``<notice>_title``
    and ``<notice>_body``)."""
    lang = language(lang)
    ui = UI[lang]
    return _render("notice.html", lang, council_name="", title=ui[f"{notice}_title"],
                   body=ui[f"{notice}_body"])


def language(lang: str | None) -> str:
    """`lang` if the pages exist in it, English otherwise."""
    return lang if lang in UI else "en"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return environment(TEMPLATES)


def _render(template: str, lang: str, **context: Any) -> str:
    other = "fr" if lang == "en" else "en"
    return _environment().get_template(template).render(lang=lang, other_lang=other, ui=UI[lang], **context)


def _answer_strings(answers: Mapping) -> dict[str, list[str]]:
    """Answers as the strings a form would carry: a list per item (from JSON, clean values or a MultiDict)."""
    return {key: [_as_string(value) for value in values if value is not None]
            for key, values in as_lists(answers).items()}


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _field(instrument: Instrument, item: Item, lang: str, values: list[str], errors) -> Field:
    common = {"id": item.id, "label": item.text.get(lang), "errors": tuple(errors),
              "required": item.required or bool(item.required_with)}
    if item.type in ("likert5", "yes_no", "single", "multi"):
        widget = "checkbox" if item.type == "multi" else "radio"
        return Field(widget=widget, choices=_choices(item, lang, values), **common)
    extras = _extras(item, lang)
    hint = " ".join(filter(None, [_condition(instrument, item, lang), extras.pop("hint", "")]))
    value = values[0] if values else ""
    return Field(widget=_WIDGETS[item.type], value=value, hint=hint, **common, **extras)


def _condition(instrument: Instrument, item: Item, lang: str) -> str:
    """For an item required only with another one's answer, the hint that says so."""
    target = instrument.item(item.required_with) if item.required_with else None
    none = target.option(NONE_OPTION) if target else None
    return UI[lang]["conditional_hint"].format(none=none.label.get(lang)) if none else ""


_WIDGETS = {"number": "number", "date": "date", "text": "textarea"}


def _choices(item: Item, lang: str, values: list[str]) -> tuple[Choice, ...]:
    if item.type == "likert5":
        pairs = [(code, CHOICE_LABELS[lang][code]) for code in LIKERT_VALUES]
    elif item.type == "yes_no":
        pairs = [(code, CHOICE_LABELS[lang][code]) for code in YES_NO_VALUES]
    else:
        pairs = [(option.value, option.label.get(lang)) for option in item.options]
    return tuple(Choice(f"{item.id}-{code}", code, label, code in values) for code, label in pairs)


def _extras(item: Item, lang: str) -> dict[str, Any]:
    """The hint and the HTML attributes of a number, date or text input."""
    ui = UI[lang]
    if item.type == "number":
        bounds = {key: format_bound(value) for key, value in (("min", item.min), ("max", item.max))
                  if value is not None}
        hint = ui["number_hint"].format(**bounds) if len(bounds) == 2 else ""
        return {"hint": hint, "attributes": bounds}
    if item.type == "date":
        return {"hint": ui["date_hint"]}
    return {"hint": ui["text_hint"].format(max=TEXT_MAX_LENGTH), "attributes": {"maxlength": TEXT_MAX_LENGTH}}
