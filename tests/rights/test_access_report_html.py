"""The readable access report (Art 12(1), Art 15): `Accept: text/html` on the access report.

The HTML document is rendered from the same report as the JSON, so every value of the
JSON must be in it — written for a person: coded values in words, dates in the person's
language, instants in the tenant's time zone. The tests walk the JSON and look for each
value in the document's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.core.errors import NotAcceptable
from app.core.negotiation import negotiate
from app.notices.schemas import LEGAL_BASIS_TEXT, LegalBasis, Right, TransferMechanism
from app.objections.schemas import ObjectionOutcome, ObjectionStatus
from app.rights.labels import FIELDS, TEXT, VALUES
from app.subjects.categories import DATA_MODELS, Category, Origin, SalesDocumentKind
from app.subjects.schemas import SubjectStatus
from tests.conftest import (
    CONTACT,
    INVOICE_2024,
    MEETING,
    NETWORK,
    NOTE,
    ORGANISATION,
    Api,
    FrozenClock,
)
from tests.notices.helpers import publish_template

HTML_ACCEPT = {"Accept": "text/html"}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Written out here, not taken from the code under test.
MONTHS = {
    "sv": [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
YES_NO = {"sv": ("Ja", "Nej"), "en": ("Yes", "No")}
# Where the JSON holds a code, the document shows its words (`VALUES[kind]`).
CODED = {
    "subject.status": "subject_status",
    "records.*.category": "category",
    "records.*.origin": "origin",
    "records.*.data.kind": "sales_document_kind",
    "categories.*.category": "category",
    "purposes.*.categories.*": "category",
    "retention.*.category": "category",
    "sources.systems.*.categories.*": "category",
    "sources.systems.*.origin.*": "origin",
    "transfers.transfers.*.mechanism": "mechanism",
    "rights.*.right": "right",
    "dpo.kind": "dpo_kind",
    "objections.*.status": "objection_status",
    "objections.*.outcome": "objection_outcome",
    "erasure.status": "erasure_status",
    "erasure.erased.*.category": "category",
    "erasure.kept.*.category": "category",
    "erasure.kept.*.holds.*.kind": "hold_kind",
}
# A yes or no reads next to its label.
BOOLEANS = {
    "subject.restricted": "subject_restricted",
    "subject.marketing_objection": "marketing_objection",
    "records.*.restricted": "record_restricted",
    "transfers.outside_eea": "outside_eea",
    "automated_decision_making.used": "automated_used",
    "erasure.dry_run": "dry_run",
}
LEGAL_BASIS_CODES = {"purposes.*.legal_basis", "categories.*.legal_bases.*"}
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOTE_WITH_MARKUP = {
    "category": "note",
    "origin": "derived",
    "source": "<img src=x onerror=alert(2)>",
    "data": {"text": 'Line one <script>alert("x")</script> & "quoted"\n</td></tr><b>bold</b>'},
}


class Document(HTMLParser):
    """The parts of an HTML document the tests look at, and its nesting checked."""

    VOID = frozenset(
        [
            "area",
            "base",
            "br",
            "col",
            "embed",
            "hr",
            "img",
            "input",
            "link",
            "meta",
            "source",
            "track",
            "wbr",
        ]
    )

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.errors: list[str] = []
        self.headings: list[int] = []
        self.tables: list[list[str]] = []  # the child tags of each table, in order
        self.doctype = False
        self.feed(html)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if self.stack and self.stack[-1] == "table":
            self.tables[-1].append(tag)
        if tag == "table":
            self.tables.append([])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            return
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())

    def attrs(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def flat(text: str) -> str:
    return " ".join(text.split())


def written_date(day: date, lang: str) -> str:
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def written_instant(value: str, lang: str) -> str:
    local = datetime.fromisoformat(value).astimezone(STOCKHOLM)
    day = written_date(local.date(), lang)
    if lang == "sv":
        return f"{day} kl. {local:%H}.{local:%M}"
    return f"{day}, {local:%H}:{local:%M}"


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every scalar of a JSON document with its path (`records.*.data.name`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item, (*path, "*"))
    else:
        yield ".".join(path), value


def expected_text(path: str, value: Any, lang: str) -> str:
    """How a JSON value reads in the document."""
    if isinstance(value, bool):
        label = TEXT[BOOLEANS[path]][lang] if path in BOOLEANS else ""
        if path == "records.*.data.is_verification":
            label = FIELDS["sales_document"]["is_verification"][lang]
        return f"{label}{':' if path == 'transfers.outside_eea' else ''} {YES_NO[lang][not value]}"
    if isinstance(value, int | float):
        return str(value)
    if path in CODED:
        return VALUES[CODED[path]][value][lang]  # type: ignore[index]
    if path in LEGAL_BASIS_CODES:
        return LEGAL_BASIS_TEXT[LegalBasis(value)][lang][0]  # type: ignore[index]
    if INSTANT.match(value):
        return written_instant(value, lang)
    if DAY.match(value):
        return written_date(date.fromisoformat(value), lang)
    return flat(value)


def assert_same_content(report: dict[str, Any], document: Document) -> int:
    """Every leaf value of the JSON report is in the document; returns how many."""
    lang = report["lang"]
    assert document.attrs("html") == [{"lang": lang}]
    missing = []
    checked = 0
    for path, value in leaves(report):
        if value is None or path == "lang":
            continue
        if path == "notice_missing":  # the explanation, present or not
            assert (flat(TEXT["notice_missing"][lang]) in document.text) is value
            continue
        checked += 1
        if expected_text(path, value, lang) not in document.text:
            missing.append((path, value, expected_text(path, value, lang)))
    assert missing == []
    return checked


def assert_accessible(document: Document) -> None:
    assert document.errors == []
    assert document.doctype
    assert len(document.attrs("title")) == 1
    assert document.attrs("meta")[0] == {"charset": "utf-8"}
    assert document.headings[0] == 1 and document.headings.count(1) == 1
    for before, after in zip(document.headings, document.headings[1:], strict=False):
        assert after <= before + 1, "a heading level is skipped"
    assert document.tables
    for children in document.tables:
        assert children[0] == "caption"
    assert all(attrs.get("scope") in {"col", "row"} for attrs in document.attrs("th"))
    # Nothing runs and nothing is loaded from elsewhere.
    names = {name for name, _ in document.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "form"}
    for _, attrs in document.tags:
        assert not any(name.startswith("on") or name == "src" for name in attrs)
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "https://"))


def get_both(api: Api, sid: str, lang: str) -> tuple[dict[str, Any], Document, Any]:
    as_json = api.get(f"/v1/subjects/{sid}/access-report?lang={lang}", scopes=["rights:read"])
    assert as_json.status_code == 200, as_json.text
    as_html = api.get(
        f"/v1/subjects/{sid}/access-report?lang={lang}",
        scopes=["rights:read"],
        headers=HTML_ACCEPT,
    )
    assert as_html.status_code == 200, as_html.text
    return as_json.json(), Document(as_html.text), as_html


def full_subject(api: Api) -> str:
    """A subject with a record of every category, a decided objection and a recipient
    that was sent an event about it, under Care of's published notice."""
    publish_template(api)
    recipient = api.post("/v1/recipients", json={"name": "crm", "url": "http://127.0.0.1:9/h"})
    assert recipient.status_code == 201, recipient.text
    invoice = {**INVOICE_2024, "data": {**INVOICE_2024["data"], "financial_year_end": "2024-12-31"}}
    sid: str = api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["070-123 45 67"],
        external_refs=[{"system": "crm", "id": "C-1001"}],
        records=[CONTACT, ORGANISATION, NOTE, MEETING, NETWORK, invoice],
    )["id"]
    objection = api.post(
        f"/v1/subjects/{sid}/objections",
        json={"purpose": "customer-analysis", "grounds": "Jag har slutat på kundföretaget."},
    )
    assert objection.status_code == 201, objection.text
    decided = api.post(
        f"/v1/objections/{objection.json()['id']}/decide",
        json={"outcome": "rejected", "reasons": "Needed for a legal claim."},
    )
    assert decided.status_code == 200, decided.text
    return sid


