"""Programs a council runs, and what each kind requires. No I/O."""
from __future__ import annotations

from marshmallow import ValidationError

CAIP, CAIP_2, CAIP_SME, MENTORING = "caip", "caip_2", "caip_sme", "mentoring"
PROGRAM_KINDS = (CAIP, CAIP_2, CAIP_SME, MENTORING)
# CAIP for SMEs is a fixed, shorter format: four virtual sessions.
SME_SESSIONS = 4
SME_DELIVERY = "virtual"


def check_program(kind: str, sessions_planned: int) -> None:
    """Raise ValidationError if a program of ``kind`` may not plan ``sessions_planned`` sessions."""
    if kind == CAIP_SME and sessions_planned != SME_SESSIONS:
        raise ValidationError({"sessions_planned": [f"A {CAIP_SME} program has {SME_SESSIONS} sessions."]})
