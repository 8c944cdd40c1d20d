"""Letters to the person about a rights request (Art 12), in Swedish and English, as HTML
and plain text, and the record of what was sent.

Sources: GDPR Art 12(1) (clear and plain language), 12(3) (one month, extension told
with reasons), 12(4) (reasons, complaint to IMY, judicial remedy), 12(5) (manifestly
unfounded or excessive), 12(6) (identification), 15, 77, 79; EDPB Guidelines 01/2022
§§ 65-77 and 159; Reg 1182/71 art. 3 (the dates).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.requests.letter_labels import (
    CHANNEL,
    DONE,
    GROUNDS,
    LETTER_TEXT,
    MONTHS_COUNT,
    REQUEST_TYPE,
    REQUEST_WHAT,
)
from app.requests.schemas import Channel, RefusalGrounds, RequestType
from tests.conftest import CONTACT, INVOICE_2024, NOTE, PERSONAL_VALUES, Api, FrozenClock
from tests.notices.helpers import publish_template
from tests.requests.test_rights_requests import no_verification
from tests.rights.test_access_report_html import (
    Document,
    assert_accessible,
    assert_same_content,
    flat,
)

LANGS = ["sv", "en"]
FORMATS = ["html", "text"]
KINDS = ["acknowledgement", "identification", "extension", "answer", "refusal"]
EMAIL = "asa.oberg@example.se"
VERIFIED = {"method": "email_confirmation", "verified_at": "2026-03-03T10:00:00Z"}
# Any tag at all: a plain-text letter has none.
TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
# The IMY of Care of's notice, and the courts, as each language says them.
IMY = {
    "sv": [
        "Integritetsskyddsmyndigheten (IMY)",
        "https://www.imy.se",
        "Box 8114, 104 20 Stockholm",
    ],
    "en": ["Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se", "Box 8114, SE-104 20"],
}
COURT = {"sv": "väcka talan mot oss i domstol (artikel 79", "en": "in court (Article 79 GDPR)"}
COMPLAINT = {"sv": "rätt att lämna klagomål till", "en": "right to lodge a complaint with"}


def open_request(api: Api, **body: Any) -> dict[str, Any]:
    body = {"type": "access", "channel": "email", "received_at": "2026-03-03T09:00:00Z", **body}
    if "subject_id" not in body and "requester" not in body:
        body["requester"] = {"emails": [EMAIL]}
    response = api.post("/v1/rights-requests", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def act(api: Api, request: dict[str, Any], action: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/v1/rights-requests/{request['id']}/{action}", json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def get_letter(
    api: Api, request: dict[str, Any], kind: str, lang: str = "sv", fmt: str = "html"
) -> Any:
    return api.get(
        f"/v1/rights-requests/{request['id']}/letters/{kind}?lang={lang}&format={fmt}",
        scopes=["rights:read"],
    )


def read(response: Any, lang: str, fmt: str) -> str:
    """The letter's words, whitespace made single; the document checked on the way."""
    assert response.status_code == 200, response.text
    assert response.headers["content-language"] == lang
    assert response.headers["cache-control"] == "no-store"
    if fmt == "text":
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert not TAG.search(response.text), TAG.search(response.text)
        return flat(response.text)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    document = Document(response.text)
    assert_letter_document(document, lang)
    return document.text


def assert_letter_document(document: Document, lang: str) -> None:
    """Well-formed, accessible, and nothing runs or loads from elsewhere."""
    assert document.errors == []
    assert document.doctype
    assert document.attrs("html") == [{"lang": lang}]
    assert len(document.attrs("title")) == 1
    assert document.headings[0] == 1 and document.headings.count(1) == 1
    for before, after in zip(document.headings, document.headings[1:], strict=False):
        assert after <= before + 1, "a heading level is skipped"
    for children in document.tables:
        assert children[0] == "caption"
    names = {name for name, _ in document.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "form", "base"}
    for _, attrs in document.tags:
        assert not any(name.startswith("on") or name == "src" for name in attrs)
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "https://"))


