"""Respondent links: unguessable, tenant-prefixed, stored only as a hash."""
import base64

from services.surveys.links import new_token, respondent_link, token_hash


def test_a_token_names_its_council_and_carries_at_least_128_random_bits():
    token = new_token("toronto")
    tenant, secret = token.split(".", 1)
    assert tenant == "toronto"
    assert len(base64.urlsafe_b64decode(secret + "==")) * 8 >= 128
    assert new_token("toronto") != token


def test_only_a_hash_is_kept_and_it_is_stable():
    token = new_token("toronto")
    assert token_hash(token) == token_hash(token) and token not in token_hash(token)
    assert len(token_hash(token)) == 64


def test_the_link_is_under_the_public_base_url():
    assert respondent_link("https://surveys.example.org/", "toronto.abc") == "https://surveys.example.org/r/toronto.abc"
