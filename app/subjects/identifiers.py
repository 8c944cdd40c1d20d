"""Normalising identifiers: emails (validated, lower-cased) and phones (E.164).

Error messages never repeat the submitted value: they end up in problem responses.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_PHONE_REGION = "SE"  # numbers written without a country code are Swedish
MAX_EMAIL_LENGTH = 254
MAX_PHONE_INPUT_LENGTH = 40


def normalise_email(value: str) -> str:
    """The email, validated and lower-cased; raises ValueError if it is not an address."""
    candidate = value.strip()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise ValueError("value is not a valid email address")
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