def assert_signed(text: str, request: dict[str, Any], lang: str, day: str = "4") -> None:
    """Dated (today, by the clock), with the reference, signed by the controller of the
    published notice."""
    dated = {"sv": f"Datum:? {day} mars 2026", "en": f"Date:? {day} March 2026"}[lang]
    assert re.search(dated, text), dated
    reference = {"sv": "Vår referens:?", "en": "Our reference:?"}[lang]
    assert re.search(f"{reference} {request['id']}", text)
    regards = {"sv": "Med vänlig hälsning Care of", "en": "Kind regards Care of"}[lang]
    assert regards in text
    assert "556XXX-XXXX" in text  # the organisation number
    dpo = {"sv": "Kontaktpunkt för dataskyddsfrågor", "en": "Contact point for data protection"}
    assert dpo[lang] in text


def assert_remedies(text: str, lang: str) -> None:
    assert COMPLAINT[lang] in text
    for words in IMY[lang]:
        assert words in text, words
    assert COURT[lang] in text


@pytest.fixture
def notice(api: Api) -> None:
    publish_template(api)


# --- acknowledgement -------------------------------------------------------------------


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_acknowledgement_says_what_when_and_by_when(
    api: Api, clock: FrozenClock, notice: None, lang: str, fmt: str
) -> None:
    """Received 2026-03-03 in Europe/Stockholm: due 7 April 2026 (Easter Monday is 6 April)."""
    no_verification(api)
    request = open_request(api)
    assert request["due_at"] == "2026-04-07T23:59:59+02:00"
    text = read(get_letter(api, request, "acknowledgement", lang, fmt), lang, fmt)
    golden = {
        "sv": [
            "Vi har tagit emot din begäran",
            "Vi har tagit emot din begäran om tillgång till dina personuppgifter "
            "(registerutdrag, artikel 15).",
            "Den kom in till oss via e-post den 3 mars 2026.",
            f"Ange vår referens {request['id']} när du kontaktar oss",
            "Vi besvarar din begäran utan onödigt dröjsmål och senast den 7 april 2026 "
            "(artikel 12.3 i dataskyddsförordningen).",
            "Mottagen: 3 mars 2026" if fmt == "text" else "Mottagen 3 mars 2026",
        ],
        "en": [
            "We have received your request",
            "We have received your request for access to your personal data (Article 15).",
            "It reached us by email on 3 March 2026.",
            f"Please quote our reference {request['id']} when you contact us",
            "by 7 April 2026 at the latest (Article 12(3)",
            "Received: 3 March 2026" if fmt == "text" else "Received 3 March 2026",
        ],
    }
    for words in golden[lang]:
        assert words in text, words
    assert_signed(text, request, lang)
    assert EMAIL not in text


@pytest.mark.clock("2026-03-10T12:00:00Z")
@pytest.mark.parametrize("lang", LANGS)
def test_awaiting_verification_the_month_counts_from_identification(
    api: Api, clock: FrozenClock, notice: None, lang: str
) -> None:
    request = open_request(api)
    assert request["status"] == "awaiting_verification"
    text = read(get_letter(api, request, "acknowledgement", lang), lang, "html")
    counts_from = {
        "sv": "Tidsfristen på en månad för vårt svar räknas från den dag vi har kunnat "
        "bekräfta vem du är.",
        "en": "Our one-month time limit for answering counts from the day we have been "
        "able to confirm who you are.",
    }
    assert counts_from[lang] in text
    assert "april 2026" not in text.lower()  # no date while the clock waits
    # Verified a week later: the first month's end (Good Friday 3 April, before the
    # holiday rule moves it) moves by the seven days to Friday 10 April (EDPB § 159).
    verified = act(api, request, "verify", {**VERIFIED, "verified_at": "2026-03-10T09:00:00Z"})
    assert verified["due_at"] == "2026-04-10T23:59:59+02:00"
    text = read(get_letter(api, request, "acknowledgement", lang), lang, "html")
    assert {"sv": "senast den 10 april 2026", "en": "by 10 April 2026"}[lang] in text


# --- identification --------------------------------------------------------------------


