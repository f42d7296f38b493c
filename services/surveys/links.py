"""Respondent links: ``<public base>/r/<tenant>.<secret>``; only the token's SHA-256 is stored.

The token is the kernel's public token (``services.common.tokens``: ``new_public_token``, stored
as its ``token_digest``). This module does no I/O.
"""
from __future__ import annotations


def respondent_link(base_url: str, token: str) -> str:
    """The URL a participant opens to answer."""
    return f"{base_url.rstrip('/')}/r/{token}"
