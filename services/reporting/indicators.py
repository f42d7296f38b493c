"""The indicators of INDICATORS.md, declared as data: one definition each.

A definition says which responses an indicator reads (waves, roles, item) and the rule that turns an
answer into a count. `rules.py` and `units.py` apply the rules; nothing here does I/O. Indicators that
are not computed from survey responses (I1, I11, I12, M1, M2) say with `computed_from` which unit they
count (an enrolment, an employer, a mentee, a match).
"""

from __future__ import annotations

from dataclasses import dataclass

# Vocabulary shared with the other services (EVENTS.md).
ROLES = ("newcomer", "manager", "hr_leader", "senior_leader", "trainer", "mentor", "mentee")
LEADERS = ("hr_leader", "senior_leader")
WAVES = ("baseline", "post", "fu3", "fu12")
PROGRAM_KINDS = ("caip", "caip_2", "caip_sme", "mentoring")
EMPLOYER_SIZES = ("small", "medium", "large")
LANGUAGES = ("en", "fr")
ADVANCEMENT_KINDS = ("promotion", "wage_increase", "new_role")

# Rules a survey-based definition may name; `equals` and `advancement_within_year` take `:<value>`.
RULES = ("agree", "any_except_none", "equals", "median", "advancement_within_year", "response_rate")

# `computed_from` markers: which projection an indicator is computed from.
SURVEY_RESPONSES = "survey_responses"
COHORT_COMPLETIONS = "cohort_completions"
EMPLOYER_CHANGES = "employer_changes"
TRAINER_ACTIVITY = "trainer_activity"
MENTORING_MATCHES = "mentoring_matches"
MENTEE_MATCHING = "mentee_matching"
# Indicators whose unit belongs to a cohort: those `indicator.updated` streams per scope (outcomes.py).
COHORT_UNITS = (SURVEY_RESPONSES, COHORT_COMPLETIONS)


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator: what it reads and how it counts.

    `waves` and `roles` select the responses (and invitations) the indicator is about; `item` is the
    survey item read, `rule` how its answer counts; `date_item` the second item a rule reads (I7: the
    date of the advancement `item` reports).
    """

    id: str
    name: str
    computed_from: str = SURVEY_RESPONSES
    waves: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    item: str | None = None
    rule: str | None = None
    date_item: str | None = None

    @property
    def is_survey_based(self) -> bool:
        """True when this indicator is computed from survey responses and invitations."""
        return self.computed_from == SURVEY_RESPONSES

    @property
    def rule_name(self) -> str | None:
        """The rule without its argument: `equals` for `equals:in_field_full_time`."""
        return self.rule.partition(":")[0] if self.rule else None

    @property
    def rule_arg(self) -> str | None:
        """The rule's argument (`in_field_full_time` for `equals:in_field_full_time`), or None."""
        if not self.rule:
            return None
        return self.rule.partition(":")[2] or None


def _advancement(indicator_id: str, name: str, kind: str | None = None) -> IndicatorDef:
    """I7 or one of its per-kind variants (I7a..I7c)."""
    rule = f"advancement_within_year:{kind}" if kind else "advancement_within_year"
    return IndicatorDef(
        indicator_id, name, waves=("fu12",), roles=("newcomer",),
        item="advancement", rule=rule, date_item="advancement_date",
    )


INDICATORS: tuple[IndicatorDef, ...] = (
    IndicatorDef("I1", "Completion", computed_from=COHORT_COMPLETIONS, rule="completed"),
    IndicatorDef("I2", "Satisfaction", waves=("post",), roles=ROLES,
                 item="satisfaction", rule="agree"),
    IndicatorDef("I3", "Knowledge increased", waves=("post",), roles=ROLES,
                 item="knowledge_increased", rule="agree"),
    IndicatorDef("I4", "Confidence increased (newcomers)", waves=("fu3",), roles=("newcomer",),
                 item="confidence_navigating", rule="agree"),
    IndicatorDef("I5", "Took new actions", waves=("fu3",), roles=ROLES,
                 item="actions_taken", rule="any_except_none"),
    IndicatorDef("I6", "New development opportunity (newcomers)", waves=("fu3",),
                 roles=("newcomer",), item="pd_opportunity", rule="any_except_none"),
    _advancement("I7", "Advanced within a year (newcomers)"),
    _advancement("I7a", "Promoted within a year (newcomers)", "promotion"),
    _advancement("I7b", "Wage increase within a year (newcomers)", "wage_increase"),
    _advancement("I7c", "New role within a year (newcomers)", "new_role"),
    IndicatorDef("I8", "Base pay change (newcomers)", waves=("fu12",), roles=("newcomer",),
                 item="base_pay_change_pct", rule="median"),
    IndicatorDef("I9", "Managers more prepared", waves=("fu3",), roles=("manager",),
                 item="prepared_to_support", rule="agree"),
    IndicatorDef("I10", "Managers' supportive practices", waves=("fu3",), roles=("manager",),
                 item="manager_practices", rule="any_except_none"),
    IndicatorDef("I11", "Employers that made organisational changes", computed_from=EMPLOYER_CHANGES,
                 waves=("fu12",), roles=LEADERS, item="org_changes", rule="change_after_assessment"),
    IndicatorDef("I12", "Train-the-trainer sustainability", computed_from=TRAINER_ACTIVITY,
                 rule="internal_cohort_after_certification"),
    IndicatorDef("I13", "Response rate", waves=WAVES, roles=ROLES, rule="response_rate"),
    IndicatorDef("M1", "Mentees matched within 60 days", computed_from=MENTEE_MATCHING, roles=("mentee",),
                 rule="matched_within_60_days"),
    IndicatorDef("M2", "Matches completed", computed_from=MENTORING_MATCHES, rule="planned_end_reached"),
    IndicatorDef("M3", "Mentees working in their field full time", waves=("fu3", "fu12"),
                 roles=("mentee",), item="employment_status", rule="equals:in_field_full_time"),
)

_BY_ID = {defn.id: defn for defn in INDICATORS}


def get(indicator_id: str) -> IndicatorDef:
    """The definition with this id; KeyError naming the id when there is none."""
    try:
        return _BY_ID[indicator_id]
    except KeyError:
        raise KeyError(f"unknown indicator: {indicator_id}") from None


def survey_based() -> tuple[IndicatorDef, ...]:
    """The definitions computed from survey responses and invitations, in catalogue order."""
    return tuple(defn for defn in INDICATORS if defn.is_survey_based)


def cohort_based() -> tuple[IndicatorDef, ...]:
    """The definitions whose units belong to a cohort (survey-based ones and I1), in catalogue order."""
    return tuple(defn for defn in INDICATORS if defn.computed_from in COHORT_UNITS)