@pytest.mark.clock("2026-03-06T12:00:00Z")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_identification_while_awaiting_verification_or_information(
    api: Api, clock: FrozenClock, notice: None, lang: str, fmt: str
) -> None:
    request = open_request(api)
    text = read(get_letter(api, request, "identification", lang, fmt), lang, fmt)
    why = {
        "sv": [
            "Vi behöver bekräfta vem du är",
            "(artikel 12.6 i dataskyddsförordningen)",
            "e-legitimation",
            "sparar vi ingen kopia",
            "står still tills du har svarat",
        ],
        "en": [
            "We need to confirm who you are",
            "(Article 12(6) GDPR)",
            "electronic ID",
            "we do not keep a copy",
            "is paused until you reply",
        ],
    }
    for words in why[lang]:
        assert words in text, words
    assert_signed(text, request, lang, day="6")

    act(api, request, "verify", VERIFIED)
    gone = get_letter(api, request, "identification", lang, fmt)
    assert gone.status_code == 409
    assert gone.headers["content-type"] == "application/problem+json"
    assert "awaits neither" in gone.json()["detail"]

    asked = "Which of our services the request concerns, and from which year."
    act(api, request, "request-information", {"asked": asked, "asked_at": "2026-03-04T09:00:00Z"})
    text = read(get_letter(api, request, "identification", lang, fmt), lang, fmt)
    information = {
        "sv": [
            "Vi behöver mer information från dig",
            "(frågan ställdes den 4 mars 2026)",
            "skäl 63",
            "Tidsfristen för vårt svar står still tills vi har fått ditt svar",
        ],
        "en": [
            "We need more information",
            "(asked on 4 March 2026)",
            "Recital 63",
            "Our time limit for answering is paused until we have your reply",
        ],
    }
    for words in information[lang]:
        assert words in text, words
    assert asked in text  # as the desk wrote it

    act(api, request, "information-received", {"received_at": "2026-03-05T09:00:00Z"})
    assert get_letter(api, request, "identification", lang, fmt).status_code == 409


# --- extension -------------------------------------------------------------------------


@pytest.mark.clock("2026-02-20T12:00:00Z")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_the_extension_gives_months_reasons_and_the_new_date(
    api: Api, clock: FrozenClock, notice: None, lang: str, fmt: str
) -> None:
    """Received 2026-01-30, extended by two months → due 2026-04-28 (Reg 1182/71)."""
    no_verification(api)
    request = open_request(api, received_at="2026-01-30T09:00:00Z")
    missing = get_letter(api, request, "extension", lang, fmt)
    assert missing.status_code == 409 and "not been extended" in missing.json()["detail"]
    reason = "Your data is in six systems & two archives."
    extended = act(
        api,
        request,
        "extend",
        {"months": 2, "reason": reason, "informed_at": "2026-02-20T09:00:00Z"},
    )
    assert extended["due_at"] == "2026-04-28T23:59:59+02:00"
    text = read(get_letter(api, request, "extension", lang, fmt), lang, fmt)
    golden = {
        "sv": [
            "Vi behöver längre tid för att besvara din begäran",
            "som vi tog emot den 30 januari 2026",
            "(artikel 12.3)",
            "Vi förlänger tiden med två månader.",
            reason,
            "Vi besvarar din begäran senast den 28 april 2026.",
        ],
        "en": [
            "We need more time to answer your request",
            "which we received on 30 January 2026",
            "(Article 12(3))",
            "We are extending the time by two months.",
            reason,
            "We will answer your request by 28 April 2026 at the latest.",
        ],
    }
    for words in golden[lang]:
        assert words in text, words


# --- answer ----------------------------------------------------------------------------


def access_answer(api: Api) -> tuple[dict[str, Any], list[str]]:
    """An access request from one email that matches two duplicates, answered in full."""
    first = api.create_subject(emails=[EMAIL], records=[CONTACT, INVOICE_2024])["id"]
    duplicate = api.create_subject(emails=["ASA.Oberg@Example.se"], records=[NOTE])["id"]
    request = open_request(api)
    assert sorted(request["matched_subject_ids"]) == sorted([first, duplicate])
    act(api, request, "verify", VERIFIED)
    # The duplicate's note may carry other people's data (Art 15(4)): reviewed, released.
    review = api.get(f"/v1/rights-requests/{request['id']}/review").json()
    for item in review["items"]:
        decision = {"record_id": item["record"]["id"], "decision": "release"}
        act(api, request, "review", decision)
    act(api, request, "complete", {"outcome": "fulfilled", "note": "Sent by secure mail."})
    return request, sorted([first, duplicate])


