"""The one canonical form of each kind of identifier: emails and phones.

Storage, search, the suppression hashes of objections and the marketing check all call
`normalise_email` / `normalise_phone`, and nothing else decides what an identifier is.
Every spelling of one mailbox or one number therefore becomes the same string:

- email: surrounding space removed, Unicode NFC, the domain in its Unicode form (an
  IDN written as punycode `xn--...` is decoded), everything lower-cased. A mailbox's
  local part is case-sensitive in theory (RFC 5321 §2.4) but not in practice, and
  treating two spellings as two people would let an objection be bypassed.
- phone: E.164, parsed and validated by libphonenumber, so national and international
  notation, spaces, dashes, brackets, the `00` prefix and a trunk `0` written after the
  country code (`+46 (0)70...`) all give one number. Numbers without a country code are
  read in the default region (Sweden).

Error messages never repeat the submitted value: they end up in problem responses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_PHONE_REGION = "SE"  # numbers written without a country code are Swedish
MAX_EMAIL_LENGTH = 254
MAX_PHONE_INPUT_LENGTH = 40
# Bulk marketing checks see the same identifiers again and again: a bulk check of
# 10,000 (5,000 of each kind) fits. Twice 65,536 entries kept a process about 6 MB
# larger for good after one large import (bench.import_ndjson: 63 -> 57 MB growth).
_CACHE_SIZE = 1 << 14

# Plain ASCII addresses of the common shape are canonical once lower-cased, without a
# trip through email-validator (about 10x faster, which matters for bulk checks). A
# label starting with `xn--` is an IDN in punycode and is not plain: its canonical form
# is the Unicode one. A property test pins that this shortcut agrees with the full path.
_PLAIN_EMAIL = re.compile(
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def normalise_email(value: str) -> str:
    """The canonical form of an email; raises ValueError if it is not an address."""
    return _canonical_email(value.strip())


@lru_cache(maxsize=_CACHE_SIZE)
def _canonical_email(candidate: str) -> str:
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise ValueError("value is not a valid email address")
    lowered = candidate.lower()
    if (
        _PLAIN_EMAIL.match(lowered)
        and "xn--" not in lowered
        and len(lowered.partition("@")[0]) <= 64
        and lowered.rpartition(".")[2] not in _SPECIAL_USE_TLDS
    ):
        return lowered
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("value is not a valid email address") from None
    # `normalized` has an NFC local part and the Unicode domain; lower-casing can
    # decompose (e.g. U+0130), so compose again.
    canonical = unicodedata.normalize("NFC", result.normalized.lower())
    if len(canonical) > MAX_EMAIL_LENGTH:
        raise ValueError("value is not a valid email address")
    return canonical


def normalise_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The canonical form of a phone number (E.164); raises ValueError if it is not valid."""
    return _canonical_phone(value.strip(), region)


# A number of the default region already written in E.164 without a trunk 0 (how most
# systems store Swedish numbers) is its own canonical form once valid: the same number
# phonenumbers' parser builds, without the parser (about 2.5x faster, which matters for
# bulk checks). A property test pins that this shortcut agrees with the full path.
_DEFAULT_COUNTRY_CODE = phonenumbers.country_code_for_region(DEFAULT_PHONE_REGION)
_DEFAULT_PREFIX = f"+{_DEFAULT_COUNTRY_CODE}"
_DEFAULT_E164 = re.compile(rf"\+{_DEFAULT_COUNTRY_CODE}[1-9][0-9]{{1,13}}")
# The kinds of number libphonenumber tells apart (`phonenumberutil._number_type_helper`):
# a number is valid when it fits the region's general description and one of these.
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _validity_patterns(region: str) -> dict[int, tuple[re.Pattern[str], re.Pattern[str]]]:
    """libphonenumber's validity rule for the national numbers of `region`, from its own
    metadata, as two patterns per length: the general description, and the union of
    the number types whose lengths include it. `phonenumbers.is_valid_number` tries the
    same patterns one type at a time (up to eleven matches and as many lookups of a
    compiled pattern): 19 us a Swedish mobile number, against 2 us for these two."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None, region

    def union(names: Iterable[str], length: int) -> re.Pattern[str] | None:
        alternatives = [
            f"(?:{desc.national_number_pattern})"
            for desc in (getattr(metadata, name) for name in names)
            if desc is not None
            and desc.national_number_pattern
            and (not desc.possible_length or length in desc.possible_length)
        ]
        return re.compile("|".join(alternatives)) if alternatives else None

    patterns = {}
    for length in range(1, 18):  # a national significant number has at most 17 digits
        general, typed = union(["general_desc"], length), union(_NUMBER_TYPES, length)
        if general is not None and typed is not None:
            patterns[length] = (general, typed)
    return patterns


_DEFAULT_VALIDITY = _validity_patterns(DEFAULT_PHONE_REGION)


def _valid_default_national(national: str) -> bool:
    """Whether the national significant number `national` (digits, no leading zero) is
    a valid number of the default region: `phonenumbers.is_valid_number`'s answer."""
    patterns = _DEFAULT_VALIDITY.get(len(national))
    return (
        patterns is not None
        and patterns[0].fullmatch(national) is not None
        and patterns[1].fullmatch(national) is not None
    )


@lru_cache(maxsize=_CACHE_SIZE)
def _canonical_phone(candidate: str, region: str) -> str:
    if not candidate or len(candidate) > MAX_PHONE_INPUT_LENGTH:
        raise ValueError("value is not a valid phone number")
    if _DEFAULT_E164.fullmatch(candidate):
        if not _valid_default_national(candidate[len(_DEFAULT_PREFIX) :]):
            raise ValueError("value is not a valid phone number")
        return candidate
    return _parsed_phone(candidate, region)


def _parsed_phone(candidate: str, region: str) -> str:
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        raise ValueError("value is not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("value is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
