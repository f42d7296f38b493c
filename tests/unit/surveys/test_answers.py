"""What a respondent's answers turn into, and what they are told when an answer does not fit."""

import pytest

from services.surveys.answers import coded_answers, validate_answers
from services.surveys.instrument_schema import load_instrument
from services.surveys.standard import standard_instrument_for

POST = standard_instrument_for("post")
FU3 = standard_instrument_for("fu3")
FU12 = standard_instrument_for("fu12")
MISSING = "Missing data for required field."


class MultiDict(dict):
    """The shape of a parsed form (werkzeug's MultiDict): one list per field, first value on []."""

    def __getitem__(self, key):
        return super().__getitem__(key)[0]

    def getlist(self, key):
        return list(super().__getitem__(key))


def _newcomer_fu12(**answers):
    return validate_answers(FU12, "newcomer", {"advancement": "none", **answers})


def test_json_answers_come_back_typed():
    clean, errors = validate_answers(POST, "manager", {"satisfaction": 5, "knowledge_increased": 2})
    assert (clean, errors) == ({"satisfaction": 5, "knowledge_increased": 2}, {})


def test_form_strings_are_converted_to_the_items_types():
    form = MultiDict(confidence_navigating=["4"], actions_taken=["networking", "career_conversation"],
                     pd_opportunity=["training"])
    clean, errors = validate_answers(FU3, "newcomer", form)
    assert errors == {}
    # a multi keeps the options' order, whatever order the browser sent them in
    assert clean == {"confidence_navigating": 4, "actions_taken": ["career_conversation", "networking"],
                     "pd_opportunity": ["training"]}


def test_a_likert_not_applicable_is_a_valid_answer():
    clean, errors = validate_answers(POST, "newcomer", {"satisfaction": "na", "knowledge_increased": "3"})
    assert errors == {} and clean == {"satisfaction": "na", "knowledge_increased": 3}


@pytest.mark.parametrize("value", [0, 6, "6", "agree", 4.5, True])
def test_a_likert_answer_outside_the_scale_is_rejected(value):
    _, errors = validate_answers(POST, "newcomer", {"satisfaction": value, "knowledge_increased": 4})
    assert errors == {"satisfaction": ["Must be one of: 1, 2, 3, 4, 5, na."]}


def test_none_combined_with_another_option_is_rejected():
    _, errors = validate_answers(FU3, "manager", {
        "actions_taken": ["none", "networking"], "prepared_to_support": 4,
        "manager_practices": ["none"], "open_communication": 4})
    assert errors == {"actions_taken": ["\u201cNone of these\u201d cannot be combined with other choices."]}


def test_none_alone_is_a_valid_multi_answer():
    clean, errors = _newcomer_fu12(advancement=["none"])
    assert errors == {} and clean == {"advancement": ["none"]}


def test_a_multi_option_that_is_not_offered_is_rejected():
    clean, errors = _newcomer_fu12(advancement=["promotion", "lottery"])
    assert "advancement" not in clean
    assert errors["advancement"] == [
        "One or more of the choices you made was not among: promotion, wage_increase, new_role, none."]


@pytest.mark.parametrize("value", ["1000.5", -101, "-250"])
def test_a_number_outside_its_bounds_is_rejected_naming_the_bounds(value):
    _, errors = _newcomer_fu12(base_pay_change_pct=value)
    assert errors == {"base_pay_change_pct": [
        "Must be greater than or equal to -100 and less than or equal to 1000."]}


@pytest.mark.parametrize(("value", "expected"),
                         [("12", 12), ("-7.5", -7.5), (0, 0), (1000, 1000), (" 3 ", 3)])
def test_a_number_within_bounds_is_kept_as_a_number(value, expected):
    clean, errors = _newcomer_fu12(base_pay_change_pct=value)
    assert errors == {} and clean["base_pay_change_pct"] == expected


@pytest.mark.parametrize("value", ["twelve", "12%", "nan", "inf", "1_000", True, [1, 2]])
def test_something_that_is_not_a_number_is_rejected(value):
    _, errors = _newcomer_fu12(base_pay_change_pct=value)
    assert errors["base_pay_change_pct"] in (["Not a valid number."], ["Only one answer is allowed."])


def test_an_iso_date_is_accepted_and_other_formats_are_not():
    clean, errors = _newcomer_fu12(advancement=["promotion"], advancement_date="2025-06-30")
    assert errors == {} and clean["advancement_date"] == "2025-06-30"
    for bad in ("30/06/2025", "2025-02-30", "20250630", 20250630):
        _, errors = _newcomer_fu12(advancement=["promotion"], advancement_date=bad)
        assert errors == {"advancement_date": ["Not a valid date (YYYY-MM-DD)."]}


