"""Respondent links: under the public base URL (the token itself: tests/unit/test_public_tokens.py)."""
from services.surveys.links import respondent_link


def test_the_link_is_under_the_public_base_url():
    assert respondent_link("https://surveys.example.org/", "toronto.abc") == "https://surveys.example.org/r/toronto.abc"
