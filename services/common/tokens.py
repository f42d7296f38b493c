"""Public tokens: ``<tenant>.<secret>``, the key of a page reached without an API key.

A respondent's survey link and an unsubscribe link carry one. The tenant prefix lets the public
entrypoint find the council's database without a key (``tenant_of_token``); the secret has 192
random bits, so a plain SHA-256 is the right way to store it (nothing to brute-force) and a leaked
database gives no working link. This module does no I/O.
"""
from __future__ import annotations

import hashlib
import secrets

from services.common.errors import NotFound
from services.common.tenancy import TENANT_ID_RE

SECRET_BYTES = 24  # 192 bits, above the 128 a guess-proof link needs


def new_public_token(tenant_id: str) -> str:
    """A fresh public token of ``tenant_id``: ``<tenant>.<secrets.token_urlsafe(24)>``."""
    return f"{tenant_id}.{secrets.token_urlsafe(SECRET_BYTES)}"


def token_digest(token: str) -> str:
    """What is stored of a public token, and looked up by: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def tenant_of_token(token: str) -> str:
    """The tenant named by a public token ``<tenant>.<secret>``; NotFound if it names none."""
    tenant_id, _, secret = token.partition(".")
    if not TENANT_ID_RE.match(tenant_id) or not secret:
        raise NotFound("no such link")
    return tenant_id