def without_reports(html: str) -> str:
    return re.sub(r'<article class="access-report".*?</article>', "", html, flags=re.S)


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize("lang", LANGS)
def test_an_access_answer_holds_every_report_and_lists_every_export(
    api: Api, clock: FrozenClock, notice: None, lang: str
) -> None:
    request, subject_ids = access_answer(api)
    response = get_letter(api, request, "answer", lang, "html")
    text = read(response, lang, "html")
    document = Document(response.text)
    assert_accessible(document)
    # Every value of each subject's JSON access report (as released through the request)
    # is in the letter: record ids, field values, categories, purposes, retention...
    for subject_id in subject_ids:
        report = api.get(
            f"/v1/subjects/{subject_id}/access-report?lang={lang}&rights_request_id={request['id']}"
        ).json()
        assert report["records"]
        assert assert_same_content(report, document) > 50
        for record in report["records"]:
            assert record["id"] in text
    heading = {"sv": "Registerutdrag 2 av 2", "en": "Access report 2 of 2"}[lang]
    assert heading in text
    # The exports attached: named in the letter, linked for the desk, and real.
    links = response.headers["link"]
    overview = api.get(f"/v1/rights-requests/{request['id']}/letters").json()
    assert [a["subject_id"] for a in overview["attachments"]] == subject_ids
    for subject_id in subject_ids:
        href = f"/v1/subjects/{subject_id}/export?rights_request_id={request['id']}"
        assert f"subject-{subject_id}.json" in text
        assert f'<{href}>; rel="enclosure"; title="subject-{subject_id}.json"' in links
        assert {
            "subject_id": subject_id,
            "filename": f"subject-{subject_id}.json",
            "href": href,
        } in (overview["attachments"])
        export = api.get(href)
        assert export.status_code == 200 and export.json()["subject_id"] == subject_id
    # The person's email is in their own data (the reports), nowhere else in the letter.
    assert EMAIL in response.text
    assert EMAIL not in without_reports(response.text)
    assert "Sent by secure mail." not in response.text  # the desk's note stays internal


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize("lang", LANGS)
def test_an_access_answer_in_text_is_a_summary_with_the_attachments(
    api: Api, clock: FrozenClock, notice: None, lang: str
) -> None:
    request, subject_ids = access_answer(api)
    response = get_letter(api, request, "answer", lang, "text")
    text = read(response, lang, "text")
    golden = {
        "sv": [
            "Du finns på 2 ställen i vårt register.",
            "Kontaktuppgifter: 1 post",
            "Offerter, order och fakturor: 1 post",
            "Anteckningar: 1 post",
            "Bilagor",
        ],
        "en": [
            "You appear 2 times in our records.",
            "Contact details: 1 record",
            "Quotes, orders and invoices: 1 record",
            "Notes: 1 record",
            "Attachments",
        ],
    }
    for words in golden[lang]:
        assert words in text, words
    for subject_id in subject_ids:
        assert f"subject-{subject_id}.json" in text
    assert "Åsa Öberg" not in text and EMAIL not in text  # a summary: no values


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_no_data_held_for_an_unknown_requester(
    api: Api, clock: FrozenClock, notice: None, lang: str, fmt: str
) -> None:
    request = open_request(api, requester={"emails": ["nobody@example.com"]})
    assert request["matched_subject_ids"] == []
    act(api, request, "verify", VERIFIED)
    act(api, request, "complete", {"outcome": "fulfilled", "note": "no data held"})
    response = get_letter(api, request, "answer", lang, fmt)
    text = read(response, lang, fmt)
    assert {
        "sv": "Vi har inga personuppgifter om dig.",
        "en": "We hold no personal data about you.",
    }[lang] in text
    assert "subject-" not in text and "link" not in response.headers
    assert "nobody@example.com" not in response.text
    assert api.get(f"/v1/rights-requests/{request['id']}/letters").json()["attachments"] == []


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_a_partial_answer_states_reasons_imy_and_the_courts(
    api: Api, clock: FrozenClock, notice: None, lang: str, fmt: str
) -> None:
    no_verification(api)
    subject = api.create_subject(records=[CONTACT, INVOICE_2024])
    request = open_request(api, type="erasure", subject_id=subject["id"])
    reasons = "Invoices are kept for seven years (Bokföringslagen 7 kap. 2 §)."
    act(api, request, "complete", {"outcome": "partially_fulfilled", "reasons": reasons})
    text = read(get_letter(api, request, "answer", lang, fmt), lang, fmt)
    done = {
        "sv": "Vi har raderat dina personuppgifter (artikel 17).",
        "en": "We have erased your personal data (Article 17).",
    }
    partial = {"sv": "Det vi inte har gjort, och varför", "en": "What we have not done, and why"}
    for words in (done[lang], partial[lang], reasons):
        assert words in text, words
    assert {"sv": "(artikel 19)", "en": "(Article 19)"}[lang] in text  # recipients told
    assert_remedies(text, lang)
    assert "subject-" not in text  # an erasure releases no data


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize(
    ("request_type", "sv", "en"),
    [
        ("rectification", "Vi har rättat dina personuppgifter", "We have rectified your"),
        ("restriction", "Vi har begränsat behandlingen", "We have restricted the processing"),
        ("objection", "Vi har upphört med den behandling", "We have stopped the processing"),
        (
            "portability",
            "maskinläsbart format (artikel 20)",
            "machine-readable format (Article 20)",
        ),
    ],
)
def test_a_fulfilled_answer_says_what_was_done(
    api: Api, clock: FrozenClock, notice: None, request_type: str, sv: str, en: str
) -> None:
    no_verification(api)
    subject = api.create_subject(records=[CONTACT])
    request = open_request(api, type=request_type, subject_id=subject["id"])
    act(api, request, "complete", {"outcome": "fulfilled"})
    for lang, words in (("sv", sv), ("en", en)):
        for fmt in FORMATS:
            response = get_letter(api, request, "answer", lang, fmt)
            text = read(response, lang, fmt)
            assert words in text
            # Only portability hands over data, and so attaches the export.
            assert (f"subject-{subject['id']}.json" in text) is (request_type == "portability")
            assert COMPLAINT[lang] not in text  # fully acted on: no remedies section


