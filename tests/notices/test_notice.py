"""Each tenant's own privacy notice (Art 12-14): published, complete, versioned, isolated."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.db import tenant_session
from app.notices.models import NoticeVersionImmutable, PrivacyNoticeVersion
from app.notices.schemas import VAGUE_RETENTION
from app.notices.service import current_notice, published_version_exists, purpose_legal_basis
from app.notices.template import ADDRESS, ORGANISATION_NUMBER
from app.rights.access import named_recipients
from tests.conftest import CONTACT, INVOICE_2024, NETWORK, NOTE, Api
from tests.notices.helpers import publish, publish_template, template_document

CARE_OF_MARKS = ["Care of", ORGANISATION_NUMBER, "Västra Kvarngatan", ADDRESS]


def own_notice() -> dict[str, Any]:
    """Another controller's notice: the template with its own identity."""
    text = json.dumps(template_document(), ensure_ascii=False)
    text = text.replace(ADDRESS, "Kungsgatan 1, 111 43 Stockholm")
    text = text.replace(ORGANISATION_NUMBER, "559000-1234").replace("Care of", "Kund AB")
    return json.loads(text)  # type: ignore[no-any-return]


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


def locs(response: Any) -> list[list[Any]]:
    return [issue["loc"] for issue in problem(response, 422)["errors"]]


# No notice until published --------------------------------------------------------------


def test_no_notice_until_one_is_published(api: Api) -> None:
    body = problem(api.get("/v1/privacy-notice", scopes=["admin"]), 404)
    assert "not published" in body["detail"]
    assert api.get("/v1/privacy-notice", scopes=["rights:read"]).status_code == 403


def test_report_without_a_notice_lists_every_record_and_says_the_notice_is_missing(
    api: Api,
) -> None:
    subject = api.create_subject(records=[CONTACT, NOTE, NETWORK, INVOICE_2024])
    response = api.get(f"/v1/subjects/{subject['id']}/access-report?lang=en")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["notice_missing"] is True and report["notice_version"] is None
    assert len(report["records"]) == 4  # Art 15(3): the copy of the data, always
    for section in (
        "controller",
        "dpo",
        "purposes",
        "transfers",
        "rights",
        "objection_right",
        "complaint",
        "automated_decision_making",
    ):
        assert report[section] is None, section
    assert report["recipients"] == {"categories": None, "named": []}
    assert {c["category"]: c["description"] for c in report["categories"]} == {
        "contact": None,
        "note": None,
        "network": None,
        "sales_document": None,
    }
    # What the store knows is still given: the statutory date of the invoice, the sources.
    sales = next(r for r in report["retention"] if r["category"] == "sales_document")
    assert [r["until"] for r in sales["records"]] == ["2031-12-31"]
    assert sales["period"] is None
    assert {s["source"] for s in report["sources"]["systems"]} == {"crm", "staff", "web", "billing"}
    text = response.text
    assert not [mark for mark in CARE_OF_MARKS if mark in text]


# Tenant isolation ------------------------------------------------------------------------


@pytest.mark.parametrize("second_publishes", [False, True])
def test_a_second_tenants_report_contains_nothing_of_care_of(
    api: Api, other_api: Api, second_publishes: bool
) -> None:
    publish_template(api)  # the first tenant adopts Care of's notice as its own
    if second_publishes:
        assert publish(other_api, own_notice()).status_code == 200
    subject = other_api.create_subject(records=[CONTACT, NOTE, NETWORK, INVOICE_2024])
    for lang in ("sv", "en"):
        response = other_api.get(f"/v1/subjects/{subject['id']}/access-report?lang={lang}")
        assert response.status_code == 200
        assert not [mark for mark in CARE_OF_MARKS if mark in response.text]
        assert response.json()["notice_missing"] is not second_publishes
        if second_publishes:
            assert response.json()["controller"]["name"] == "Kund AB"
    notice = other_api.get("/v1/privacy-notice", scopes=["admin"])
    assert notice.status_code == (200 if second_publishes else 404)
    assert not [mark for mark in CARE_OF_MARKS if mark in notice.text]


