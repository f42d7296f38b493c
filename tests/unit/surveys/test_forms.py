"""The respondent's pages, read the way a browser and a screen reader would (stdlib html.parser)."""

from html.parser import HTMLParser

import pytest

from services.surveys.answers import validate_answers
from services.surveys.forms import GONE, NOT_FOUND, render_form, render_notice, render_thanks
from services.surveys.instruments import ROLES, items_for_role
from services.surveys.standard import standard_instrument_for, standard_instruments

FU3 = standard_instrument_for("fu3")
FU12 = standard_instrument_for("fu12")
CONTROLS = ("input", "textarea", "select")


class Page(HTMLParser):
    """What the tests look at in a rendered page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = None
        self.controls: list[dict] = []
        self.label_for: dict[str, str] = {}
        self.texts_by_id: dict[str, str] = {}
        self.alerts: list[dict] = []
        self.links: list[str] = []
        self.buttons: list[dict] = []
        self.metas: list[dict] = []
        self.fieldsets: list[dict] = []
        self._open: list[tuple[str, dict, list[str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {key: "" if value is None else value for key, value in attrs}
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag in CONTROLS:
            self.controls.append({"tag": tag, **attrs})
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
        elif tag == "meta":
            self.metas.append(attrs)
        elif tag == "fieldset":
            self.fieldsets.append({"legend": None, **attrs})
        if tag not in ("input", "meta", "br", "link"):
            self._open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        opened, attrs, parts = self._open.pop()
        text = " ".join(" ".join(parts).split())
        if self._open:
            self._open[-1][2].append(text)
        if opened == "label":
            self.label_for[attrs.get("for")] = text
        if opened == "legend":
            self.fieldsets[-1]["legend"] = text
        if opened == "button":
            self.buttons.append({"text": text, **attrs})
        if attrs.get("role") == "alert":
            self.alerts.append({"text": text, **attrs})
        if "id" in attrs:
            self.texts_by_id[attrs["id"]] = text

    def handle_data(self, data):
        self.text.append(data)
        if self._open:
            self._open[-1][2].append(data)

    def control(self, control_id: str) -> dict:
        return next(control for control in self.controls if control.get("id") == control_id)

    def checked(self, name: str) -> list[str]:
        return [c["value"] for c in self.controls if c.get("name") == name and "checked" in c]

    def described(self, control_id: str) -> str:
        """Everything aria-describedby of the control or of its fieldset points to."""
        ids = self.control(control_id).get("aria-describedby", "").split()
        return " ".join(self.texts_by_id.get(each, "") for each in ids)


def _form(instrument=FU3, role="newcomer", lang="en", answers=None, errors=None) -> Page:
    return Page(render_form(instrument, role, lang, "/r/tok3n", "TRIEC", answers, errors))


@pytest.mark.parametrize("instrument", standard_instruments(), ids=lambda i: i.key)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_control_of_every_form_has_a_label(instrument, lang):
    for role in instrument.roles:
        page = _form(instrument, role, lang)
        assert page.controls, role
        for control in page.controls:
            assert page.label_for.get(control["id"]), (role, control)


def test_choice_items_are_fieldsets_with_the_question_as_legend():
    page = _form(FU3, "manager")
    legends = [fieldset["legend"] for fieldset in page.fieldsets]
    assert legends == [item.text.en for item in items_for_role(FU3, "manager")]


def test_field_names_are_item_ids_and_a_multi_repeats_its_name():
    page = _form(FU3, "newcomer")
    names = [control["name"] for control in page.controls]
    assert set(names) == {"confidence_navigating", "actions_taken", "pd_opportunity"}
    assert [c["value"] for c in page.controls if c["name"] == "actions_taken"] == [
        option.value for option in FU3.item("actions_taken").options]
    assert {c["type"] for c in page.controls if c["name"] == "actions_taken"} == {"checkbox"}


def test_a_newcomers_fu3_form_asks_about_confidence_but_a_managers_does_not():
    assert "confidence_navigating" in {c["name"] for c in _form(FU3, "newcomer").controls}
    assert "confidence_navigating" not in {c["name"] for c in _form(FU3, "manager").controls}


def test_likert_items_offer_the_five_points_and_not_applicable():
    page = _form(FU3, "newcomer")
    values = [c["value"] for c in page.controls if c["name"] == "confidence_navigating"]
    assert values == ["1", "2", "3", "4", "5", "na"]
    assert page.label_for["confidence_navigating-na"] == "Not applicable"


def test_number_date_and_text_items_get_fitting_inputs():
    page = _form(FU12, "newcomer")
    number = page.control("base_pay_change_pct")
    assert (number["type"], number["min"], number["max"]) == ("number", "-100", "1000")
    assert page.control("advancement_date")["type"] == "date"
    comments = _form(standard_instrument_for("post"), "mentor").control("comments")
    assert (comments["tag"], comments["maxlength"]) == ("textarea", "2000")


def test_the_page_is_mobile_friendly_and_has_a_real_submit_button():
    page = _form()
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.metas
    assert [button["type"] for button in page.buttons] == ["submit"]
    assert page.buttons[0]["text"] == "Send my answers"
    assert "<script" not in render_form(FU3, "newcomer", "en", "/r/t", "TRIEC")


def test_the_french_form_is_in_french_and_links_back_to_english():
    page = _form(FU3, "newcomer", lang="fr")
    assert page.lang == "fr"
    confidence = "Je me sens plus en confiance pour gérer mon avancement professionnel."
    assert page.fieldsets[0]["legend"] == confidence
    assert page.label_for["actions_taken-none"] == "Aucun de ces choix"
    assert page.label_for["confidence_navigating-5"] == "Tout à fait d'accord"
    assert page.buttons[0]["text"] == "Envoyer mes réponses"
    assert "?lang=en" in page.links


def test_the_english_form_links_to_french():
    page = _form(lang="en")
    assert page.lang == "en" and "?lang=fr" in page.links


def test_an_unknown_language_gets_the_english_form():
    assert _form(lang="es").lang == "en"


def _resubmitted(lang="en"):
    raw = {"advancement": ["promotion", "new_role"], "advancement_date": "",
           "base_pay_change_pct": "1500"}
    _, errors = validate_answers(FU12, "newcomer", raw, lang=lang)
    return _form(FU12, "newcomer", lang, raw, errors)


def test_a_form_with_errors_keeps_the_earlier_answers():
    page = _resubmitted()
    assert page.checked("advancement") == ["promotion", "new_role"]
    assert page.control("base_pay_change_pct")["value"] == "1500"


def test_errors_are_announced_next_to_their_item():
    page = _resubmitted()
    pay_error = "Must be greater than or equal to -100 and less than or equal to 1000."
    assert pay_error in page.described("base_pay_change_pct")
    assert "Missing data for required field." in page.described("advancement_date")
    assert page.control("base_pay_change_pct")["aria-invalid"] == "true"
    alerts = {alert["id"]: alert["text"] for alert in page.alerts}
    assert pay_error in alerts["base_pay_change_pct-error"]
    assert "Missing data for required field." in alerts["advancement_date-error"]


def test_an_error_summary_at_the_top_links_to_each_bad_item():
    html = render_form(FU12, "newcomer", "en", "/r/t", "TRIEC", {"advancement": ["none", "promotion"]},
                       {"advancement": ["\u201cNone of these\u201d cannot be combined with other choices."]})
    page = Page(html)
    assert "#advancement-promotion" in page.links
    assert html.index("There is a problem") < html.index("<form")
    fieldset = next(f for f in page.fieldsets if f["legend"].startswith("Since the program"))
    assert fieldset["aria-describedby"] == "advancement-error"


def test_errors_about_fields_not_on_the_form_still_show_in_the_summary():
    page = _form(FU3, "newcomer", answers={"hobby": "chess"}, errors={"hobby": ["Unknown item."]})
    assert "hobby — Unknown item." in " ".join(page.text)


def test_errors_are_shown_in_french_on_the_french_form():
    page = _resubmitted(lang="fr")
    assert "Doit être supérieur ou égal à -100" in page.described("base_pay_change_pct")
    assert "Certaines réponses posent problème" in " ".join(page.text)


def test_clean_typed_answers_can_be_shown_again_too():
    page = _form(FU3, "newcomer", answers={"confidence_navigating": 4, "actions_taken": ["other"]})
    assert page.checked("confidence_navigating") == ["4"] and page.checked("actions_taken") == ["other"]


def test_what_people_typed_is_escaped():
    raw = {"base_pay_change_pct": '"><script>alert(1)</script>'}
    html = render_form(FU12, "newcomer", "en", "/r/t", "<TRIEC>", raw, {"base_pay_change_pct": ["bad"]})
    assert "<script>" not in html and "&lt;TRIEC&gt;" in html


@pytest.mark.parametrize("role", ROLES)
def test_optional_items_say_so(role):
    page = _form(standard_instrument_for("post"), role)
    assert page.label_for["comments"].endswith("(optional)")


def test_thanks_page_in_both_languages():
    english, french = Page(render_thanks("en", "TRIEC")), Page(render_thanks("fr", "TRIEC"))
    assert english.lang == "en" and "Thank you" in english.text
    assert french.lang == "fr" and "Merci" in french.text


def test_gone_page_says_the_link_can_no_longer_be_used():
    english, french = Page(render_notice(GONE, "en")), Page(render_notice(GONE, "fr"))
    assert "This survey link can no longer be used" in english.text
    assert french.lang == "fr" and "Ce lien de questionnaire n'est plus valide" in french.text
    assert "?lang=en" in french.links


def test_not_found_page_asks_to_check_the_link():
    english, french = Page(render_notice(NOT_FOUND, "en")), Page(render_notice(NOT_FOUND, "fr"))
    assert "We could not find this survey link" in english.text
    assert french.lang == "fr" and "Nous ne trouvons pas ce lien de questionnaire" in french.text
    assert "?lang=en" in french.links