# --- refusal ---------------------------------------------------------------------------


@pytest.mark.clock("2026-03-04T12:00:00Z")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_a_refusal_states_reasons_grounds_imy_and_the_courts(
    api: Api, clock: FrozenClock, notice: None, lang: str, fmt: str
) -> None:
    no_verification(api)
    request = open_request(api)
    reasons = "The same access request was answered in full on 2 March 2026."
    act(
        api,
        request,
        "complete",
        {"outcome": "refused", "reasons": reasons, "refusal_grounds": "excessive"},
    )
    text = read(get_letter(api, request, "refusal", lang, fmt), lang, fmt)
    golden = {
        "sv": [
            "Vi kommer inte att tillmötesgå din begäran",
            reasons,
            "Vi bedömer att din begäran är orimlig, särskilt på grund av att den upprepas "
            "(artikel 12.5 b i dataskyddsförordningen).",
            "Det är vi som ska kunna visa att så är fallet (artikel 12.5).",
        ],
        "en": [
            "We will not act on your request",
            reasons,
            "We consider your request excessive, in particular because of its repetitive "
            "character (Article 12(5)(b) GDPR).",
            "It is for us to demonstrate that this is so (Article 12(5)).",
        ],
    }
    for words in golden[lang]:
        assert words in text, words
    assert_remedies(text, lang)
    assert_signed(text, request, lang)


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_a_refusal_as_manifestly_unfounded_and_one_without_grounds(
    api: Api, clock: FrozenClock, notice: None
) -> None:
    unfounded = open_request(api)
    act(api, unfounded, "verify", VERIFIED)
    act(
        api,
        unfounded,
        "complete",
        {"outcome": "refused", "reasons": "x", "refusal_grounds": "manifestly_unfounded"},
    )
    text = read(get_letter(api, unfounded, "refusal", "sv"), "sv", "html")
    assert "Vi bedömer att din begäran är uppenbart ogrundad (artikel 12.5 b" in text
    # A person who could not be identified is refused with reasons, without 12(5) grounds.
    unverified = open_request(api)
    act(
        api,
        unverified,
        "complete",
        {"outcome": "refused", "reasons": "The identity could not be verified."},
    )
    text = read(get_letter(api, unverified, "refusal", "en"), "en", "html")
    assert "The identity could not be verified." in text
    assert "Article 12(5)" not in text
    assert_remedies(text, "en")


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_markup_in_a_reason_is_shown_as_text(api: Api, clock: FrozenClock, notice: None) -> None:
    no_verification(api)
    request = open_request(api)
    reasons = 'Repeated <script>alert("x")</script> & </p></main><b>bold</b>'
    act(api, request, "complete", {"outcome": "refused", "reasons": reasons})
    html = get_letter(api, request, "refusal", "en").text
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;/p&gt;" in html
    document = Document(html)
    assert_letter_document(document, "en")  # the reason's </p></main> closed nothing
    assert reasons in document.text


