"""The keys that protect personal data in intake: envelope encryption under one master key.

``IEC_MASTER_KEY`` (the base64 of 32 random bytes) comes from the environment and never touches
the database. Each tenant gets a data key and an index key on first use; they are stored only
WRAPPED (sealed with the master key, bound to the tenant and the key's purpose) in the tenant's
intake database, collection ``keys``, and kept unwrapped in this process only. Rotating the master
key then means re-wrapping a few small documents, not re-encrypting every participant.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping

from nameko.extensions import SharedExtension
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from services.common.clock import stamp
from services.common.config import (
    HOW_TO_MAKE_A_MASTER_KEY,
    MASTER_KEY_VARIABLE,
    ConfigError,
    Settings,
    load_settings,
)
from services.common.mongo import TenantStore
from services.common.runtime import Runtime
from services.intake.crypto import FieldCipher, UnreadableToken, new_key, seal, unseal

KEYS = "keys"  # intake's collection of the tenant's wrapped keys: one document
_KEYS_ID = "tenant"
_PURPOSES = ("data_key", "index_key")


def new_master_key() -> str:
    """A fresh value for ``IEC_MASTER_KEY``: the base64 of 32 random bytes."""
    return base64.b64encode(new_key()).decode()


def required_master_key(settings: Settings) -> bytes:
    """The master key of validated settings; ConfigError naming the variable if it is not set."""
    if settings.iec_master_key is None:
        # no default on purpose: data sealed under a made-up key would be lost with the process
        raise ConfigError(f"invalid configuration: {MASTER_KEY_VARIABLE} is not set; intake encrypts "
                          f"personal data under it; {HOW_TO_MAKE_A_MASTER_KEY}")
    return settings.iec_master_key


def master_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The master key from ``IEC_MASTER_KEY`` in ``environ`` (default: the process environment);
    ConfigError naming the variable if it is missing or bad (``services/common/config.py``)."""
    return required_master_key(load_settings(environ))


def wrap(master: bytes, tenant_id: str, purpose: str, key: bytes) -> str:
    """A tenant key sealed under the master key, bound to its tenant and purpose."""
    return seal(master, key, f"{tenant_id}:{purpose}")


def unwrap(master: bytes, tenant_id: str, purpose: str, wrapped: str) -> bytes:
    """The tenant key inside ``wrapped``; UnreadableToken if the master key or the binding differ."""
    return unseal(master, wrapped, f"{tenant_id}:{purpose}")


def new_keys_document(master: bytes, tenant_id: str) -> dict:
    """A fresh data key and index key for a tenant, wrapped, as stored in ``keys``."""
    wrapped = {purpose: wrap(master, tenant_id, purpose, new_key()) for purpose in _PURPOSES}
    return {"_id": _KEYS_ID, "scheme": "aes-256-gcm+hmac-sha256", **wrapped, "created_at": stamp()}


def cipher_from(master: bytes, tenant_id: str, document: Mapping) -> FieldCipher:
    """The tenant's ``FieldCipher`` from its stored keys document."""
    try:
        keys = {purpose: unwrap(master, tenant_id, purpose, document[purpose]) for purpose in _PURPOSES}
    except UnreadableToken:
        raise RuntimeError(f"the keys of tenant {tenant_id!r} do not open with {MASTER_KEY_VARIABLE}: "
                           "is it the key they were made with?") from None
    return FieldCipher(keys["data_key"], tenant_id, keys["index_key"])


class TenantKeys(SharedExtension):
    """The container's key ring: checks the master key at start, hands out tenants' ciphers."""

    runtime = Runtime()

    def __init__(self) -> None:
        super().__init__()
        self._master: bytes | None = None
        self._ciphers: dict[str, FieldCipher] = {}

    def setup(self) -> None:
        # a missing or bad key stops the service now, not at a request
        self._master = required_master_key(self.runtime.settings)

    def cipher(self, tenant: TenantStore) -> FieldCipher:
        """The tenant's cipher; its keys are made and stored on the first call ever for the tenant.

        Must not be called first inside a transaction (``IntakeStore.transaction`` calls it before):
        the keys must be stored durably, whatever the transaction then does.
        """
        cipher = self._ciphers.get(tenant.tenant_id)
        if cipher is None:
            cipher = self._ciphers[tenant.tenant_id] = self._load_or_create(tenant)
        return cipher

    def _load_or_create(self, tenant: TenantStore) -> FieldCipher:
        # The guard keeps this process's transactions on the database out of the way: on nx-27017
        # one session's abort can undo another's writes, and losing the keys would lose the data.
        keys = tenant[KEYS]
        with self.runtime.transaction_guard(tenant.db.name):
            document = keys.find_one({"_id": _KEYS_ID}) or self._create(keys, tenant.tenant_id)
        return cipher_from(self._master, tenant.tenant_id, document)

    def _create(self, keys: Collection, tenant_id: str) -> dict:
        try:
            keys.insert_one(new_keys_document(self._master, tenant_id))
        except DuplicateKeyError:
            pass  # another process made them first: theirs are the keys
        # read back what is stored, so this process never caches keys that did not persist
        stored = keys.find_one({"_id": _KEYS_ID})
        if stored is None:
            raise RuntimeError(f"the keys of tenant {tenant_id!r} were not stored; try again")
        return stored
