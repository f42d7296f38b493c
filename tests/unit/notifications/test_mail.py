"""What a participant receives: the rendered invitation and reminder mails (``rendering``) and their MIME
envelope (``mail``)."""

import email
import uuid
from email import policy
from email.message import EmailMessage

import pytest

from services.notifications import mail, rendering


def survey_context(**overrides: object) -> dict:
    token = uuid.uuid4().hex
    context = {
        "given_name": "Amara",
        "council_name": "TRIEC",
        "wave": "post",
        "attempt": 1,
        "link": f"https://surveys.example.org/r/{token}",
        "closes_at": "2025-06-30T23:59:00Z",
        "timezone": "America/Toronto",
        "unsubscribe_url": f"https://notify.example.org/u/{token}",
    }
    return context | overrides


def compose(rendered: rendering.RenderedMail, **overrides: object) -> EmailMessage:
    arguments = {
        "to_addr": "amara@example.org",
        "to_name": "Amara Okafor",
        "from_addr": "surveys@triec.example",
        "from_name": "TRIEC",
        "reply_to": "programs@triec.example",
        "unsubscribe_url": "https://notify.example.org/u/tok-1",
        "message_id_domain": "triec.example",
    }
    return mail.compose(rendered, **(arguments | overrides))


def as_received(message: EmailMessage) -> EmailMessage:
    """The message as a recipient's mail client parses it from the wire."""
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


# --- rendering -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "subject", "phrases"), [
    ("en", "TRIEC would like your feedback",
     ("Hello Amara,", "now that your program has ended", "a few minutes", "June 30, 2025")),
    ("fr", "TRIEC aimerait connaître votre avis",
     ("Bonjour Amara,", "maintenant que votre programme est terminé", "quelques minutes", "30 juin 2025")),
])
def test_an_invitation_greets_by_given_name_in_their_language_and_gives_the_personal_link(
        lang: str, subject: str, phrases: tuple[str, ...]) -> None:
    context = survey_context()
    rendered = rendering.render("survey_invitation", lang, context)

    assert rendered.lang == lang
    assert rendered.subject == subject
    for part in (rendered.text, rendered.html):
        assert context["link"] in part
        for phrase in phrases:
            assert phrase in part


@pytest.mark.parametrize(
    ("lang", "wave", "phrase"),
    [
        ("en", "baseline", "as you start your program"),
        ("en", "post", "now that your program has ended"),
        ("en", "fu3", "three months after your program ended"),
        ("en", "fu12", "a year after your program ended"),
        ("fr", "baseline", "au moment où vous commencez votre programme"),
        ("fr", "post", "maintenant que votre programme est terminé"),
        ("fr", "fu3", "trois mois après la fin de votre programme"),
        ("fr", "fu12", "un an après la fin de votre programme"),
    ],
)
def test_each_wave_is_named_in_plain_words(lang: str, wave: str, phrase: str) -> None:
    for template in ("survey_invitation", "survey_reminder"):
        rendered = rendering.render(template, lang, survey_context(wave=wave))
        assert phrase in rendered.text
        assert phrase in rendered.html


def test_program_name_is_woven_into_the_wave_phrase_when_given() -> None:
    english = rendering.render("survey_invitation", "en", survey_context(wave="fu3", program_name="CAIP"))
    french = rendering.render("survey_invitation", "fr", survey_context(wave="fu3", program_name="CAIP"))

    assert "three months after your CAIP program ended" in english.text
    assert "trois mois après la fin de votre programme CAIP" in french.text


def test_closing_date_is_the_day_where_the_council_is() -> None:
    # 03:00 UTC on March 1st is still February 28th in Toronto.
    context = survey_context(closes_at="2025-03-01T03:00:00Z", timezone="America/Toronto")

    assert "February 28, 2025" in rendering.render("survey_invitation", "en", context).text
    assert "28 février 2025" in rendering.render("survey_invitation", "fr", context).text


def test_french_writes_the_first_of_the_month_as_1er() -> None:
    rendered = rendering.render("survey_invitation", "fr", survey_context(closes_at="2025-07-01"))

    assert "jusqu’au 1er juillet 2025" in rendered.text


LANGUAGES = ["en", "fr"]
TEMPLATES = ["mentor_match", "session_reminder", "survey_invitation", "survey_reminder", "thank_you"]


def test_the_mails_are_these_templates_in_english_and_french() -> None:
    assert sorted(rendering.available_templates()) == TEMPLATES
    assert sorted(rendering.available_languages()) == LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_ends_with_a_way_to_stop_receiving_emails(template: str, lang: str) -> None:
    context = survey_context(session_date="2031-03-10", topic="Networking", role="mentee", planned_end=None,
                             other={"given_name": "Li", "family_name": "Wei", "email": "li@example.org"})
    rendered = rendering.render(template, lang, context)
    stop = {"en": "Stop receiving emails from TRIEC", "fr": "Ne plus recevoir de courriels de TRIEC"}[lang]

    assert stop in rendered.text
    assert context["unsubscribe_url"] in rendered.text.split(stop)[1]
    assert f'<a href="{context["unsubscribe_url"]}"' in rendered.html
    assert stop in rendered.html
    assert f'<html lang="{lang}">' in rendered.html


def test_first_reminder_is_short_and_keeps_the_same_link() -> None:
    context = survey_context(attempt=1)
    invitation = rendering.render("survey_invitation", "en", context)
    reminder = rendering.render("survey_reminder", "en", context)

    assert reminder.subject == "Reminder: TRIEC would like your feedback"
    assert context["link"] in reminder.text
    assert len(reminder.text) < len(invitation.text)