def test_another_tenants_notice_is_not_found_and_not_changed(api: Api, other_api: Api) -> None:
    publish_template(api)
    assert other_api.get("/v1/privacy-notice", scopes=["admin"]).status_code == 404
    assert other_api.get("/v1/privacy-notice/versions/1", scopes=["admin"]).status_code == 404
    # The other tenant's first publication is its own version 1; ours stays as it was.
    assert publish(other_api, own_notice()).json()["version"] == 1
    mine = api.get("/v1/privacy-notice", scopes=["admin"]).json()
    assert mine["version"] == 1 and mine["sv"]["controller"]["name"] == "Care of"
    with tenant_session(api.engine, other_api.tenant) as session:
        assert purpose_legal_basis(session, "direct-marketing") == "legitimate_interests"
        assert published_version_exists(session, 2) is False


# The template ----------------------------------------------------------------------------


def test_the_template_is_care_ofs_notice_and_publishes_as_is(api: Api) -> None:
    response = api.get("/v1/privacy-notice/template?lang=en", scopes=["admin"])
    assert response.status_code == 200, response.text
    template = response.json()
    assert "Care of's own privacy notice" in template["about"]
    assert "template" in template["about"] and "controller" in template["adapt"]
    swedish = api.get("/v1/privacy-notice/template?lang=sv", scopes=["admin"]).json()
    assert "Care of:s egen integritetspolicy" in swedish["about"]
    assert swedish["notice"] == template["notice"]
    assert api.get("/v1/privacy-notice/template?lang=de", scopes=["admin"]).status_code == 422
    assert api.get("/v1/privacy-notice/template", scopes=["rights:read"]).status_code == 403
    # Reading the template publishes nothing.
    assert api.get("/v1/privacy-notice", scopes=["admin"]).status_code == 404

    published = publish(api, template["notice"])
    assert published.status_code == 200, published.text
    assert published.headers["etag"] == '"1"'
    body = published.json()
    assert body["version"] == 1 and body["published_by"] == api.sub
    assert body["sv"] == template["notice"]["sv"] and body["en"] == template["notice"]["en"]


def _texts(value: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, key)]
    return [(key, value)] if isinstance(value, str) else []


SENTENCES = {
    "title",
    "description",
    "legitimate_interest",
    "criteria",
    "safeguard",
    "safeguard_copy",
    "recipient",
    "sources",
    "provision_requirement",
    "general",
    "direct_marketing",
    "contact",
}


def test_the_template_reads_as_a_swedish_dpo_would_write_it() -> None:
    document = template_document()
    sv = json.dumps(document["sv"], ensure_ascii=False)
    en = json.dumps(document["en"], ensure_ascii=False)
    for term in (
        "personuppgiftsansvarig",
        "personuppgiftsbiträde",
        "underbiträde",
        "standardavtalsklausuler",
        "berättigat intresse",
        "tredjeland",
    ):
        assert term in sv.lower(), term
    assert "sub-supplier" not in en.lower() and "sub-processors" in en.lower()
    assert "standard contractual clauses" in en
    for lang in ("sv", "en"):
        text = document[lang]
        # Contact persons are mostly employees of a customer: legitimate interests, stated.
        purposes = {p["code"]: p for p in text["purposes"]}
        relationship = purposes["customer-relationship"]
        assert relationship["legal_basis"] == "legitimate_interests"
        assert len(relationship["legitimate_interest"]) > 80
        assert "customer-relationship" in text["categories"]["contact"]["purposes"]
        # Retention per category: a rule or a concrete period, never "as long as necessary".
        retention = {c: v["retention"] for c, v in text["categories"].items()}
        assert retention["sales_document"]["rules"] == ["se-bfl-7-2"]
        assert "12" in retention["network"]["criteria"]
        assert len({r["criteria"] for r in retention.values()}) == len(retention)
        for rule in retention.values():
            assert not [v for v in VAGUE_RETENTION if v in rule["criteria"].lower()]
        # Transfers per destination with an Art 46 tool and how to get a copy.
        assert [(t["country"], t["mechanism"]) for t in text["transfers"]] == [("US", "scc")]
        assert text["objection_right"]["general"] and text["dpo"]["contact"]
        # No truncated sentence anywhere.
        for key, value in _texts(text):
            if key in SENTENCES:
                assert value.rstrip().endswith((".", ")")), (lang, key, value)


# Refusals -------------------------------------------------------------------------------


def _drop_mechanism(d: dict[str, Any]) -> None:
    del d["en"]["transfers"][0]["mechanism"]