# --- which letter exists when ------------------------------------------------------------


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_which_letters_exist_through_a_requests_life(
    api: Api, clock: FrozenClock, notice: None
) -> None:
    api.create_subject(emails=[EMAIL], records=[CONTACT])
    request = open_request(api)

    def available() -> list[str]:
        overview = api.get(f"/v1/rights-requests/{request['id']}/letters").json()
        assert overview["notice_published"] is True
        for kind in KINDS:
            status = get_letter(api, request, kind).status_code
            assert status == (200 if kind in overview["available"] else 409), (kind, status)
        return overview["available"]  # type: ignore[no-any-return]

    assert available() == ["acknowledgement", "identification"]
    act(api, request, "verify", VERIFIED)
    assert available() == ["acknowledgement"]
    act(
        api,
        request,
        "extend",
        {"months": 1, "reason": "Many systems.", "informed_at": "2026-03-04T09:00:00Z"},
    )
    assert available() == ["acknowledgement", "extension"]
    act(api, request, "complete", {"outcome": "fulfilled"})
    assert available() == ["acknowledgement", "extension", "answer"]
    refusal = get_letter(api, request, "refusal")
    assert refusal.json()["detail"] == "The request was not refused: its letter is the `answer`."
    assert refusal.json()["available"] == ["acknowledgement", "extension", "answer"]

    refused = open_request(api)
    act(api, refused, "complete", {"outcome": "refused", "reasons": "Not identified."})
    answer = get_letter(api, refused, "answer")
    assert answer.status_code == 409
    assert "refused" in answer.json()["detail"] and "`refusal`" in answer.json()["detail"]
    assert get_letter(api, refused, "refusal").status_code == 200


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_without_a_published_notice_no_letter_exists(api: Api, clock: FrozenClock) -> None:
    request = open_request(api)
    for kind in ("acknowledgement", "identification"):
        response = get_letter(api, request, kind)
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].startswith("Publish a privacy notice first")
    overview = api.get(f"/v1/rights-requests/{request['id']}/letters").json()
    assert overview["notice_published"] is False and overview["available"] == []
    sent = api.post(
        f"/v1/rights-requests/{request['id']}/letters/acknowledgement/sent",
        json={"channel": "email", "sent_at": "2026-03-04T09:00:00Z"},
    )
    assert sent.status_code == 409


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_bad_kind_format_or_language_is_422(api: Api, clock: FrozenClock, notice: None) -> None:
    request = open_request(api)
    base = f"/v1/rights-requests/{request['id']}/letters"
    for url in (
        f"{base}/reminder",
        f"{base}/acknowledgement?lang=de",
        f"{base}/acknowledgement?format=pdf",
        f"{base}/acknowledgement?email=x",
    ):
        response = api.get(url)
        assert response.status_code == 422, url
        assert response.headers["content-type"] == "application/problem+json"
    assert api.get("/v1/rights-requests/not-an-id/letters/acknowledgement").status_code == 422


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_no_letter_holds_the_requesters_email_or_phone(
    api: Api, clock: FrozenClock, notice: None
) -> None:
    """The desk addresses the letter; the text names the person by nothing."""
    requester = {"emails": ["nobody@example.com"], "phones": ["070-765 43 21"]}
    request = open_request(api, requester=requester)
    rendered = []
    for kind in ("acknowledgement", "identification"):
        rendered += [get_letter(api, request, kind, lang, fmt) for lang in LANGS for fmt in FORMATS]
    act(api, request, "verify", VERIFIED)
    act(
        api,
        request,
        "request-information",
        {"asked": "Which service?", "asked_at": "2026-03-03T11:00:00Z"},
    )
    act(api, request, "information-received", {"received_at": "2026-03-03T12:00:00Z"})
    act(
        api,
        request,
        "extend",
        {"months": 1, "reason": "Many systems.", "informed_at": "2026-03-04T09:00:00Z"},
    )
    act(api, request, "complete", {"outcome": "partially_fulfilled", "reasons": "Some withheld."})
    for kind in ("acknowledgement", "extension", "answer"):
        rendered += [get_letter(api, request, kind, lang, fmt) for lang in LANGS for fmt in FORMATS]
    assert len(rendered) == 20
    for response in rendered:
        assert response.status_code == 200, response.text
        for value in ("nobody@example.com", "nobody", "765 43 21", "46707654321", "707654321"):
            assert value not in response.text


