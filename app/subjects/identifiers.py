"""Normalising identifiers: emails (validated, lower-cased) and phones (E.164).

Error messages never repeat the submitted value: they end up in problem responses.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_PHONE_REGION = "SE"  # numbers written without a country code are Swedish
MAX_EMAIL_LENGTH = 254
MAX_PHONE_INPUT_LENGTH = 40


# Plain ASCII addresses of the common shape are normalised without email-validator
# (about 10x faster, which matters for bulk marketing checks); a property test pins that
# this shortcut agrees with email-validator. Anything else takes the full path.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalise_email(value: str) -> str:
    """The email, validated and lower-cased; raises ValueError if it is not an address."""
    candidate = value.strip()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise ValueError("value is not a valid email address")
    lowered = candidate.lower()
    if (
        len(lowered) <= MAX_EMAIL_LENGTH
        and _PLAIN_EMAIL.match(lowered)
        and len(lowered.partition("@")[0]) <= 64
        and lowered.rpartition(".")[2] not in _SPECIAL_USE_TLDS
    ):
        return lowered
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("value is not a valid email address") from None
    return result.normalized.lower()


def normalise_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The phone number in E.164; raises ValueError if it is not a valid number."""
    candidate = value.strip()
    if not candidate or len(candidate) > MAX_PHONE_INPUT_LENGTH:
        raise ValueError("value is not a valid phone number")
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        raise ValueError("value is not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("value is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone_for_lookup(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The phone in E.164 for looking it up: an input already in E.164 is taken as is.

    Stored numbers are valid E.164, so an E.164-shaped input that is not a valid number
    simply matches nothing; other notations are parsed and validated fully.
    """
    candidate = value.strip()
    if _E164.match(candidate):
        return candidate
    return normalise_phone(candidate, region)