def _drop_interest(d: dict[str, Any]) -> None:
    del d["sv"]["purposes"][0]["legitimate_interest"]


def _drop_dpo(d: dict[str, Any]) -> None:
    del d["sv"]["dpo"]


def _drop_objection(d: dict[str, Any]) -> None:
    del d["en"]["objection_right"]["general"]


def _unknown_purpose(d: dict[str, Any]) -> None:
    d["sv"]["categories"]["note"]["purposes"].append("profiling")
    d["en"]["categories"]["note"]["purposes"].append("profiling")


def _invalid_country(d: dict[str, Any]) -> None:
    d["sv"]["transfers"][0]["country"] = "XX"


def _eea_country(d: dict[str, Any]) -> None:
    d["sv"]["transfers"][0]["country"] = "DE"


def _transfers_without_destinations(d: dict[str, Any]) -> None:
    d["en"]["transfers"] = []


def _vague_retention(d: dict[str, Any]) -> None:
    d["en"]["categories"]["network"]["retention"] = {"criteria": "As long as necessary."}


def _unknown_rule(d: dict[str, Any]) -> None:
    d["sv"]["categories"]["sales_document"]["retention"]["rules"] = ["se-bfl-9-9"]


def _rule_of_another_category(d: dict[str, Any]) -> None:
    d["sv"]["categories"]["network"]["retention"]["rules"] = ["se-bfl-7-2"]


def _missing_category(d: dict[str, Any]) -> None:
    del d["sv"]["categories"]["meeting"]


def _codes_differ(d: dict[str, Any]) -> None:
    d["en"]["purposes"][0]["code"] = "customers"
    for category in d["en"]["categories"].values():
        category["purposes"] = [
            "customers" if c == "customer-relationship" else c for c in category["purposes"]
        ]


def _basis_differs(d: dict[str, Any]) -> None:
    purpose = d["en"]["purposes"][0]
    purpose["legal_basis"] = "contract"
    del purpose["legitimate_interest"]


def _automated_without_logic(d: dict[str, Any]) -> None:
    for lang in ("sv", "en"):
        d[lang]["automated_decision_making"]["used"] = True


def _missing_right(d: dict[str, Any]) -> None:
    d["sv"]["rights"] = [r for r in d["sv"]["rights"] if r["right"] != "portability"]


def _consent_without_withdrawal(d: dict[str, Any]) -> None:
    for lang in ("sv", "en"):
        purpose = next(p for p in d[lang]["purposes"] if p["code"] == "direct-marketing")
        purpose["legal_basis"] = "consent"
        del purpose["legitimate_interest"]


REFUSALS: list[tuple[Callable[[dict[str, Any]], None], list[Any]]] = [
    (_drop_mechanism, ["body", "en", "transfers", 0, "mechanism"]),
    (_drop_interest, ["body", "sv", "purposes", 0]),
    (_drop_dpo, ["body", "sv", "dpo"]),
    (_drop_objection, ["body", "en", "objection_right", "general"]),
    (_unknown_purpose, ["body", "sv", "categories", "note", "purposes", 1]),
    (_invalid_country, ["body", "sv", "transfers", 0, "country"]),
    (_eea_country, ["body", "sv", "transfers", 0, "country"]),
    (_transfers_without_destinations, ["body", "en"]),
    (_vague_retention, ["body", "en", "categories", "network", "retention"]),
    (_unknown_rule, ["body", "sv", "categories", "sales_document", "retention", "rules", 0]),
    (_rule_of_another_category, ["body", "sv", "categories", "network", "retention", "rules", 0]),
    (_missing_category, ["body", "sv", "categories", "meeting"]),
    (_codes_differ, ["body", "en", "purposes"]),
    (_basis_differs, ["body", "en", "purposes", 0, "legal_basis"]),
    (_automated_without_logic, ["body", "sv", "automated_decision_making"]),
    (_missing_right, ["body", "sv", "rights"]),
    (_consent_without_withdrawal, ["body", "sv", "consent_withdrawal"]),
]


@pytest.mark.parametrize(
    ("mutate", "loc"), REFUSALS, ids=[m.__name__.strip("_") for m, _ in REFUSALS]
)
def test_an_incomplete_notice_is_refused_naming_what_is_missing(
    api: Api, mutate: Callable[[dict[str, Any]], None], loc: list[Any]
) -> None:
    document = template_document()
    mutate(document)
    response = publish(api, document)
    assert loc in locs(response), response.json()["errors"]
    assert api.get("/v1/privacy-notice", scopes=["admin"]).status_code == 404


