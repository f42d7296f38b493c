"""The unsubscribe pages, read the way a browser would (stdlib html.parser)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from services.notifications import pages


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = None
        self.forms: list[dict] = []
        self.inputs: list[dict] = []
        self.buttons: list[str] = []
        self.headings: list[str] = []
        self.section_langs: list[str] = []
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "form":
            self.forms.append(attrs)
        elif tag == "input":
            self.inputs.append(attrs)
        elif tag == "section":
            self.section_langs.append(attrs["lang"])
        self._in = tag if tag in ("button", "h1") else None

    def handle_data(self, data):
        if self._in == "button":
            self.buttons.append(data)
        elif self._in == "h1":
            self.headings.append(data)
        self._in = None


def test_the_confirmation_page_asks_in_both_languages_and_posts_a_one_click_form():
    page = Page(pages.render(pages.CONFIRM, "TRIEC", "en"))

    assert page.lang == "en" and page.section_langs == ["en", "fr"]
    assert page.headings == ["Stop emails from TRIEC?", "Ne plus recevoir de courriels de TRIEC ?"]
    assert page.forms == [{"method": "post"}]
    assert {"type": "hidden", "name": "List-Unsubscribe", "value": "One-Click"} in page.inputs
    assert page.buttons == ["Unsubscribe", "Me désabonner"]


def test_a_french_participant_reads_french_first():
    page = Page(pages.render(pages.DONE, "Conseil", "fr"))
    assert page.lang == "fr" and page.section_langs == ["fr", "en"]
    assert page.headings == ["Votre désabonnement est confirmé", "You are unsubscribed"]


@pytest.mark.parametrize("state", [pages.DONE, pages.ALREADY, pages.UNKNOWN])
def test_only_the_confirmation_page_has_a_button(state):
    page = Page(pages.render(state, "TRIEC"))
    assert page.forms == [] and page.buttons == []


def test_a_council_name_is_shown_as_text_never_as_markup():
    html = pages.render(pages.CONFIRM, "<script>x</script> & Co")
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; Co" in html


def test_an_unknown_language_falls_back_to_english_first():
    assert Page(pages.render(pages.UNKNOWN, "", "de")).section_langs == ["en", "fr"]
