"""Personal data at rest: field encryption and a keyed email index, per tenant. No I/O.

A field is sealed with AES-256-GCM under the tenant's data key; the associated data binds the
ciphertext to its tenant and field (``<tenant>:<field>``), so a value copied into another field or
another council's database does not open. Tokens are text: ``v1:`` and the base64 of the 12-byte
nonce followed by the ciphertext and its tag (the prefix leaves room for another scheme later).

Equality on email (the duplicate check) cannot use the ciphertext, whose nonce is random: it uses
an HMAC-SHA256 of the normalised email under a separate per-tenant index key. Unkeyed, such a hash
could be reversed by hashing a list of addresses; keyed, it reveals only which records share one.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256, and as long as the HMAC-SHA256 output
_NONCE_BYTES = 12  # GCM's standard nonce; random per seal, so a key must seal < 2**32 values
_TAG_BYTES = 16
_PREFIX = "v1:"


class UnreadableToken(ValueError):
    """A token that does not open: tampered, truncated, sealed for another field or tenant or key."""


def new_key() -> bytes:
    """A fresh random key (data, index or master)."""
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, associated: str) -> str:
    """``plaintext`` encrypted and authenticated under ``key``, bound to ``associated``."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, associated.encode())
    return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def unseal(key: bytes, token: str, associated: str) -> bytes:
    """The plaintext of a ``seal`` token; UnreadableToken unless key, token and ``associated`` match."""
    if not isinstance(token, str) or not token.startswith(_PREFIX):
        raise UnreadableToken("not a sealed value")
    try:
        raw = base64.b64decode(token[len(_PREFIX):], validate=True)
    except binascii.Error:
        raise UnreadableToken("not a sealed value") from None
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise UnreadableToken("truncated")
    try:
        return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated.encode())
    except InvalidTag:
        raise UnreadableToken("does not open with this key, tenant and field") from None


class FieldCipher:
    """One tenant's field encryption (``data_key``) and email index (``index_key``)."""

    def __init__(self, data_key: bytes, tenant_id: str, index_key: bytes):
        if len(data_key) != KEY_BYTES or len(index_key) != KEY_BYTES:
            raise ValueError(f"keys must be {KEY_BYTES} bytes")
        if hmac.compare_digest(data_key, index_key):
            raise ValueError("the data key and the index key must differ")
        self.tenant_id = tenant_id
        self._data_key, self._index_key = data_key, index_key

    def __repr__(self) -> str:
        return f"FieldCipher(tenant_id={self.tenant_id!r})"  # never the keys

    def encrypt(self, field: str, plaintext: str) -> str:
        """``plaintext`` sealed for this tenant's ``field``."""
        return seal(self._data_key, plaintext.encode("utf-8"), self._associated(field))

    def decrypt(self, field: str, token: str) -> str:
        """The text sealed in ``token`` for this tenant's ``field``; UnreadableToken otherwise."""
        return unseal(self._data_key, token, self._associated(field)).decode("utf-8")

    def email_index(self, normalised_email: str) -> str:
        """The keyed hash (hex) that email equality is decided on within this tenant."""
        return hmac.new(self._index_key, normalised_email.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt_fields(self, record: Mapping, fields: Iterable[str]) -> dict:
        """A copy of ``record`` with each of ``fields`` it holds sealed; None stays None."""
        return {**record, **{f: self._map(self.encrypt, f, record[f]) for f in fields if f in record}}

    def decrypt_fields(self, document: Mapping, fields: Iterable[str]) -> dict:
        """A copy of ``document`` with each of ``fields`` it holds opened; None stays None."""
        return {**document, **{f: self._map(self.decrypt, f, document[f]) for f in fields if f in document}}

    def _associated(self, field: str) -> str:
        return f"{self.tenant_id}:{field}"

    @staticmethod
    def _map(transform, field: str, value: str | None) -> str | None:
        # an absent optional field (a phone not given) is stored as None: there is nothing to hide
        return None if value is None else transform(field, value)