def test_refusal_messages_say_why(api: Api) -> None:
    document = template_document()
    _drop_interest(document)
    _vague_retention(document)
    messages = " ".join(i["msg"] for i in problem(publish(api, document), 422)["errors"])
    assert "Art 13(1)(d)" in messages
    document = template_document()
    _vague_retention(document)
    messages = " ".join(i["msg"] for i in problem(publish(api, document), 422)["errors"])
    assert "WP260" in messages


# Publishing: If-Match and versions -------------------------------------------------------


def test_the_first_publication_needs_no_if_match_later_ones_do(api: Api) -> None:
    document = template_document()
    # No notice yet: there is nothing an If-Match could match (RFC 9110 §13.1.1).
    assert publish(api, document, if_match='"1"').status_code == 412
    first = publish(api, document)
    assert first.status_code == 200 and first.json()["version"] == 1

    document["en"]["controller"]["contact"] = "privacy@example.se"
    missing = problem(publish(api, document), 428)
    assert missing["type"] == "urn:privacy-api:problem:precondition-required"
    assert '"1"' in missing["detail"]
    assert problem(publish(api, document, if_match='"7"'), 412)
    second = publish(api, document, if_match='"1"')
    assert second.status_code == 200 and second.headers["etag"] == '"2"'
    assert problem(publish(api, document, if_match='"1"'), 412)

    current = api.get("/v1/privacy-notice", scopes=["admin"])
    assert current.headers["etag"] == '"2"'
    assert current.json()["en"]["controller"]["contact"] == "privacy@example.se"
    # Every version is kept as it was published.
    with api.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT version, document FROM privacy_notice_version WHERE tenant_id = :t "
                "ORDER BY version"
            ),
            {"t": api.tenant},
        ).all()
    documents = [r[1] if isinstance(r[1], dict) else json.loads(r[1]) for r in rows]
    assert [r[0] for r in rows] == [1, 2]
    assert documents[0]["en"]["controller"]["contact"] != "privacy@example.se"
    first_again = api.get("/v1/privacy-notice/versions/1", scopes=["admin"])
    assert first_again.status_code == 200 and first_again.json()["version"] == 1
    assert first_again.json()["en"] == first.json()["en"]
    assert api.get("/v1/privacy-notice/versions/3", scopes=["admin"]).status_code == 404
    assert api.get("/v1/privacy-notice/versions/0", scopes=["admin"]).status_code == 422
    events = api.get("/v1/audit-events?limit=500", scopes=["audit:read"]).json()["items"]
    publications = [e["outcome"] for e in events if e["action"] == "privacy_notice.publish"]
    assert len(publications) == 6


def test_published_versions_are_append_only(api: Api) -> None:
    publish_template(api)
    with tenant_session(api.engine, api.tenant) as session:
        row = session.exec(sa.select(PrivacyNoticeVersion)).scalar_one()  # type: ignore[call-overload]
        row.published_by = "someone else"
        with pytest.raises(NoticeVersionImmutable):
            session.flush()
        session.rollback()
        with pytest.raises(NoticeVersionImmutable):
            session.delete(session.get(PrivacyNoticeVersion, row.id))
            session.flush()


def test_the_interface_other_domains_use(api: Api) -> None:
    with tenant_session(api.engine, api.tenant) as session:
        assert current_notice(session) is None
        assert purpose_legal_basis(session, "security") is None
        assert published_version_exists(session, 1) is False
    publish_template(api)
    with tenant_session(api.engine, api.tenant) as session:
        notice = current_notice(session)
        assert notice is not None and notice.version == 1
        assert purpose_legal_basis(session, "security") == "legitimate_interests"
        assert purpose_legal_basis(session, "bookkeeping") == "legal_obligation"
        assert purpose_legal_basis(session, "no-such-purpose") is None
        assert published_version_exists(session, 1) is True
        assert published_version_exists(session, 2) is False


# The access report from the tenant's notice ----------------------------------------------


