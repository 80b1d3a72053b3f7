"""Phone numbers: the E.164 check every entry point applies, and the masked form logs show."""

from __future__ import annotations

import re
from typing import Any

from callcenter.errors import ValidationFailed

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def validate_e164(number: Any, field: str = "number") -> str:
    if not isinstance(number, str) or not E164.fullmatch(number):
        raise ValidationFailed(f"{field} must be an E.164 phone number such as +14255550100", code="invalid_number")
    return number


def mask_number(number: str) -> str:
    """Phone numbers in logs keep only their last two digits."""
    return number[:2] + "*" * max(0, len(number) - 4) + number[-2:] if len(number) > 4 else "****"
