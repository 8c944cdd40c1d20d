"""Objection to direct marketing (Art 21): absolute, immediate, and it survives."""

from __future__ import annotations

import copy
import uuid

import sqlalchemy as sa

from tests.conftest import CONTACT, Api


def check(api: Api, **body: list[str]) -> list[tuple[bool, str | None]]:
    response = api.post("/v1/marketing/check", json=body, scopes=["marketing:check"])
    assert response.status_code == 200, response.text
    return [(r["allowed"], r["reason"]) for r in response.json()["results"]]


def test_objection_survives_reimport_of_the_same_email_and_phone(api: Api) -> None:
    subject = api.create_subject(emails=["asa.oberg@example.se"], phones=["+46701234567"])
    sid = subject["id"]
    assert check(api, emails=["asa.oberg@example.se"]) == [(True, None)]

    objection = api.post(f"/v1/subjects/{sid}/marketing-objection")
    assert objection.status_code == 200, objection.text
    assert objection.json()["subject"]["marketing_objection"] is True
    assert objection.json()["suppressed_identifiers"] == 2

    # Immediate, for the subject and each identifier, written any way.
    assert (
        check(
            api,
            emails=["asa.oberg@example.se", "  ASA.Oberg@Example.SE "],
            phones=["+46701234567", "070-123 45 67"],
            subject_ids=[sid],
        )
        == [(False, "objection")] * 5
    )

    # The subject's data goes away (its rows deleted, as erasure will) ...
    with api.engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM subject WHERE id = :id"),
            {"id": uuid.UUID(sid).hex if api.engine.dialect.name == "sqlite" else sid},
        )
    assert check(api, subject_ids=[sid]) == [(False, "unknown_subject")]
    # ... and the same person is imported again as a new subject.
    again = api.create_subject(emails=[" Asa.Oberg@EXAMPLE.se "], phones=["070-123 45 67"])
    assert again["id"] != sid
    assert check(api, emails=["asa.oberg@example.se"], phones=["+46 70 123 45 67"]) == [
        (False, "objection"),
        (False, "objection"),
    ]
    # Nothing in the suppression table is the identifier in clear text.
    with api.engine.connect() as conn:
        digests = (
            conn.execute(
                sa.text("SELECT digest FROM marketing_suppression WHERE tenant_id = :t"),
                {"t": api.tenant},
            )
            .scalars()
            .all()
        )
    assert len(digests) == 2
    assert all("example" not in d and "4670" not in d for d in digests)


def test_identifiers_added_after_the_objection_are_suppressed(api: Api) -> None:
    subject = api.create_subject(emails=["first@example.se"])
    api.post(f"/v1/subjects/{subject['id']}/marketing-objection")
    contact = copy.deepcopy(CONTACT)
    contact["data"]["email"] = "second@example.se"
    contact["data"]["phone"] = "08-123 456 78"
    api.add_record(subject["id"], contact)
    assert check(api, emails=["second@example.se"], phones=["+46812345678"]) == [
        (False, "objection"),
        (False, "objection"),
    ]


def test_objection_is_per_tenant(api: Api, other_api: Api) -> None:
    subject = api.create_subject(emails=["shared@example.se"])
    api.post(f"/v1/subjects/{subject['id']}/marketing-objection")
    other_api.create_subject(emails=["shared@example.se"])
    assert check(other_api, emails=["shared@example.se"]) == [(True, None)]


def test_check_answers_each_item_in_order_with_errors(api: Api) -> None:
    known = api.create_subject(emails=["known@example.se"])
    response = api.post(
        "/v1/marketing/check",
        json={
            "emails": ["known@example.se", "not-an-email", "new@example.se"],
            "phones": ["12", "+46701234567"],
            "subject_ids": [known["id"], "nope", str(uuid.uuid4())],
        },
    )
    results = response.json()["results"]
    assert [(r["kind"], r["value"]) for r in results] == [
        ("email", "known@example.se"),
        ("email", "not-an-email"),
        ("email", "new@example.se"),
        ("phone", "12"),
        ("phone", "+46701234567"),
        ("subject_id", known["id"]),
        ("subject_id", "nope"),
        ("subject_id", results[-1]["value"]),
    ]
    assert [(r["allowed"], r["reason"], r["error"] is not None) for r in results] == [
        (True, None, False),
        (False, None, True),
        (True, None, False),
        (False, None, True),
        (True, None, False),
        (True, None, False),
        (False, None, True),
        (False, "unknown_subject", False),
    ]


def test_check_limits(api: Api) -> None:
    too_many = {
        "emails": [f"p{i}@example.se" for i in range(6000)],
        "phones": [f"+4670{i:07d}" for i in range(5000)],
    }
    response = api.post("/v1/marketing/check", json=too_many)
    assert response.status_code == 422
    full = {"subject_ids": [str(uuid.uuid4()) for _ in range(10_000)]}
    response = api.post("/v1/marketing/check", json=full)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 10_000


def test_objection_needs_rights_write_and_check_needs_marketing_check(api: Api) -> None:
    subject = api.create_subject()
    url = f"/v1/subjects/{subject['id']}/marketing-objection"
    assert api.post(url, scopes=["marketing:check"]).status_code == 403
    assert api.post("/v1/marketing/check", json={}, scopes=["rights:write"]).status_code == 403
    assert api.post(url).status_code == 200
    assert api.post(url).status_code == 200  # idempotent
