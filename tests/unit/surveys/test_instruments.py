"""The standard CAIP instruments carry INDICATORS.md's items; staff-posted instruments are validated."""

import json

import pytest
from marshmallow import ValidationError

from services.surveys.instrument_schema import dump_instrument, load_instrument
from services.surveys.instruments import ROLES, Instrument, items_for_role
from services.surveys.standard import standard_instrument_for, standard_instruments

ALL = set(ROLES)
LEADERS = {"hr_leader", "senior_leader"}

# INDICATORS.md, "Standard items": id -> (type, options, roles, waves, English text)
STANDARD_ITEMS = {
    "satisfaction": ("likert5", None, ALL, {"post"}, "Overall, I was satisfied with the program."),
    "knowledge_increased": ("likert5", None, ALL, {"post"},
                            "The program increased my knowledge of how career advancement works here."),
    "confidence_navigating": ("likert5", None, {"newcomer"}, {"fu3"},
                              "I am more confident navigating my career advancement."),
    "actions_taken": ("multi", ["career_conversation", "development_plan", "networking", "applied_for_role",
                                "sought_mentor", "other", "none"], ALL, {"fu3"},
                      "Since the program, which of these have you done?"),
    "pd_opportunity": ("multi", ["training", "stretch_assignment", "high_profile_project", "new_assignment",
                                 "mentor_or_sponsor", "none"], {"newcomer"}, {"fu3"},
                       "Since the program, have you been offered ...?"),
    "advancement": ("multi", ["promotion", "wage_increase", "new_role", "none"], {"newcomer"}, {"fu12"},
                    "Since the program, have you had ...?"),
    "advancement_date": ("date", None, {"newcomer"}, {"fu12"}, "When did the first of these happen?"),
    "base_pay_change_pct": ("number", None, {"newcomer"}, {"fu12"},
                            "By what percentage has your base pay changed?"),
    "prepared_to_support": ("likert5", None, {"manager"}, {"fu3"},
                            "I feel more prepared to support newcomer team members' advancement."),
    "manager_practices": ("multi", ["career_conversation", "development_plan", "sponsorship",
                                    "stretch_assignment", "none"], {"manager"}, {"fu3"},
                          "Which have you done with newcomer team members?"),
    "open_communication": ("likert5", None, {"manager"}, {"fu3"},
                           "Conversations about career progression in my team are more open."),
    "org_changes": ("multi", ["policy", "promotion_criteria", "leader_training", "mentoring",
                              "resource_group", "continued_program", "none"], LEADERS, {"fu12"},
                    "Which changes has your organisation made?"),
    "employment_status": ("single", ["in_field_full_time", "in_field_part_time", "outside_field",
                                     "not_employed"], {"mentee"}, {"fu3", "fu12"},
                          "Which describes your work now?"),
}


def _where(item_id):
    """(instrument, item) for every standard instrument holding `item_id`."""
    return [(instrument, instrument.item(item_id)) for instrument in standard_instruments()
            if instrument.item(item_id)]


def _seen_by(instrument, item_id):
    return {role for role in ROLES if any(item.id == item_id for item in items_for_role(instrument, role))}


def test_there_is_one_standard_instrument_per_wave_all_version_1():
    instruments = standard_instruments()
    assert [(i.key, i.wave, i.version) for i in instruments] == [
        ("caip_baseline", "baseline", 1), ("caip_post", "post", 1), ("caip_fu3", "fu3", 1),
        ("caip_fu12", "fu12", 1)]
    assert all(standard_instrument_for(i.wave) == i for i in instruments)


def test_asking_for_an_unknown_wave_fails():
    with pytest.raises(KeyError):
        standard_instrument_for("fu6")


@pytest.mark.parametrize("item_id", sorted(STANDARD_ITEMS))
def test_every_standard_item_has_its_type_options_roles_and_waves(item_id):
    kind, options, roles, waves, _ = STANDARD_ITEMS[item_id]
    found = _where(item_id)
    assert {instrument.wave for instrument, _ in found} == waves
    for instrument, item in found:
        assert item.type == kind
        assert list(item.option_values()) == (options or [])
        assert _seen_by(instrument, item_id) == roles


@pytest.mark.parametrize("item_id", sorted(STANDARD_ITEMS))
def test_every_standard_item_is_in_english_and_french(item_id):
    english = STANDARD_ITEMS[item_id][4]
    for _, item in _where(item_id):
        assert item.text.en and item.text.fr and item.text.en != item.text.fr
        if english.endswith("...?"):  # the table elides the list the options give
            assert item.text.en.startswith(english.removesuffix("...?"))
        else:
            assert item.text.en == english
        assert all(option.label.en and option.label.fr for option in item.options)


def test_base_pay_change_is_bounded_from_minus_100_to_1000():
    item = standard_instrument_for("fu12").item("base_pay_change_pct")
    assert (item.min, item.max) == (-100, 1000)


def test_post_survey_has_optional_free_text_comments():
    comments = standard_instrument_for("post").item("comments")
    assert comments.type == "text" and not comments.required


def test_a_newcomer_sees_confidence_at_fu3_but_a_manager_does_not():
    fu3 = standard_instrument_for("fu3")
    newcomer = [item.id for item in items_for_role(fu3, "newcomer")]
    manager = [item.id for item in items_for_role(fu3, "manager")]
    assert newcomer == ["confidence_navigating", "actions_taken", "pd_opportunity"]
    assert manager == ["actions_taken", "prepared_to_support", "manager_practices", "open_communication"]


