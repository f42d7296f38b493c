"""The participants surveys knows: consent follows the latest event, whatever the order of arrival."""
from services.surveys.participants import after_consent_change, after_registration, language_of

REGISTERED = {"participant_id": "p1", "role": "newcomer", "preferred_language": "fr",
              "consent": {"surveys": True, "research": False, "contact": True}}
WITHDRAWN = {"participant_id": "p1", "surveys": False, "research": False, "contact": True}
EARLY, LATE = "2026-01-01T10:00:00.000Z", "2026-01-02T10:00:00.000Z"


def test_registration_makes_a_known_participant():
    doc = after_registration(None, REGISTERED, EARLY)
    assert (doc["_id"], doc["role"], language_of(doc), doc["registered"]) == ("p1", "newcomer", "fr", True)
    assert doc["consent"] == {"surveys": True, "research": False, "contact": True}


def test_a_later_consent_change_wins_in_either_order_of_arrival():
    in_order = after_consent_change(after_registration(None, REGISTERED, EARLY), WITHDRAWN, LATE)
    reversed_ = after_registration(after_consent_change(None, WITHDRAWN, LATE), REGISTERED, EARLY)
    assert in_order["consent"]["surveys"] is False
    assert reversed_["consent"]["surveys"] is False
    assert reversed_["registered"] is True and reversed_["role"] == "newcomer"


def test_a_consent_change_before_registration_leaves_the_participant_unregistered():
    doc = after_consent_change(None, WITHDRAWN, LATE)
    assert doc["registered"] is False and language_of(doc) is None
