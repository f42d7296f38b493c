"""Tenants (councils), their API keys, and which tenants an instance serves.

The registry lives in the ``iec_platform`` database. A key is shown once, as
``iec_<key id>.<secret>``; only the SHA-256 of the secret is stored. Keys are long random strings,
so a plain hash (no slow KDF) is the right tool: nothing to brute-force.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import available_timezones

from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

PLATFORM_DB = "iec_platform"
TENANT_ID_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
SERVICE_RE = re.compile(r"^[a-z]+$")
ROLES = ("admin", "staff", "analyst")
FUNDER = "funder"
FUNDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._&'-]{1,79}$")
DEFAULT_TIMEZONE = "America/Toronto"  # a council's time zone unless it is registered with another
_KEY_RE = re.compile(r"^iec_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")


class TenantExists(Exception):
    """A tenant with that id is registered already."""


class UnknownTenant(Exception):
    """No tenant with that id is registered."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from an API key, never from the request body or path.

    A funder's key belongs to no tenant (``tenant_id`` is None) but to a funder, who sees the
    tenants that granted it, in aggregate only.
    """

    tenant_id: str | None
    role: str
    key_id: str
    funder: str | None = None


def check_tenant_id(tenant_id: str) -> str:
    """Return ``tenant_id`` if it is a valid slug, else raise ValueError."""
    if not isinstance(tenant_id, str) or not TENANT_ID_RE.match(tenant_id):
        raise ValueError(f"tenant id must match {TENANT_ID_RE.pattern}: {tenant_id!r}")
    return tenant_id


def check_funder(funder: str) -> str:
    """Return ``funder`` if it is a valid funder name, else raise ValueError."""
    if not isinstance(funder, str) or not FUNDER_RE.match(funder):
        raise ValueError(f"a funder name is 2-80 letters, digits, spaces or ._&'-: {funder!r}")
    return funder


def database_name(tenant_id: str, service: str) -> str:
    """The database a service owns for a tenant: ``iec_<tenant>_<service>``."""
    check_tenant_id(tenant_id)
    if not SERVICE_RE.match(service):
        raise ValueError(f"bad service name {service!r}")
    return f"iec_{tenant_id}_{service}"


class ServedTenants:
    """The tenants an instance serves: ``*`` (pooled) or a comma-separated list (dedicated)."""

    def __init__(self, spec: str):
        self.spec = spec.strip()
        self._ids = None if self.spec == "*" else frozenset(map(check_tenant_id, self.spec.split(",")))

    def serves(self, tenant_id: str | None) -> bool:
        """True if this instance may process work for ``tenant_id``."""
        if not tenant_id or not TENANT_ID_RE.match(tenant_id):
            return False
        return self._ids is None or tenant_id in self._ids

    def filter(self, tenant_ids: list[str]) -> list[str]:
        """The served subset of ``tenant_ids``, order kept."""
        return [t for t in tenant_ids if self.serves(t)]


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class TenantRegistry:
    """The platform's registry of tenants and API keys."""

    def __init__(self, client: MongoClient):
        self._db = client[PLATFORM_DB]

    def create_tenant(self, tenant_id: str, *, name: str, city: str, timezone: str = DEFAULT_TIMEZONE,
                      languages: list[str] | tuple[str, ...] = ("en", "fr")) -> dict:
        """Register a council. Raises TenantExists, or ValueError for a bad id, zone or language."""
        check_tenant_id(tenant_id)
        if timezone not in available_timezones():
            raise ValueError(f"unknown time zone {timezone!r}")
        if not languages or set(languages) - {"en", "fr"}:
            raise ValueError("languages must be a non-empty subset of en, fr")
        doc = {"_id": tenant_id, "name": name, "city": city, "timezone": timezone,
               "languages": list(languages), "created_at": _now()}
        try:
            self._db.tenants.insert_one(doc)
        except DuplicateKeyError:
            raise TenantExists(tenant_id) from None
        return doc

    def get_tenant(self, tenant_id: str) -> dict | None:
        """The tenant's registry entry, or None."""
        return self._db.tenants.find_one({"_id": tenant_id})

    def tenant_ids(self) -> list[str]:
        """Every registered tenant id, sorted."""
        return sorted(doc["_id"] for doc in self._db.tenants.find({}, {"_id": 1}))

    def create_key(self, tenant_id: str, role: str) -> tuple[str, str]:
        """Make a key for ``tenant_id`` with ``role``; returns (key id, the key, shown once)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if self.get_tenant(tenant_id) is None:
            raise UnknownTenant(tenant_id)
        return self._insert_key(tenant_id, role)

    def create_funder_key(self, funder: str) -> tuple[str, str]:
        """Make a key for a funder (role ``funder``, no tenant); returns (key id, the key)."""
        check_funder(funder)
        return self._insert_key("", FUNDER, funder=funder)

    def _insert_key(self, tenant_id: str, role: str, **scope: str) -> tuple[str, str]:
        """Store a new active key (its secret's hash only); returns (key id, the key, shown once)."""
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        self._db.api_keys.insert_one({"_id": key_id, "tenant_id": tenant_id, **scope, "role": role,
                                      "secret_sha256": _hash_secret(secret), "created_at": _now(),
                                      "revoked_at": None})
        return key_id, f"iec_{key_id}.{secret}"

    def grant_funder(self, tenant_id: str, funder: str) -> bool:
        """Let ``funder`` see ``tenant_id``'s aggregates; False if it was granted already."""
        check_funder(funder)
        if self.get_tenant(tenant_id) is None:
            raise UnknownTenant(tenant_id)
        try:
            self._db.funder_grants.insert_one({"_id": f"{tenant_id}:{funder}", "tenant_id": tenant_id,
                                               "funder": funder, "granted_at": _now()})
        except DuplicateKeyError:
            return False
        return True

    def funder_tenants(self, funder: str) -> list[str]:
        """The tenants that granted ``funder``, sorted."""
        return sorted(doc["tenant_id"] for doc in self._db.funder_grants.find({"funder": funder}))

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; True if it existed and was active."""
        result = self._db.api_keys.update_one({"_id": key_id, "revoked_at": None},
                                              {"$set": {"revoked_at": _now()}})
        return result.modified_count == 1

    def authenticate(self, presented: str | None) -> Principal | None:
        """The principal behind a presented key, or None if it is malformed, unknown or revoked."""
        match = _KEY_RE.match(presented or "")
        if not match:
            return None
        key_id, secret = match.groups()
        doc = self._db.api_keys.find_one({"_id": key_id})
        if doc is None or doc.get("revoked_at") is not None:
            return None
        if not hmac.compare_digest(doc["secret_sha256"], _hash_secret(secret)):
            return None
        if doc["role"] == FUNDER:
            return Principal(tenant_id=None, role=FUNDER, key_id=key_id, funder=doc["funder"])
        return Principal(tenant_id=doc["tenant_id"], role=doc["role"], key_id=key_id)
