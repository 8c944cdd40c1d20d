"""Every spelling of one email or one phone is one identifier, with one verdict.

The properties run on the canonical-form functions (at least 1,000 generated examples
per kind), and a smaller sample goes through the API end to end: stored, searched,
suppressed and checked with different spellings of the same identifier.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.subjects.identifiers import (
    _NUMBER_TYPES,
    _canonical_phone,
    _parsed_phone,
    _valid_default_national,
    normalise_email,
    normalise_phone,
)
from tests.conftest import Api

PROPERTY = settings(max_examples=1000, deadline=None, derandomize=True)
THROUGH_API = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# -- emails --------------------------------------------------------------------------

LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789åäöéüñ"
LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789åäöéü"


@st.composite
def mailboxes(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A mailbox (local part, domain labels) and several spellings of it."""
    local = draw(st.text(LOCAL_CHARS, min_size=1, max_size=12))
    labels = draw(st.lists(st.text(LABEL_CHARS, min_size=1, max_size=10), min_size=1, max_size=2))
    tld = draw(st.sampled_from(["se", "com", "nu", "org"]))
    spellings = [draw(_spelling(local, [*labels, tld])) for _ in range(3)]
    return f"{local}@{'.'.join([*labels, tld])}", spellings


@st.composite
def _spelling(draw: st.DrawFn, local: str, labels: list[str]) -> str:
    def recase(text: str) -> str:
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))

    def label_form(label: str) -> str:
        if not label.isascii() and draw(st.booleans()):
            return label.encode("idna").decode("ascii")  # punycode, xn--...
        return recase(label)

    address = f"{recase(local)}@{'.'.join(label_form(lbl) for lbl in labels)}"
    form = draw(st.sampled_from(["NFC", "NFD"]))
    space = draw(st.sampled_from(["", " ", "\t", "  "]))
    return space + unicodedata.normalize(form, address) + space[::-1]


def _valid_email(address: str) -> bool:
    try:
        normalise_email(address)
    except ValueError:
        return False
    return True


@PROPERTY
@given(mailboxes())
def test_every_spelling_of_an_email_is_one_canonical_form(mailbox: tuple[str, list[str]]) -> None:
    address, spellings = mailbox
    if not _valid_email(address):
        return  # e.g. a label IDNA refuses; then every spelling must be refused too
    canonical = normalise_email(address)
    assert {normalise_email(s) for s in spellings} == {canonical}
    assert canonical == unicodedata.normalize("NFC", canonical)
    assert canonical == canonical.lower().strip()
    assert normalise_email(canonical) == canonical  # idempotent


@PROPERTY
@given(mailboxes())
def test_an_invalid_email_is_invalid_in_every_spelling(mailbox: tuple[str, list[str]]) -> None:
    address, spellings = mailbox
    valid = _valid_email(address)
    assert all(_valid_email(s) == valid for s in spellings)


def test_idn_as_unicode_and_as_punycode_is_one_mailbox() -> None:
    assert normalise_email("kund@xn--exmple-cua.se") == normalise_email("kund@exämple.se")
    assert normalise_email("KUND@EXÄMPLE.SE") == "kund@exämple.se"
    assert normalise_email(unicodedata.normalize("NFD", "Åsa@exämple.se")) == "åsa@exämple.se"


# -- phones --------------------------------------------------------------------------

