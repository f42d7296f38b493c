"""The standard CAIP instruments, one per wave, that every council has from the start, and the items
of theirs that the indicators read (INDICATORS.md), which no council's own instrument may drop.
This module does no I/O.
"""
from __future__ import annotations

from services.surveys.instruments import (
    NONE_OPTION,
    ROLES,
    WAVES,
    Instrument,
    Item,
    Option,
    Text,
    items_for_role,
)

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