def test_a_role_the_instrument_is_not_sent_to_sees_nothing():
    assert items_for_role(standard_instrument_for("fu12"), "trainer") == []


@pytest.mark.parametrize("instrument", standard_instruments(), ids=lambda i: i.key)
def test_standard_instruments_pass_the_staff_schema_and_survive_json(instrument):
    dumped = json.loads(json.dumps(dump_instrument(instrument)))
    assert load_instrument(dumped) == instrument


def _posted(**changes):
    body = {"key": "exit_interview", "version": 2, "wave": "baseline", "roles": ["newcomer", "mentee"],
            "items": [
                {"id": "would_recommend", "type": "yes_no", "required": True,
                 "text": {"en": "Would you recommend it?", "fr": "Le recommanderiez-vous?"}},
                {"id": "format", "type": "single", "roles": ["newcomer"],
                 "text": {"en": "Best format?", "fr": "Meilleur format?"},
                 "options": [{"value": "virtual", "label": {"en": "Virtual", "fr": "Virtuel"}},
                             {"value": "in_person", "label": {"en": "In person", "fr": "En personne"}}]},
                {"id": "hours", "type": "number", "min": 0, "max": 40,
                 "text": {"en": "Hours per week?", "fr": "Heures par semaine?"}},
            ]}
    body.update(changes)
    return body


def _errors(body):
    with pytest.raises(ValidationError) as caught:
        load_instrument(body)
    return caught.value.messages


def test_a_posted_instrument_loads_into_the_model():
    instrument = load_instrument(_posted())
    assert isinstance(instrument, Instrument)
    assert (instrument.key, instrument.version) == ("exit_interview", 2)
    assert instrument.roles == ("newcomer", "mentee")
    assert [item.id for item in items_for_role(instrument, "mentee")] == ["would_recommend", "hours"]
    assert instrument.item("format").options[1].label.fr == "En personne"
    assert not instrument.item("hours").required


def test_a_posted_instrument_names_every_bad_top_level_field():
    errors = _errors(_posted(key="Exit Interview", version=0, wave="fu6", roles=["boss"]))
    assert set(errors) == {"key", "version", "wave", "roles"}


@pytest.mark.parametrize("required", ["yes", 1, "true"])
def test_required_is_a_json_boolean_only(required):
    body = _posted()
    body["items"][0]["required"] = required
    assert _errors(body) == {"items": {0: {"required": ["Not a valid boolean."]}}}


@pytest.mark.parametrize("version", [True, "2", 2.5])
def test_version_is_a_json_integer_only(version):
    assert _errors(_posted(version=version)) == {"version": ["Not a valid integer."]}


@pytest.mark.parametrize("item_id", ["1abc", "a", "has-dash", "Upper", "x" * 42])
def test_item_ids_must_be_short_lower_case_identifiers(item_id):
    body = _posted()
    body["items"][0]["id"] = item_id
    assert "id" in _errors(body)["items"][0]


def test_item_ids_must_be_unique():
    body = _posted()
    body["items"][2]["id"] = "would_recommend"
    assert _errors(body)["items"][2] == {"id": ["Item ids must be unique."]}


def test_a_choice_item_needs_options():
    body = _posted()
    del body["items"][1]["options"]
    assert "options" in _errors(body)["items"][1]


def test_both_languages_are_required_and_not_blank():
    body = _posted()
    body["items"][0]["text"] = {"en": "Would you recommend it?", "fr": "   "}
    body["items"][2]["text"] = {"en": "Hours?"}
    errors = _errors(body)["items"]
    assert errors[0] == {"text": {"fr": ["Must not be blank."]}}
    assert errors[2] == {"text": {"fr": ["Missing data for required field."]}}


def test_number_bounds_must_be_in_order_and_only_on_numbers():
    body = _posted()
    body["items"][2].update(min=50, max=10)
    body["items"][0]["max"] = 3
    errors = _errors(body)["items"]
    assert "max" in errors[2] and "min" in errors[0]


def test_item_roles_must_be_roles_of_the_instrument():
    body = _posted()
    body["items"][1]["roles"] = ["manager"]
    assert _errors(body)["items"][1] == {"roles": ["Must be roles of the instrument."]}


def test_an_unknown_item_type_is_rejected():
    body = _posted()
    body["items"][0]["type"] = "slider"
    assert "type" in _errors(body)["items"][0]


def test_a_councils_own_instrument_must_keep_the_standard_items_the_indicators_read():
    own_item = {"id": "match_quality", "type": "likert5", "required": True,
                "text": {"en": "My match was a good fit.", "fr": "Mon jumelage me convenait."}}
    body = {"key": "mentoring_exit", "version": 1, "wave": "fu3", "roles": ["mentee"], "items": [own_item]}
    errors = _errors(body)
    assert errors == {"items": ["Must keep the standard items the indicators read for mentee: "
                                "actions_taken, employment_status."]}
    kept = [dump_instrument(standard_instrument_for("fu3"))["items"][i] for i in (1, 6)]
    assert [item["id"] for item in kept] == ["actions_taken", "employment_status"]
    loaded = load_instrument({**body, "items": [own_item, *kept]})
    assert [item.id for item in loaded.items] == ["match_quality", "actions_taken", "employment_status"]
