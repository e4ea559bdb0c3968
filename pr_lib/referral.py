"""Referral codes: short, hard to guess, and easy to read aloud or type (no 0/O, 1/I/l)."""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0, O, 1, I, L
CODE_LENGTH = 8  # 31**8 ~ 8.5e11 codes: guessing one takes hundreds of billions of tries
_CODE_RE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def generate_code(length=CODE_LENGTH, randbelow=secrets.randbelow):
    """A random code from a cryptographic source."""
    return "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(length))


def normalize_code(text):
    """The code a person meant, or None when it cannot be a code.

    Case, spaces and dashes do not matter; a code with an ambiguous or foreign character is no code.
    """
    if not isinstance(text, str):
        return None
    code = re.sub(r"[\s-]", "", text).upper()
    return code if _CODE_RE.match(code) else None


def normalize_phone(text):
    """Digits only, without a leading international zero or plus, for comparing phone numbers."""
    digits = re.sub(r"\D", "", text or "")
    return digits.lstrip("0") or None


def normalize_address(street, zip_code, city):
    """A comparable form of a delivery address: lower case letters and digits only."""
    parts = [re.sub(r"[^0-9a-z]", "", (part or "").lower()) for part in (street, zip_code, city)]
    return "|".join(parts) if parts[0] and (parts[1] or parts[2]) else None


def same_phone(first, second, min_digits=8):
    """Whether two phone numbers are one, written nationally or internationally.

    ``0812 3456 789`` and ``+62 812-3456-789`` are one: once the digits are normalized, the longer
    ends with the shorter, which has enough digits not to be a coincidence.
    """
    a, b = normalize_phone(first), normalize_phone(second)
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return a == b or (len(shorter) >= min_digits and longer.endswith(shorter))