@pytest.mark.clock("2026-11-25T12:00:00Z")
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_html_report_has_exactly_the_json_reports_content(
    api: Api, clock: FrozenClock, lang: str
) -> None:
    sid = full_subject(api)
    report, document, response = get_both(api, sid, lang)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == lang
    assert "Accept" in response.headers["vary"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert_accessible(document)
    # Every field of the report is there, coded values in words, dates written out.
    checked = assert_same_content(report, document)
    assert checked > 150
    assert report["recipients"]["named"] and report["objections"]  # both were walked
    assert [r["records"] for r in report["retention"] if r["records"]]


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_swedish_and_english_labels_and_dates(api: Api, clock: FrozenClock) -> None:
    sid = full_subject(api)
    _, swedish, _ = get_both(api, sid, "sv")
    _, english, _ = get_both(api, sid, "en")
    for words in ("Registerutdrag från Care of", "Personuppgiftsansvarig", "Kontaktuppgifter"):
        assert words in swedish.text and words not in english.text
    for words in ("Access report from Care of", "Controller", "Contact details"):
        assert words in english.text and words not in swedish.text
    # Field labels of the records.
    assert "Namn Åsa Öberg" in swedish.text and "Name Åsa Öberg" in english.text
    assert "Avdelning Finance" in swedish.text and "Department Finance" in english.text
    assert "Typ Faktura" in swedish.text and "Type Invoice" in english.text
    # Dates in the person's language; instants on the Stockholm clock (13:00 CET).
    assert "Datum 15 mars 2024" in swedish.text and "Date 15 March 2024" in english.text
    assert "Upprättat 25 november 2026 kl. 13.00" in swedish.text
    assert "Generated 25 November 2026, 13:00" in english.text
    assert "Början 1 februari 2026 kl. 09.00" in swedish.text  # 09:00+01:00
    assert "31 december 2031" in swedish.text  # the invoice's Bokföringslagen date
    assert "31 December 2031" in english.text


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_times_are_shown_in_the_tenants_time_zone(api: Api, clock: FrozenClock) -> None:
    put = api.client.put(
        "/v1/tenant-settings",
        json={"time_zone": "America/New_York"},
        headers=api.headers(["admin"]),
    )
    assert put.status_code == 200, put.text
    sid = api.create_subject(records=[MEETING])["id"]
    _, document, _ = get_both(api, sid, "en")
    assert "Generated 25 November 2026, 07:00" in document.text
    assert "Start 1 February 2026, 03:00" in document.text
    assert "America/New_York" in document.text


@pytest.mark.clock("2026-11-25T12:00:00Z")
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_without_a_notice_the_gap_is_explained_and_no_template_text_stands_in(
    api: Api, clock: FrozenClock, lang: str
) -> None:
    sid = api.create_subject(records=[CONTACT, INVOICE_2024])["id"]
    report, document, _ = get_both(api, sid, lang)
    assert report["notice_missing"] is True
    assert_accessible(document)
    assert_same_content(report, document)
    assert flat(TEXT["notice_missing"][lang]) in document.text
    assert "Care of" not in document.text and "IMY" not in document.text
    assert "Åsa Öberg" in document.text  # every record is still there (Art 15(3))
    assert document.text.count(TEXT["from_notice_missing"][lang]) >= 5


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_an_erased_subject_sees_what_was_erased_and_what_is_kept(
    api: Api, clock: FrozenClock
) -> None:
    publish_template(api)
    sid = api.create_subject(records=[CONTACT, INVOICE_2024])["id"]
    assert api.post(f"/v1/subjects/{sid}/erasure").status_code == 200
    report, document, _ = get_both(api, sid, "sv")
    assert report["erasure"]["kept"] and report["erasure"]["erased"]
    assert_accessible(document)
    assert_same_content(report, document)
    assert TEXT["erasure_intro"]["sv"] in document.text


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_every_value_is_escaped(api: Api, clock: FrozenClock) -> None:
    sid = api.create_subject(
        external_refs=[{"system": "crm", "id": '"><script>alert(3)</script>'}],
        records=[NOTE_WITH_MARKUP],
    )["id"]
    response = api.get(f"/v1/subjects/{sid}/access-report", headers=HTML_ACCEPT)
    assert response.status_code == 200
    html = response.text
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quoted&#34;" in html
    document = Document(html)
    assert_accessible(document)  # the note's </td></tr> closed nothing
    assert flat(NOTE_WITH_MARKUP["data"]["text"]) in document.text  # type: ignore[index]
    assert "<img src=x onerror=alert(2)>" in document.text
    assert 'crm: "><script>alert(3)</script>' in document.text


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/*", "application/json"),
        ("text/html", "text/html"),
        ("text/*", "text/html"),
        ("TEXT/HTML; charset=utf-8", "text/html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/json;q=0.5, text/html", "text/html"),
        ("text/html;q=0.2, */*;q=0.5", "application/json"),
        ("*/*, text/html;q=0", "application/json"),
        ("nonsense", "application/json"),
    ],
)
def test_negotiation_picks_by_quality_then_preference(accept: str | None, media: str) -> None:
    assert negotiate(accept, ("application/json", "text/html")) == media


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/plain", "text/html;q=0, application/json;q=0", "image/*"]
)
def test_negotiation_refuses_what_is_not_offered(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        negotiate(accept, ("application/json", "text/html"))


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_unacceptable_accept_is_406_and_the_html_call_is_audited_once(
    api: Api, clock: FrozenClock
) -> None:
    sid = api.create_subject(records=[CONTACT])["id"]
    refused = api.get(f"/v1/subjects/{sid}/access-report", headers={"Accept": "application/xml"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:privacy-api:problem:not-acceptable"
    as_json = api.get(f"/v1/subjects/{sid}/access-report", headers={"Accept": "*/*"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.headers["vary"] == "Accept"
    assert api.get(f"/v1/subjects/{sid}/access-report", headers=HTML_ACCEPT).status_code == 200

    events = api.get(f"/v1/audit-events?subject_id={sid}").json()["items"]
    summary = [(e["action"], e["outcome"], e["status_code"]) for e in events]
    assert summary == [
        ("subject.create", "success", 201),
        ("subject.access_report", "rejected", 406),
        ("subject.access_report", "success", 200),
        ("subject.access_report", "success", 200),
    ]