# (region, country code, national significant number strategy)
SWEDISH_MOBILE = st.builds(
    lambda prefix, rest: f"7{prefix}{rest}",
    st.sampled_from("02369"),
    st.text("0123456789", min_size=7, max_size=7),
)
SWEDISH_GEOGRAPHIC = st.builds(
    lambda area, rest: f"{area}{rest}",
    st.sampled_from(["8", "155", "31", "40", "18"]),
    st.text("0123456789", min_size=6, max_size=7),
)
# Foreign numbers: the region's example number with its last two digits varied.
FOREIGN = st.sampled_from(["NO", "DK", "FI", "DE", "GB", "US", "FR"]).flatmap(
    lambda region: st.builds(
        lambda tail: (region, str(phonenumbers.example_number(region).national_number)[:-2] + tail),
        st.text("0123456789", min_size=2, max_size=2),
    )
)


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A valid number in E.164 and spellings of it: national, international, `00`,
    trunk `0` after the country code, spaces and dashes."""
    if draw(st.booleans()):
        nsn = draw(st.one_of(SWEDISH_MOBILE, SWEDISH_GEOGRAPHIC))
        country, region = "46", "SE"
    else:
        region, nsn = draw(FOREIGN)
        country = str(phonenumbers.country_code_for_region(region))
    e164 = f"+{country}{nsn}"
    forms = [f"+{country}{nsn}", f"00{country}{nsn}", f"+{country} {nsn}"]
    if region == "SE":
        # National notation (the default region) and the trunk 0 after the country code.
        forms += [f"0{nsn}", f"+46 (0){nsn}", f"+460{nsn}", f"0046 0{nsn}"]
    spellings = [_separate(draw, draw(st.sampled_from(forms))) for _ in range(3)]
    return e164, spellings


def _separate(draw: st.DrawFn, text: str) -> str:
    out = []
    for index, char in enumerate(text):
        if index > 2 and char.isdigit() and draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from([" ", "-", " - ", "."])))
        out.append(char)
    return draw(st.sampled_from(["", " "])) + "".join(out)


def _valid_phone(value: str) -> bool:
    try:
        normalise_phone(value)
    except ValueError:
        return False
    return True


@PROPERTY
@given(numbers())
def test_every_spelling_of_a_phone_is_one_canonical_form(number: tuple[str, list[str]]) -> None:
    e164, spellings = number
    if not _valid_phone(e164):
        assert not any(_valid_phone(s) for s in spellings)
        return
    assert normalise_phone(e164) == e164
    assert {normalise_phone(s) for s in spellings} == {e164}


def _outcome(canonical: Callable[[str, str], str], value: str) -> str | None:
    try:
        return canonical(value, "SE")
    except ValueError:
        return None


@PROPERTY
@given(
    st.one_of(
        SWEDISH_MOBILE,
        SWEDISH_GEOGRAPHIC,
        st.text("0123456789", min_size=1, max_size=14).filter(lambda d: d[0] != "0"),
    )
)
def test_the_e164_shortcut_agrees_with_the_parser(nsn: str) -> None:
    # Default-region numbers written in E.164 skip the parser (bulk checks); valid or
    # not, they must come out as the parser says.
    value = f"+46{nsn}"
    assert _outcome(_canonical_phone.__wrapped__, value) == _outcome(_parsed_phone, value)


def _library_says_valid(national: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=46, national_number=int(national))
    return phonenumbers.is_valid_number(number)


def test_the_validity_patterns_agree_with_libphonenumber_on_every_prefix() -> None:
    # Every three-digit start of a Swedish national number, at every length the E.164
    # shortcut takes (2 to 14 digits), with three different tails: the combined
    # patterns say valid exactly where `phonenumbers.is_valid_number` does.
    tails = ("0" * 11, "9" * 11, "52741380965")
    checked = valid = 0
    for start in range(100, 1000):
        for length in range(2, 15):
            for tail in tails:
                national = (str(start) + tail)[:length]
                expected = _library_says_valid(national)
                assert _valid_default_national(national) == expected, national
                checked, valid = checked + 1, valid + expected
    assert checked == 900 * 13 * 3 and valid > 1_000  # the valid side was exercised too


_SWEDISH = phonenumbers.PhoneMetadata.metadata_for_region("SE")
# libphonenumber's example number of each kind it knows in Sweden (no VoIP numbers).
SWEDISH_EXAMPLES = {
    kind: desc.example_number
    for kind in _NUMBER_TYPES
    if (desc := getattr(_SWEDISH, kind)) is not None and desc.example_number
}


@pytest.mark.parametrize("kind", sorted(SWEDISH_EXAMPLES))
def test_the_example_number_of_every_kind_is_valid_through_the_shortcut(kind: str) -> None:
    national = SWEDISH_EXAMPLES[kind]
    assert _library_says_valid(national)
    assert _valid_default_national(national)
    assert normalise_phone(f"+46{national}") == f"+46{national}"


def test_every_kind_but_voip_has_a_swedish_example() -> None:
    assert set(_NUMBER_TYPES) - set(SWEDISH_EXAMPLES) == {"voip"}


@pytest.mark.parametrize(
    "spelling",
    ["+460705550199", "0705550199", "070-555 01 99", "0046705550199", "+46 (0)70-555 01 99"],
)
def test_trunk_zero_and_national_notation_are_one_number(spelling: str) -> None:
    assert normalise_phone(spelling) == "+46705550199"


# -- end to end: stored, searched, suppressed and checked as one ---------------------


def _verdicts(api: Api, **body: list[str]) -> list[tuple[bool, str | None]]:
    response = api.post("/v1/marketing/check", json=body, scopes=["marketing:check"])
    assert response.status_code == 200, response.text
    return [(r["allowed"], r["reason"]) for r in response.json()["results"]]


@THROUGH_API
@given(mailbox=mailboxes(), number=numbers())
def test_an_objection_under_one_spelling_refuses_every_other(
    api: Api, mailbox: tuple[str, list[str]], number: tuple[str, list[str]]
) -> None:
    address, email_spellings = mailbox
    e164, phone_spellings = number
    if not (_valid_email(address) and _valid_phone(e164)):
        return
    # A fresh tenant per example: examples must not see each other's data.
    api = Api(client=api.client, tenant=f"t-{uuid.uuid4().hex[:12]}", engine=api.engine)
    created = api.post(
        "/v1/subjects", json={"emails": [email_spellings[0]], "phones": [phone_spellings[0]]}
    )
    assert created.status_code == 201, created.text
    subject = created.json()
    assert subject["emails"] == [normalise_email(address)]
    assert subject["phones"] == [e164]
    for spelling in email_spellings:
        found = api.post("/v1/subjects/search", json={"email": spelling}).json()["items"]
        assert [s["id"] for s in found] == [subject["id"]]
    for spelling in phone_spellings:
        found = api.post("/v1/subjects/search", json={"phone": spelling}).json()["items"]
        assert [s["id"] for s in found] == [subject["id"]]

    assert api.post(f"/v1/subjects/{subject['id']}/marketing-objection").status_code == 200
    verdicts = _verdicts(api, emails=email_spellings, phones=phone_spellings)
    assert verdicts == [(False, "objection")] * (len(email_spellings) + len(phone_spellings))

    # A re-import under yet another spelling is the same person, still objecting.
    again = api.post(
        "/v1/subjects", json={"emails": [email_spellings[-1]], "phones": [phone_spellings[-1]]}
    )
    assert again.status_code == 201, again.text
    assert again.json()["marketing_objection"] is True
