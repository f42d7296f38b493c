"""Field encryption, the keyed email index and the master key that wraps tenants' keys."""
from __future__ import annotations

import base64
import hashlib

import pytest

from services.common.config import ConfigError
from services.intake.crypto import FieldCipher, UnreadableToken, new_key
from services.intake.keys import cipher_from, master_key, new_keys_document
from services.intake.participants import email_key

DATA_KEY, INDEX_KEY = new_key(), new_key()


def cipher(tenant_id: str = "toronto", data_key: bytes = DATA_KEY,
           index_key: bytes = INDEX_KEY) -> FieldCipher:
    return FieldCipher(data_key, tenant_id, index_key)


def test_a_field_round_trips_and_the_token_shows_nothing_of_it():
    token = cipher().encrypt("family_name", "Haddad-Nguyễn")
    assert token.startswith("v1:") and "Haddad" not in token
    assert cipher().decrypt("family_name", token) == "Haddad-Nguyễn"


def test_the_same_value_seals_differently_each_time():
    assert cipher().encrypt("email", "amina@example.org") != cipher().encrypt("email", "amina@example.org")


def test_a_token_moved_to_another_field_does_not_open():
    token = cipher().encrypt("given_name", "Amina")
    with pytest.raises(UnreadableToken):
        cipher().decrypt("family_name", token)


def test_a_token_moved_to_another_tenant_does_not_open_even_under_the_same_keys():
    token = cipher("toronto").encrypt("email", "amina@example.org")
    with pytest.raises(UnreadableToken):
        cipher("ottawa").decrypt("email", token)


def test_a_token_does_not_open_under_another_key():
    token = cipher().encrypt("phone", "+1 416 555 0101")
    with pytest.raises(UnreadableToken):
        cipher(data_key=new_key()).decrypt("phone", token)


@pytest.mark.parametrize("tamper", [
    lambda raw: raw[:-1] + bytes([raw[-1] ^ 1]),             # a flipped bit in the tag
    lambda raw: raw[:12] + bytes([raw[12] ^ 1]) + raw[13:],   # a flipped bit in the ciphertext
    lambda raw: raw[:20],                                     # truncated
])
def test_a_tampered_token_does_not_open(tamper):
    token = cipher().encrypt("email", "amina@example.org")
    raw = base64.b64decode(token[3:])
    with pytest.raises(UnreadableToken):
        cipher().decrypt("email", "v1:" + base64.b64encode(tamper(raw)).decode())


@pytest.mark.parametrize("token", ["amina@example.org", "v1:not base64!", "v2:AAAA", "", None])
def test_what_is_not_a_token_does_not_open(token):
    with pytest.raises(UnreadableToken):
        cipher().decrypt("email", token)


def test_fields_are_sealed_and_opened_together_and_an_absent_phone_stays_absent():
    record = {"id": "par_1", "given_name": "Amina", "phone": None, "role": "newcomer"}
    sealed = cipher().encrypt_fields(record, ("given_name", "family_name", "phone"))
    assert sealed["given_name"] != "Amina" and sealed["phone"] is None and "family_name" not in sealed
    assert cipher().decrypt_fields(sealed, ("given_name", "family_name", "phone")) == record


def test_the_email_index_is_stable_and_equal_for_case_variants_after_normalisation():
    first = cipher().email_index(email_key(" Amina.Haddad@Example.ORG "))
    assert first == cipher().email_index(email_key("amina.haddad@example.org"))
    assert len(first) == 64 and "amina" not in first
    assert first != cipher().email_index(email_key("amina.haddad@example.com"))


def test_the_email_index_differs_across_tenants_and_from_an_unkeyed_hash():
    email = email_key("amina@example.org")
    assert cipher("toronto").email_index(email) != cipher("ottawa", new_key(), new_key()).email_index(email)
    assert cipher().email_index(email) != hashlib.sha256(email.encode()).hexdigest()


def test_the_data_key_and_the_index_key_must_differ_and_be_32_bytes():
    with pytest.raises(ValueError, match="differ"):
        FieldCipher(DATA_KEY, "toronto", DATA_KEY)
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher(DATA_KEY[:16], "toronto", INDEX_KEY)


def test_a_cipher_never_shows_its_keys():
    assert repr(cipher()) == "FieldCipher(tenant_id='toronto')"


# --- the master key and the wrapped tenant keys ------------------------------------------------

MASTER = new_key()


def test_a_tenants_wrapped_keys_open_with_the_master_key_they_were_made_with():
    document = new_keys_document(MASTER, "toronto")
    assert set(document) == {"_id", "scheme", "data_key", "index_key", "created_at"}
    token = cipher_from(MASTER, "toronto", document).encrypt("email", "amina@example.org")
    assert cipher_from(MASTER, "toronto", document).decrypt("email", token) == "amina@example.org"


def test_a_tenants_keys_do_not_open_under_another_master_key_or_as_another_tenants():
    document = new_keys_document(MASTER, "toronto")
    with pytest.raises(RuntimeError, match="IEC_MASTER_KEY"):
        cipher_from(new_key(), "toronto", document)
    with pytest.raises(RuntimeError, match="IEC_MASTER_KEY"):
        cipher_from(MASTER, "ottawa", document)


def test_swapped_data_and_index_keys_do_not_open():
    document = new_keys_document(MASTER, "toronto")
    swapped = {**document, "data_key": document["index_key"], "index_key": document["data_key"]}
    with pytest.raises(RuntimeError):
        cipher_from(MASTER, "toronto", swapped)


def test_the_master_key_is_read_from_iec_master_key():
    text = base64.b64encode(MASTER).decode()
    assert master_key({"IEC_MASTER_KEY": text}) == MASTER
    assert master_key({"IEC_MASTER_KEY": f" {text}\n"}) == MASTER


NOT_SET, NOT_A_KEY = "IEC_MASTER_KEY is not set", "IEC_MASTER_KEY must be the base64 of 32 bytes"


@pytest.mark.parametrize(("environ", "problem"), [
    ({}, NOT_SET),
    ({"IEC_MASTER_KEY": ""}, NOT_SET),
    ({"IEC_MASTER_KEY": "not base64 at all!"}, NOT_A_KEY),
    ({"IEC_MASTER_KEY": base64.b64encode(b"short").decode()}, NOT_A_KEY),
])
def test_a_missing_or_bad_master_key_is_refused_naming_the_variable(environ, problem):
    with pytest.raises(ConfigError, match=problem):
        master_key(environ)
