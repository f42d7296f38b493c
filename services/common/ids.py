"""Ids the services make themselves: ``<prefix>_`` and 16 random hex digits.

Random, not counted, so an id says nothing of how many there are and cannot be guessed from
another (64 bits: unenumerable); the prefix says what it names (``par_``, ``inv_``, ``rsp_``).
"""
from __future__ import annotations

import secrets

RANDOM_BYTES = 8


def new_id(prefix: str, separator: str = "_") -> str:
    """A fresh id: ``<prefix><separator><16 hex digits>``."""
    return f"{prefix}{separator}{secrets.token_hex(RANDOM_BYTES)}"
