"""The unsubscribe pages a participant sees, in English and French on one page.

A participant reaches them from a mail, without an account or a language setting, so every page
says everything in both languages, theirs first (the language of the mail the link came in).
Plain server-rendered HTML (Jinja2, autoescaped), usable without JavaScript.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment

from services.common.templates import environment

CONFIRM, DONE, ALREADY, UNKNOWN = "confirm", "done", "already", "unknown"
LANGUAGES = ("en", "fr")

WORDING: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        CONFIRM: {"title": "Stop emails from {council}?",
                  "body": "You will no longer receive emails from {council}, including survey invitations "
                          "and reminders.",
                  "button": "Unsubscribe"},
        DONE: {"title": "You are unsubscribed",
               "body": "{council} will no longer send you emails."},
        ALREADY: {"title": "You were already unsubscribed",
                  "body": "{council} already knows you do not want emails. There is nothing more to do."},
        UNKNOWN: {"title": "This link is not valid",
                  "body": "Check that you copied the whole link from the email."},
    },
    "fr": {
        CONFIRM: {"title": "Ne plus recevoir de courriels de {council} ?",
                  "body": "Vous ne recevrez plus de courriels de {council}, y compris les invitations et "
                          "les rappels de questionnaires.",
                  "button": "Me désabonner"},
        DONE: {"title": "Votre désabonnement est confirmé",
               "body": "{council} ne vous enverra plus de courriels."},
        ALREADY: {"title": "Vous étiez déjà désabonné",
                  "body": "{council} sait déjà que vous ne souhaitez plus recevoir de courriels. "
                          "Vous n'avez rien d'autre à faire."},
        UNKNOWN: {"title": "Ce lien n'est pas valide",
                  "body": "Vérifiez que vous avez copié le lien en entier à partir du courriel."},
    },
}


def render(state: str, council_name: str = "", lang: str = "en") -> str:
    """The page for ``state`` (``CONFIRM``, ``DONE``, ``ALREADY`` or ``UNKNOWN``), ``lang`` first."""
    first = lang if lang in LANGUAGES else "en"
    order = [first] + [other for other in LANGUAGES if other != first]
    sections = [_section(state, each, council_name) for each in order]
    return _environment().get_template("pages/unsubscribe.html").render(
        sections=sections, council_name=council_name, confirm=state == CONFIRM)


def _section(state: str, lang: str, council_name: str) -> dict[str, str]:
    words = WORDING[lang][state]
    return {"lang": lang, **{key: text.format(council=council_name) for key, text in words.items()}}


@cache
def _environment() -> Environment:
    return environment(Path(__file__).with_name("templates"))
