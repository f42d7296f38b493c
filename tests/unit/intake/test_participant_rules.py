"""A participant's email is unique ignoring case; a withdrawal turns one consent off."""

import pytest

from services.intake.participants import consent_choices, email_key, withdraw

CONSENT = {"version": "2026-01", "surveys": True, "research": True, "contact": True, "updated_at": "t0"}


def test_emails_that_differ_only_in_case_or_surrounding_space_are_the_same():
    assert email_key(" Sam.Lee@Example.ORG ") == email_key("sam.lee@example.org") == "sam.lee@example.org"


def test_withdrawing_contact_keeps_the_other_choices_and_the_version():
    assert withdraw(CONSENT, "contact", "t1") == {**CONSENT, "contact": False, "updated_at": "t1"}


def test_withdrawing_an_unknown_scope_is_refused():
    with pytest.raises(ValueError, match="marketing"):
        withdraw(CONSENT, "marketing", "t1")


def test_consent_choices_are_plain_booleans_even_if_stored_as_numbers():
    stored = {**CONSENT, "surveys": 1, "contact": 0}
    assert consent_choices(stored) == {"surveys": True, "research": True, "contact": False}
