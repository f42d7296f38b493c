"""The respondent's form in a real headless browser (Debian's chromium, Playwright): what a
participant sees and does, including with the keyboard alone and in French.

Its screenshots are written under the test's temporary directory; with IEC_UPDATE_SCREENSHOTS=1 they
also replace docs/screenshots/surveys-form.png and surveys-form-error.png.
"""
from __future__ import annotations

from tests.integration.surveys_support import submitted_events
from tests.support.browser import keep_screenshots, run_scenario

SCENARIOS = "tests.browser.surveys_scenarios"


def link(surveys, token: str) -> str:
    return f"{surveys.base_url}/r/{token}"


def test_an_error_is_shown_by_its_item_with_earlier_answers_kept_then_fixed_and_thanked(
        surveys, invite, survey_db, tenant, tmp_path):
    _, token = invite()
    form_shot, error_shot = tmp_path / "surveys-form.png", tmp_path / "surveys-form-error.png"
    seen = run_scenario(f"{SCENARIOS}:fill_with_an_error_then_fix", url=link(surveys, token),
                        error_shot=str(error_shot), form_shot=str(form_shot))
    assert (seen["status"], seen["title"]) == (400, f"End-of-program survey – Council {tenant['id']}")
    assert seen["error_text"] == "Error: Missing data for required field."
    assert seen["error_visible"] and seen["error_role"] == "alert" and seen["error_in_item"]
    assert "knowledge_increased-error" in seen["described_by"].split()
    assert seen["legend"].startswith("The program increased my knowledge")
    assert seen["satisfaction_kept"] and seen["comments_kept"] == "Very useful sessions"
    assert seen["summary_link"] == "#knowledge_increased-1"
    assert (seen["after_fix"], seen["after_fix_body"]) == (
        "Thank you", "Your answers have been recorded. You can close this page.")
    [event] = submitted_events(survey_db)
    assert event["answers"] == {"satisfaction": 4, "knowledge_increased": 5}
    assert form_shot.stat().st_size > 0 and error_shot.stat().st_size > 0
    keep_screenshots(form_shot, error_shot)


def test_the_language_switch_gives_the_form_in_french(surveys, invite):
    _, token = invite(language="en")
    seen = run_scenario(f"{SCENARIOS}:switch_to_french", url=link(surveys, token))
    assert (seen["before"], seen["after"]) == ("en", "fr")
    assert seen["title"] == "Questionnaire de fin de programme"
    assert seen["first_legend"] == "Dans l'ensemble, le programme m'a donné satisfaction."
    assert seen["button"] == "Envoyer mes réponses"


def test_the_form_can_be_filled_and_sent_with_the_keyboard_alone(surveys, invite, survey_db):
    _, token = invite()
    seen = run_scenario(f"{SCENARIOS}:keyboard_only", url=link(surveys, token))
    assert seen["focused"] == ["Français", "satisfaction-1", "knowledge_increased-1", "comments", "BUTTON"]
    assert seen["heading"] == "Thank you"
    [event] = submitted_events(survey_db)
    assert event["answers"] == {"satisfaction": 4, "knowledge_increased": 2}