def test_another_tenants_subject_is_404_in_html_too(api: Api, other_api: Api) -> None:
    sid = api.create_subject(records=[CONTACT])["id"]
    foreign = other_api.get(f"/v1/subjects/{sid}/access-report", headers=HTML_ACCEPT)
    assert foreign.status_code == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    assert "Åsa" not in foreign.text
    assert (
        api.get(f"/v1/subjects/{sid}/access-report", headers=HTML_ACCEPT, scopes=[]).status_code
        == 403
    )


def test_every_label_is_in_both_languages() -> None:
    for key, words in TEXT.items():
        assert set(words) == {"sv", "en"} and all(w.strip() for w in words.values()), key
    enums = {
        "category": Category,
        "origin": Origin,
        "subject_status": SubjectStatus,
        "sales_document_kind": SalesDocumentKind,
        "right": Right,
        "mechanism": TransferMechanism,
        "objection_status": ObjectionStatus,
        "objection_outcome": ObjectionOutcome,
    }
    for kind, enum in enums.items():
        assert set(VALUES[kind]) == {member.value for member in enum}, kind
    for values in VALUES.values():
        for code, words in values.items():
            assert set(words) == {"sv", "en"} and all(w.strip() for w in words.values()), code
    for category, model in DATA_MODELS.items():
        assert set(FIELDS[category.value]) == set(model.model_fields), category
        for field, words in FIELDS[category.value].items():
            assert set(words) == {"sv", "en"}, (category, field)


def test_the_openapi_document_offers_both_media_types(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    operation = document["paths"]["/v1/subjects/{subject_id}/access-report"]["get"]
    content = operation["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/AccessReport"}
    assert content["text/html"]["schema"] == {"type": "string"}
    assert "406" in operation["responses"]
