"""The indicator catalogue: complete, consistent, and declared as data."""

import inspect

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.events import EventHandler
from services.reporting import indicators
from services.reporting.indicators import INDICATORS, RULES, get, survey_based
from services.reporting.projection import PROJECTIONS
from services.reporting.service import ReportingService

CATALOGUE = ["I1", "I2", "I3", "I4", "I5", "I6", "I7", "I7a", "I7b", "I7c", "I8", "I9", "I10",
             "I11", "I12", "I13", "M1", "M2", "M3"]
SURVEY_BASED = ["I2", "I3", "I4", "I5", "I6", "I7", "I7a", "I7b", "I7c", "I8", "I9", "I10", "I13", "M3"]


def test_catalogue_holds_every_indicator_of_the_spec_once():
    assert [defn.id for defn in INDICATORS] == CATALOGUE


def test_survey_based_indicators_are_those_computed_from_responses():
    assert [defn.id for defn in survey_based()] == SURVEY_BASED


@pytest.mark.parametrize("defn", survey_based(), ids=lambda defn: defn.id)
def test_survey_based_definitions_name_a_known_rule_waves_and_roles(defn):
    assert defn.rule_name in RULES
    assert defn.waves and set(defn.waves) <= set(indicators.WAVES)
    assert defn.roles and set(defn.roles) <= set(indicators.ROLES)
    assert defn.item or defn.rule_name == "response_rate"


@pytest.mark.parametrize("indicator_id", ["I1", "I11", "I12", "M1", "M2"])
def test_other_indicators_say_what_they_are_computed_from(indicator_id):
    defn = get(indicator_id)
    assert not defn.is_survey_based
    assert defn.computed_from


def handled_events(service_cls) -> set[tuple[str, str]]:
    """(source service, event type) of every event handler of a service class."""
    return {(extension.source_service, extension.event_type)
            for _, member in inspect.getmembers(service_cls, inspect.isfunction)
            for extension in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())
            if isinstance(extension, EventHandler)}


def test_the_service_handles_every_event_the_projections_read_and_no_other():
    intake = {"employer.registered", "program.created", "cohort.opened", "cohort.completed",
              "participant.registered", "participant.enrolled", "participant.withdrawn", "mentorship.matched",
              "mentorship.ended", "assessment.delivered", "org_change.recorded", "trainer.certified"}
    surveys = {"invitation.scheduled", "invitation.due", "invitation.cancelled", "invitation.expired",
               "response.submitted"}
    assert set(PROJECTIONS) == intake | surveys
    # participant.erased changes no projection document: the projector erases (projector.apply)
    expected = {("intake", event) for event in intake | {"participant.erased"}}
    assert handled_events(ReportingService) == expected | {("surveys", event) for event in surveys}


@pytest.mark.parametrize(
    ("indicator_id", "item", "rule", "waves", "roles"),
    [
        ("I2", "satisfaction", "agree", ("post",), indicators.ROLES),
        ("I4", "confidence_navigating", "agree", ("fu3",), ("newcomer",)),
        ("I6", "pd_opportunity", "any_except_none", ("fu3",), ("newcomer",)),
        ("I7", "advancement", "advancement_within_year", ("fu12",), ("newcomer",)),
        ("I8", "base_pay_change_pct", "median", ("fu12",), ("newcomer",)),
        ("I10", "manager_practices", "any_except_none", ("fu3",), ("manager",)),
        ("M3", "employment_status", "equals:in_field_full_time", ("fu3", "fu12"), ("mentee",)),
    ],
)
def test_definitions_follow_the_spec(indicator_id, item, rule, waves, roles):
    defn = get(indicator_id)
    assert (defn.item, defn.rule, defn.waves, defn.roles) == (item, rule, waves, roles)


@pytest.mark.parametrize(("indicator_id", "kind"), [("I7a", "promotion"), ("I7b", "wage_increase"),
                                                     ("I7c", "new_role")])
def test_advancement_variants_each_count_one_kind(indicator_id, kind):
    defn = get(indicator_id)
    assert (defn.rule_name, defn.rule_arg) == ("advancement_within_year", kind)


def test_rule_without_argument_has_none():
    assert get("I7").rule_arg is None
    assert get("M3").rule_arg == "in_field_full_time"


def test_response_rate_covers_every_wave_and_role():
    defn = get("I13")
    assert (defn.waves, defn.roles) == (indicators.WAVES, indicators.ROLES)


def test_unknown_indicator_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match="I99"):
        get("I99")