def test_the_advancement_date_is_required_once_an_advancement_is_reported():
    _, errors = _newcomer_fu12(advancement=["wage_increase"])
    assert errors == {"advancement_date": [MISSING]}
    _, errors = _newcomer_fu12(advancement=["none"])
    assert errors == {}


def test_missing_required_items_are_named_with_marshmallows_wording():
    clean, errors = validate_answers(FU3, "manager", {"actions_taken": ["other"]})
    assert clean == {"actions_taken": ["other"]}
    assert errors == {"prepared_to_support": [MISSING], "manager_practices": [MISSING],
                      "open_communication": [MISSING]}


def test_blank_form_fields_count_as_missing():
    _, errors = validate_answers(POST, "trainer", {"satisfaction": "", "knowledge_increased": "  ",
                                                   "comments": ""})
    assert errors == {"satisfaction": [MISSING], "knowledge_increased": [MISSING]}


def test_an_optional_item_left_blank_is_left_out():
    answers = {"satisfaction": 4, "knowledge_increased": 4, "comments": ""}
    clean, errors = validate_answers(POST, "mentor", answers)
    assert errors == {} and "comments" not in clean


def test_unknown_items_and_items_of_another_role_are_unknown():
    _, errors = validate_answers(FU3, "newcomer", {
        "confidence_navigating": 4, "actions_taken": ["none"], "pd_opportunity": ["none"],
        "favourite_colour": "blue", "prepared_to_support": 5})
    assert errors == {"favourite_colour": ["Unknown item."], "prepared_to_support": ["Unknown item."]}


def test_two_values_for_a_single_answer_item_are_rejected():
    form = MultiDict(satisfaction=["4", "5"], knowledge_increased=["4"])
    _, errors = validate_answers(POST, "newcomer", form)
    assert errors == {"satisfaction": ["Only one answer is allowed."]}


def test_free_text_is_trimmed_and_limited_to_2000_characters():
    clean, _ = validate_answers(POST, "newcomer", {"satisfaction": 4, "knowledge_increased": 4,
                                                   "comments": "  Great <b>sessions</b>  "})
    assert clean["comments"] == "Great <b>sessions</b>"
    _, errors = validate_answers(POST, "newcomer", {"satisfaction": 4, "knowledge_increased": 4,
                                                    "comments": "x" * 2001})
    assert errors == {"comments": ["Longer than maximum length 2000."]}


def test_messages_are_in_french_when_asked():
    _, errors = validate_answers(FU12, "newcomer", {"advancement": ["none", "promotion"],
                                                    "base_pay_change_pct": "2000", "hobby": "x"}, lang="fr")
    assert errors == {
        "hobby": ["Question inconnue."],
        "advancement": [
            "\u00ab\u00a0Aucun de ces choix\u00a0\u00bb ne peut pas être combiné avec d'autres choix."],
        "base_pay_change_pct": ["Doit être supérieur ou égal à -100 et inférieur ou égal à 1000."],
    }


def test_an_unsupported_language_falls_back_to_english():
    _, errors = validate_answers(POST, "newcomer", {}, lang="de")
    assert errors["satisfaction"] == [MISSING]


def test_yes_no_and_single_items_of_a_posted_instrument():
    instrument = load_instrument({
        "key": "exit", "version": 1, "wave": "baseline", "roles": ["newcomer"], "items": [
            {"id": "would_recommend", "type": "yes_no", "required": True,
             "text": {"en": "Recommend?", "fr": "Recommander?"}},
            {"id": "format", "type": "single", "required": True, "text": {"en": "Format?", "fr": "Format?"},
             "options": [{"value": "virtual", "label": {"en": "Virtual", "fr": "Virtuel"}},
                         {"value": "in_person", "label": {"en": "In person", "fr": "En personne"}}]}]})
    assert validate_answers(instrument, "newcomer", {"would_recommend": True, "format": "virtual"}) == (
        {"would_recommend": "yes", "format": "virtual"}, {})
    _, errors = validate_answers(instrument, "newcomer", {"would_recommend": "maybe", "format": "radio"})
    assert errors == {"would_recommend": ["Must be one of: yes, no."],
                      "format": ["Must be one of: virtual, in_person."]}


def test_coded_answers_leave_free_text_out():
    clean, _ = validate_answers(POST, "newcomer", {"satisfaction": 4, "knowledge_increased": "na",
                                                   "comments": "My name is Ana and ..."})
    assert coded_answers(POST, clean) == {"satisfaction": 4, "knowledge_increased": "na"}
