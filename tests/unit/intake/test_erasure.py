"""What intake keeps of an erased participant: only what anonymous counts need, whatever was stored."""
from services.intake.erasure import noc_category, tombstone

AT = "2026-03-01T10:00:00.000Z"
STORED = {
    "_id": "par_1", "given_name": "v1:c2VhbGVk", "family_name": "v1:c2VhbGVk", "email": "v1:c2VhbGVk",
    "phone": None, "email_key": "9f86d081884c7d65", "preferred_language": "fr", "role": "newcomer",
    "employer_id": "emp_1", "occupation_noc": "21231", "years_in_canada": 4,
    "consent": {"version": "2026-01", "surveys": True, "research": True, "contact": True,
                "updated_at": "2026-01-01T00:00:00.000Z"},
    "created_at": "2026-01-01T00:00:00.000Z", "revision": 3, "a_field_added_later": "anything",
}


def test_the_tombstone_keeps_the_id_role_employer_broad_occupation_and_when():
    kept = tombstone(STORED, AT)
    assert kept == {"_id": "par_1", "role": "newcomer", "employer_id": "emp_1", "noc_category": "2",
                    "created_at": "2026-01-01T00:00:00.000Z", "erased_at": AT,
                    "consent": {"surveys": False, "research": False, "contact": False, "updated_at": AT}}


def test_no_personal_field_nor_quasi_identifier_survives_whatever_its_name():
    text = repr(tombstone(STORED, AT))
    for gone in ("v1:", "email", "phone", "given_name", "family_name", "9f86d081884c7d65", "fr",
                 "21231", "years_in_canada", "a_field_added_later", "version"):
        assert gone not in text


def test_a_participant_without_employer_or_occupation_keeps_none_of_either():
    kept = tombstone({"_id": "par_2", "role": "mentor", "employer_id": None}, AT)
    assert kept["employer_id"] is None and kept["noc_category"] is None


def test_the_broad_occupational_category_is_the_first_digit_of_the_noc_code():
    assert noc_category("41200") == "4"
    assert noc_category(None) is None and noc_category("") is None and noc_category("x1234") is None
