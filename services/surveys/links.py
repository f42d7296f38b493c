"""Respondent links: ``<public base>/r/<tenant>.<secret>``; only the secret's SHA-256 is stored.

The secret has 192 random bits, so a plain hash is the right tool (nothing to brute-force), and a
leaked database gives no working link. The tenant prefix lets the public entrypoint find the
council's database without a key. This module does no I/O.
"""
from __future__ import annotations

import hashlib
import secrets

SECRET_BYTES = 24  # 192 bits, above the 128 a guess-proof link needs


def new_token(tenant_id: str) -> str:
    """A fresh respondent token for ``tenant_id``."""
    return f"{tenant_id}.{secrets.token_urlsafe(SECRET_BYTES)}"


def token_hash(token: str) -> str:
    """What we store and look a token up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def respondent_link(base_url: str, token: str) -> str:
    """The URL a participant opens to answer."""
    return f"{base_url.rstrip('/')}/r/{token}"