# --- letters sent ----------------------------------------------------------------------


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_a_letter_sent_is_recorded_listed_and_audited_without_personal_data(
    api: Api, clock: FrozenClock, notice: None
) -> None:
    api.create_subject(emails=[EMAIL], records=[CONTACT])
    request = open_request(api)
    base = f"/v1/rights-requests/{request['id']}/letters"
    first = api.post(
        f"{base}/acknowledgement/sent",
        json={"channel": "email", "sent_at": "2026-03-03T15:00:00+01:00"},
    )
    assert first.status_code == 201, first.text
    entry = first.json()
    assert entry["kind"] == "acknowledgement" and entry["channel"] == "email"
    assert entry["lang"] == "sv" and entry["sent_at"] == "2026-03-03T14:00:00Z"
    assert entry["recorded_at"] == "2026-03-04T12:00:00Z"
    assert entry["recorded_by"] == "test-system"
    assert entry["rights_request_id"] == request["id"]
    # Recorded later but sent earlier; and the same letter sent again on paper.
    earlier = api.post(
        f"{base}/identification/sent",
        json={"channel": "letter", "sent_at": "2026-03-03T10:00:00Z", "lang": "en"},
    )
    assert earlier.status_code == 201, earlier.text
    again = api.post(
        f"{base}/acknowledgement/sent",
        json={"channel": "letter", "sent_at": "2026-03-04T08:00:00Z"},
    )
    assert again.status_code == 201
    overview = api.get(base, scopes=["rights:read"]).json()
    assert [(e["kind"], e["channel"], e["lang"]) for e in overview["sent"]] == [
        ("identification", "letter", "en"),
        ("acknowledgement", "email", "sv"),
        ("acknowledgement", "letter", "sv"),
    ]
    assert overview["sent"][1] == entry
    assert overview["available"] == ["acknowledgement", "identification"]
    assert overview["attachments"] == []

    assert get_letter(api, request, "acknowledgement", "en", "text").status_code == 200
    # Refusals are audited too, linked to the request.
    assert get_letter(api, request, "answer").status_code == 409
    refused = api.post(
        f"{base}/answer/sent", json={"channel": "email", "sent_at": "2026-03-04T09:00:00Z"}
    )
    assert refused.status_code == 409
    events = api.get(f"/v1/audit-events?rights_request_id={request['id']}").json()["items"]
    actions = [(e["action"], e["outcome"], e["status_code"]) for e in events]
    assert actions.count(("rights_request.letter_sent", "success", 201)) == 3
    assert ("rights_request.letter", "success", 200) in actions
    assert ("rights_request.letter", "rejected", 409) in actions
    assert ("rights_request.letter_sent", "rejected", 409) in actions
    assert all(e["subject_id"] == request["subject_id"] for e in events)
    for value in PERSONAL_VALUES:
        assert value not in str(events), value


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_recording_a_letter_sent_refuses_what_cannot_be(
    api: Api, clock: FrozenClock, notice: None
) -> None:
    request = open_request(api)
    base = f"/v1/rights-requests/{request['id']}/letters"
    ok = {"channel": "email", "sent_at": "2026-03-04T09:00:00Z"}
    not_yet = api.post(f"{base}/answer/sent", json=ok)
    assert not_yet.status_code == 409
    assert not_yet.json()["available"] == ["acknowledgement", "identification"]
    for body, loc in (
        ({**ok, "sent_at": "2026-03-04T12:00:01Z"}, "sent_at"),  # the future
        ({**ok, "sent_at": "2026-03-03T08:59:59Z"}, "sent_at"),  # before receipt
        ({**ok, "sent_at": "2026-03-04T09:00:00"}, "sent_at"),  # no offset
        ({**ok, "channel": "pigeon"}, "channel"),
        ({**ok, "lang": "de"}, "lang"),
        ({"channel": "email"}, "sent_at"),
        ({**ok, "to": "asa.oberg@example.se"}, "to"),
    ):
        response = api.post(f"{base}/acknowledgement/sent", json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"][-1] == loc
        assert "asa.oberg" not in response.text
    assert api.post(f"{base}/reminder/sent", json=ok).status_code == 422
    assert (
        api.post(f"{base}/acknowledgement/sent", json=ok, scopes=["rights:read"]).status_code == 403
    )
    assert api.get(base).json()["sent"] == []  # nothing half-recorded


@pytest.mark.clock("2026-03-04T12:00:00Z")
def test_another_tenants_request_is_404(
    api: Api, other_api: Api, clock: FrozenClock, notice: None
) -> None:
    publish_template(other_api)
    request = open_request(api)
    base = f"/v1/rights-requests/{request['id']}/letters"
    assert other_api.get(base).status_code == 404
    for kind in KINDS:
        response = other_api.get(f"{base}/{kind}")
        assert response.status_code == 404, kind
        assert response.headers["content-type"] == "application/problem+json"
    sent = other_api.post(
        f"{base}/acknowledgement/sent", json={"channel": "email", "sent_at": "2026-03-04T09:00:00Z"}
    )
    assert sent.status_code == 404
    assert api.get(base).json()["sent"] == []


# --- words and the OpenAPI document ------------------------------------------------------


def test_every_letter_text_is_in_both_languages() -> None:
    tables = {
        "LETTER_TEXT": LETTER_TEXT,
        "REQUEST_WHAT": REQUEST_WHAT,
        "REQUEST_TYPE": REQUEST_TYPE,
        "CHANNEL": CHANNEL,
        "DONE": DONE,
        "GROUNDS": GROUNDS,
        "MONTHS_COUNT": MONTHS_COUNT,
    }
    for name, table in tables.items():
        for key, words in table.items():
            assert set(words) == {"sv", "en"}, (name, key)
            assert all(w.strip() for w in words.values()), (name, key)
            assert words["sv"] != words["en"] or "{" in words["sv"], (name, key)
    every_type = {t.value for t in RequestType}
    assert set(REQUEST_WHAT) == set(REQUEST_TYPE) == every_type
    assert set(DONE) >= every_type - {"access"}
    assert set(CHANNEL) == {c.value for c in Channel}
    assert set(GROUNDS) == {g.value for g in RefusalGrounds}
    assert set(MONTHS_COUNT) == {1, 2}


def test_the_openapi_document_offers_html_and_text(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    paths = document["paths"]
    get = paths["/v1/rights-requests/{request_id}/letters/{kind}"]["get"]
    content = get["responses"]["200"]["content"]
    assert set(content) == {"text/html", "text/plain"}
    assert get["x-audit-action"] == "rights_request.letter"
    assert "409" in get["responses"]
    post = paths["/v1/rights-requests/{request_id}/letters/{kind}/sent"]["post"]
    assert post["x-audit-action"] == "rights_request.letter_sent"
    assert set(post["responses"]) >= {"201", "404", "409", "422"}
    assert paths["/v1/rights-requests/{request_id}/letters"]["get"]["operationId"] == (
        "listRightsRequestLetters"
    )
