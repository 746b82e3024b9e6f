"""Phone numbers normalised to E.164-like digits (country code, no '+')."""
from __future__ import annotations

import re

DEFAULT_COUNTRY_CODE = "86"
_SEPARATORS = re.compile(r"[\s\-().]")


class InvalidPhoneNumber(ValueError):
    pass


def normalize_phone(raw: str, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """'+86 138-0000-0001', '008613800000001', '13800000001' -> '8613800000001'.

    Short service numbers (10000, 95xxx) and extensions of up to 6 digits are
    kept as they are.
    """
    if raw is None:
        raise InvalidPhoneNumber("phone number is missing")
    text = _SEPARATORS.sub("", str(raw))
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    else:
        digits = text
    if not digits.isdigit() or not 3 <= len(digits) <= 15:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}")
    if text.startswith(("+", "00")) or len(digits) <= 6:
        return digits
    if digits.startswith("0"):  # national trunk prefix: 010 12345678
        return country_code + digits[1:]
    if digits.startswith(country_code) and len(digits) > 11:
        return digits
    return country_code + digits