def test_the_report_uses_the_subjects_actual_data(api: Api) -> None:
    publish_template(api)
    subject = api.create_subject(records=[CONTACT, NETWORK])
    report = api.get(f"/v1/subjects/{subject['id']}/access-report?lang=sv").json()
    assert report["notice_missing"] is False and report["notice_version"] == 1
    assert report["controller"]["organisation_number"] == ORGANISATION_NUMBER
    assert report["dpo"]["kind"] == "contact_point"
    codes = [p["code"] for p in report["purposes"]]
    # Only the purposes of the categories held: no bookkeeping without sales documents.
    assert "security" in codes and "direct-marketing" in codes
    assert "bookkeeping" not in codes
    security = next(p for p in report["purposes"] if p["code"] == "security")
    assert security["legal_basis"] == "legitimate_interests"
    assert security["article"] == "artikel 6.1 f" and security["legitimate_interest"]
    assert security["categories"] == ["network"]
    network = next(c for c in report["categories"] if c["category"] == "network")
    assert network["legal_bases"] == ["legitimate_interests"]
    assert network["legal_basis"] == "Berättigat intresse (artikel 6.1 f)"
    retention = {r["category"]: r for r in report["retention"]}
    assert set(retention) == {"contact", "network"}
    assert "12 månader" in retention["network"]["criteria"]
    transfer = report["transfers"]["transfers"][0]
    assert transfer["country"] == "US" and transfer["country_name"] == "USA"
    assert transfer["article"] == "artikel 46.2 c" and transfer["safeguard_copy"]
    assert "21.1" in report["objection_right"]["general"]
    assert report["complaint"]["authority"] == "Integritetsskyddsmyndigheten (IMY)"

    english = api.get(f"/v1/subjects/{subject['id']}/access-report?lang=en").json()
    assert english["transfers"]["transfers"][0]["country_name"] == "United States"
    assert english["objection_right"]["article"] == "Art 21"


def test_the_report_names_the_recipients_that_received_this_subjects_data(
    api: Api, other_api: Api
) -> None:
    publish_template(api)

    def register(name: str, events: list[str]) -> str:
        response = api.post(
            "/v1/recipients",
            json={"name": name, "url": "http://127.0.0.1:9/hooks", "event_types": events},
            scopes=["admin"],
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    crm = register("CRM", ["record.rectified"])
    register("Marketing tool", ["subject.erased"])
    told = api.create_subject(records=[NOTE])
    untold = api.create_subject(records=[NOTE])
    record = api.get(f"/v1/subjects/{told['id']}/records").json()["items"][0]
    assert api.patch(f"/v1/records/{record['id']}", json={"data": {"text": "x"}}).status_code == 200

    report = api.get(f"/v1/subjects/{told['id']}/access-report?lang=en").json()
    named = report["recipients"]["named"]
    assert [(r["id"], r["name"], r["events"]) for r in named] == [
        (crm, "CRM", ["record.rectified"])
    ]
    assert report["recipients"]["categories"][0]["category"] == "Processors and sub-processors"
    untold_report = api.get(f"/v1/subjects/{untold['id']}/access-report").json()
    assert untold_report["recipients"]["named"] == []
    # The query is the tenant's like every other: another tenant's session finds nothing.
    with tenant_session(api.engine, other_api.tenant) as session:
        assert named_recipients(session, uuid.UUID(told["id"])) == []
    with tenant_session(api.engine, api.tenant) as session:
        assert len(named_recipients(session, uuid.UUID(told["id"]))) == 1


def test_a_notice_predating_the_model_is_kept_but_not_served(api: Api) -> None:
    """What the migration makes of a stored notice of the old model: version 1, format 1."""
    with api.engine.begin() as conn:
        conn.execute(
            sa.insert(PrivacyNoticeVersion.__table__).values(  # type: ignore[attr-defined]
                tenant_id=api.tenant,
                id=uuid.uuid4(),
                version=1,
                format=1,
                document={"sv": {"controller": {"name": "Kund AB"}}},
                published_at=sa.func.now(),
                published_by="admin",
            )
        )
    body = problem(api.get("/v1/privacy-notice", scopes=["admin"]), 404)
    assert 'If-Match: "1"' in body["detail"]
    subject = api.create_subject(records=[CONTACT])
    assert api.get(f"/v1/subjects/{subject['id']}/access-report").json()["notice_missing"]
    problem(publish(api, template_document()), 428)
    assert publish(api, template_document(), if_match='"1"').json()["version"] == 2
    with tenant_session(api.engine, api.tenant) as session:
        assert published_version_exists(session, 1) is True