def test_second_reminder_says_it_is_the_last() -> None:
    english = rendering.render("survey_reminder", "en", survey_context(attempt=2))
    french = rendering.render("survey_reminder", "fr", survey_context(attempt=2))

    assert english.subject.startswith("Last reminder:")
    assert "This is our last reminder" in english.text
    assert french.subject.startswith("Dernier rappel\u00a0:")
    assert "Ceci est notre dernier rappel" in french.html


def test_html_part_escapes_what_staff_typed_and_text_part_keeps_it() -> None:
    rendered = rendering.render("survey_invitation", "en", survey_context(given_name="<b>Jo</b> & co"))

    assert "Hello <b>Jo</b> & co," in rendered.text
    assert "Hello &lt;b&gt;Jo&lt;/b&gt; &amp; co," in rendered.html


def test_unknown_template_is_refused() -> None:
    with pytest.raises(rendering.UnknownTemplate, match="survey_thank_you"):
        rendering.render("survey_thank_you", "en", survey_context())


def test_a_language_the_tenant_does_not_offer_falls_back_to_english() -> None:
    not_shipped = rendering.render("survey_invitation", "es", survey_context())
    not_offered = rendering.render("survey_invitation", "fr", survey_context(), tenant_languages=["en"])

    assert not_shipped.lang == not_offered.lang == "en"
    assert "Hello Amara," in not_offered.text


def test_a_language_the_tenant_offers_without_templates_is_refused() -> None:
    with pytest.raises(rendering.UnknownLanguage, match="'de'"):
        rendering.render("survey_invitation", "de", survey_context(), tenant_languages=["en", "de"])


def test_a_missing_context_key_fails_instead_of_mailing_a_blank() -> None:
    context = survey_context()
    del context["link"]

    with pytest.raises(rendering.TemplateContextError, match="link"):
        rendering.render("survey_invitation", "en", context)


@pytest.mark.parametrize("bad", [{"wave": "fu6"}, {"closes_at": "next week"}, {"timezone": "Mars/Olympus"}])
def test_values_a_template_cannot_use_are_refused(bad: dict) -> None:
    with pytest.raises(rendering.TemplateContextError):
        rendering.render("survey_invitation", "en", survey_context(**bad))


# --- composing -------------------------------------------------------------------------------------


def test_message_offers_the_text_and_html_parts_as_alternatives() -> None:
    rendered = rendering.render("survey_invitation", "fr", survey_context())
    received = as_received(compose(rendered))
    text, html = parts(received)

    assert received.get_content_type() == "multipart/alternative"
    assert text == rendered.text
    assert html == rendered.html
    assert received["Subject"] == rendered.subject
    assert received["Content-Language"] == "fr"


def test_mail_comes_from_the_council_with_its_reply_to() -> None:
    received = as_received(compose(rendering.render("survey_invitation", "en", survey_context())))

    sender = received["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("TRIEC", "surveys@triec.example")
    assert received["Reply-To"] == "programs@triec.example"
    assert received["To"].addresses[0].display_name == "Amara Okafor"
    assert received["Date"].datetime is not None


def test_one_click_unsubscribe_headers_follow_rfc_8058() -> None:
    rendered = rendering.render("survey_invitation", "en", survey_context())
    received = as_received(compose(rendered, unsubscribe_url="https://n.example/u/t1"))

    assert received["List-Unsubscribe"] == "<https://n.example/u/t1>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_long_unsubscribe_url_stays_a_usable_link() -> None:
    url = "https://notify.example.org/u/" + "k" * 150
    received = as_received(
        compose(rendering.render("survey_reminder", "en", survey_context()), unsubscribe_url=url)
    )

    assert received["List-Unsubscribe"] == f"<{url}>"


def test_an_unsubscribe_url_that_is_not_absolute_is_refused() -> None:
    with pytest.raises(ValueError, match="unsubscribe"):
        compose(rendering.render("survey_invitation", "en", survey_context()), unsubscribe_url="/u/tok")


def test_notification_id_gives_a_header_and_a_stable_message_id() -> None:
    rendered = rendering.render("survey_invitation", "en", survey_context())
    notification_id = uuid.uuid4().hex

    first = as_received(compose(rendered, notification_id=notification_id))
    retry = as_received(compose(rendered, notification_id=notification_id))

    assert first["X-IEC-Notification-Id"] == notification_id
    assert first["Message-ID"] == retry["Message-ID"] == f"<{notification_id}@triec.example>"


def test_without_notification_id_each_message_gets_a_fresh_message_id() -> None:
    rendered = rendering.render("survey_invitation", "en", survey_context())
    first, second = as_received(compose(rendered)), as_received(compose(rendered))

    assert "X-IEC-Notification-Id" not in first
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@triec.example>")


def test_accented_names_travel_as_seven_bit_and_read_back_intact() -> None:
    rendered = rendering.render("survey_invitation", "fr", survey_context(given_name="Zoë"))
    message = compose(rendered, to_name="Zoë Lefèvre", from_name="Conseil emploi Montréal — CEIM")

    wire = message.as_bytes()
    received = as_received(message)

    assert wire.isascii()
    assert received["From"].addresses[0].display_name == "Conseil emploi Montréal — CEIM"
    assert received["To"].addresses[0].display_name == "Zoë Lefèvre"
    assert "Bonjour Zoë," in parts(received)[0]
