"""The Helsinki profile GDPR API (issue 11 § 3): query and delete a profile's data with
the platform's tokens, as the access report and the erasure, through rights requests.

Sources: the City of Helsinki's GDPR API specification (open-city-profile
`gdpr-api-openapi.yaml`: 200 tree / 204 nothing held; 204 deleted or allowed / 403 with
`{"errors": [{"code", "message"}]}`), its reference library `helsinki-profile-gdpr-api`
(scopes in the token's API authorization claim), GDPR Art 12(4), 15, 15(4), 17(3)(b),
17(3)(e).
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.interop.service import PROFILE_SYSTEM
from tests.conftest import (
    CONTACT,
    INVOICE_2024,
    NOTE,
    ORGANISATION,
    PERSONAL_VALUES,
    Api,
    FrozenClock,
)
from tests.interop.oidc import DELETE_SCOPE, QUERY_SCOPE, GdprCaller, Issuer, new_profile_id
from tests.notices.helpers import publish_template

pytestmark = pytest.mark.clock("2026-11-25T12:00:00Z")

PERSON = "9e14df7c-81f6-4c41-8578-6aa7b9d0e5c0"  # the token's `sub`: the person's user id


def profile_subject(api: Api, profile_id: str, *records: dict[str, Any]) -> dict[str, Any]:
    """Åsa Öberg, known to the platform by `profile_id`."""
    return api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["070-123 45 67"],
        external_refs=[{"system": PROFILE_SYSTEM, "id": profile_id}],
        records=list(records),
    )


def records_of(api: Api, subject_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/subjects/{subject_id}/records", scopes=["subjects:read"])
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def requests_of(api: Api) -> list[dict[str, Any]]:
    return api.get("/v1/rights-requests", scopes=["rights:read"]).json()["items"]  # type: ignore[no-any-return]


def audit_of(api: Api, action: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/audit-events?action={action}", scopes=["audit:read"])
    return response.json()["items"]  # type: ignore[no-any-return]


def leaf(key: str, value: str) -> dict[str, str]:
    return {"key": key, "value": value}


# -- query -----------------------------------------------------------------------------


def test_the_query_answers_the_access_report_as_a_tree(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, INVOICE_2024)
    contact, invoice = sorted(records_of(api, subject["id"]), key=lambda r: r["category"])

    response = gdpr.query(profile_id)

    assert response.status_code == 200, response.text

    def record(r: dict[str, Any], *fields: dict[str, str]) -> dict[str, Any]:
        return {
            "key": r["category"].upper(),
            "children": [
                leaf("ID", r["id"]),
                leaf("SOURCE", r["source"]),
                leaf("ORIGIN", r["origin"]),
                leaf("RESTRICTED", "false"),
                leaf("CREATED_AT", r["created_at"]),
                leaf("UPDATED_AT", r["updated_at"]),
                *fields,
            ],
        }

    assert response.json() == {
        "key": "SUBJECT",
        "children": [
            leaf("ID", subject["id"]),
            leaf("STATUS", "active"),
            leaf("CREATED_AT", subject["created_at"]),
            {"key": "EMAILS", "children": [leaf("EMAIL", "asa.oberg@example.se")]},
            {"key": "PHONES", "children": [leaf("PHONE", "+46701234567")]},
            {
                "key": "EXTERNAL_REFS",
                "children": [
                    {
                        "key": "EXTERNAL_REF",
                        "children": [leaf("SYSTEM", "helsinki-profile"), leaf("ID", profile_id)],
                    }
                ],
            },
            leaf("RESTRICTED", "false"),
            leaf("MARKETING_OBJECTION", "false"),
            {
                "key": "CONTACTS",
                "children": [
                    record(
                        contact,
                        leaf("NAME", "Åsa Öberg"),
                        leaf("TITLE", "CFO"),
                        leaf("EMAIL", "asa.oberg@example.se"),
                        leaf("PHONE", "+46701234567"),
                        leaf("ADDRESS", "Storgatan 1, 611 32 Nyköping"),
                    )
                ],
            },
            {
                "key": "SALES_DOCUMENTS",
                "children": [
                    record(
                        invoice,
                        leaf("KIND", "invoice"),
                        leaf("NUMBER", "F-2024-1"),
                        leaf("DATE", "2024-03-15"),
                        leaf("AMOUNT", "12500.00"),
                        leaf("CURRENCY", "SEK"),
                    )
                ],
            },
        ],
    }


def test_each_query_is_an_access_request_answered_and_audited(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, ORGANISATION)

    assert gdpr.query(profile_id).status_code == 200

    (request,) = requests_of(api)
    assert request["type"] == "access"
    assert request["channel"] == "api"
    assert request["matched_subject_ids"] == [subject["id"]]
    assert request["verification_method"] == "signed_in_account"
    assert request["received_at"] == request["verified_at"] == "2026-11-25T12:00:00Z"
    assert request["status"] == "completed"
    assert request["outcome"] == "fulfilled"
    assert request["completed_at"] == "2026-11-25T12:00:00Z"
    assert request["requester"] is None  # cleared once answered
    (event,) = audit_of(api, "gdpr_api.query")
    assert event["actor"] == PERSON
    assert event["subject_id"] == subject["id"]
    assert event["rights_request_id"] == request["id"]
    assert (event["outcome"], event["status_code"]) == ("success", 200)
    assert not any(value in json.dumps(event) for value in PERSONAL_VALUES)


def test_the_persons_objections_are_in_the_tree(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    publish_template(api)
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT)
    objection = api.post(
        f"/v1/subjects/{subject['id']}/objections",
        json={"purpose": "customer-analysis", "grounds": "I never asked to be analysed"},
    ).json()

    tree = gdpr.query(profile_id).json()

    assert tree["children"][-1] == {
        "key": "OBJECTIONS",
        "children": [
            {
                "key": "OBJECTION",
                "children": [
                    leaf("ID", objection["id"]),
                    leaf("PURPOSE", "customer-analysis"),
                    leaf("GROUNDS", "I never asked to be analysed"),
                    leaf("STATUS", "pending"),
                    leaf("CREATED_AT", objection["created_at"]),
                ],
            }
        ],
    }


def test_an_unknown_profile_is_204_and_answered_as_no_data_held(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    response = gdpr.query(new_profile_id())

    assert response.status_code == 204
    assert response.content == b""
    (request,) = requests_of(api)
    assert (request["type"], request["outcome"]) == ("access", "fulfilled")
    assert request["matched_subject_ids"] == []
    assert "No data held" in request["note"]
    (event,) = audit_of(api, "gdpr_api.query")
    assert (event["status_code"], event["rights_request_id"]) == (204, request["id"])


def test_records_with_other_peoples_data_wait_for_the_review(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    """Art 15(4): a note is not released before the desk reviewed it; the rest is."""
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, NOTE)
    note = next(r for r in records_of(api, subject["id"]) if r["category"] == "note")

    tree = gdpr.query(profile_id).json()

    keys = [node["key"] for node in tree["children"]]
    assert "CONTACTS" in keys and "NOTES" not in keys
    assert "Prefers calls" not in json.dumps(tree)
    (request,) = requests_of(api)
    assert request["status"] == "open"  # the desk answers the rest
    assert request["due_at"] == "2026-12-28T23:59:59+01:00"
    assert tree["children"][-1] == {
        "key": "AWAITING_REVIEW",
        "children": [
            leaf("RECORDS", "1"),
            leaf("RIGHTS_REQUEST_ID", request["id"]),
            leaf("DUE_AT", "2026-12-28T23:59:59+01:00"),
        ],
    }
    # The desk reviews the note and completes the request the usual way.
    decided = api.post(
        f"/v1/rights-requests/{request['id']}/review",
        json={"record_id": note["id"], "decision": "release"},
    )
    assert decided.status_code == 200, decided.text
    done = api.post(f"/v1/rights-requests/{request['id']}/complete", json={"outcome": "fulfilled"})
    assert done.status_code == 200, done.text


def test_the_api_serves_its_own_tenant_only(
    api: Api, other_api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    profile_subject(other_api, profile_id, CONTACT)

    assert gdpr.query(profile_id).status_code == 204
    assert gdpr.delete(profile_id).status_code == 204
    assert requests_of(other_api) == []
    assert [
        s["status"]
        for s in other_api.post(
            "/v1/subjects/search",
            json={"external_ref": {"system": PROFILE_SYSTEM, "id": profile_id}},
        ).json()["items"]
    ] == ["active"]


# -- delete ----------------------------------------------------------------------------


def test_delete_erases_the_subject_through_an_erasure_request(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, ORGANISATION)

    response = gdpr.delete(profile_id)

    assert response.status_code == 204, response.text
    erased = api.get(f"/v1/subjects/{subject['id']}").json()
    assert (erased["status"], erased["emails"], erased["phones"]) == ("erased", [], [])
    assert records_of(api, subject["id"]) == []
    (request,) = requests_of(api)
    assert (request["type"], request["channel"], request["outcome"]) == (
        "erasure",
        "api",
        "fulfilled",
    )
    assert request["verification_method"] == "signed_in_account"
    (event,) = audit_of(api, "gdpr_api.delete")
    assert (event["actor"], event["subject_id"], event["rights_request_id"]) == (
        PERSON,
        subject["id"],
        request["id"],
    )
    assert event["status_code"] == 204
    # Nothing is held any more: the profile is unknown now, and deleting again is 204.
    assert gdpr.query(profile_id).status_code == 204
    assert gdpr.delete(profile_id).status_code == 204


def test_a_dry_run_changes_nothing_and_opens_no_request(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, ORGANISATION)
    before = api.row_counts()

    response = gdpr.delete(profile_id, dry_run=True)

    assert response.status_code == 204, response.text
    after = api.row_counts()
    assert after == {**before, "audit_event": before["audit_event"] + 1}
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"
    assert len(records_of(api, subject["id"])) == 2
    (event,) = audit_of(api, "gdpr_api.delete")
    assert (event["subject_id"], event["rights_request_id"]) == (subject["id"], None)
    # `dry_run=false` is the real thing.
    assert gdpr.delete(profile_id, dry_run=False).status_code == 204
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "erased"


def test_a_held_invoice_refuses_the_delete_in_three_languages(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    """Bokföringslagen 7 kap. 2 §: the 2024 invoice is kept until 2031-12-31; the platform
    deletes all or nothing, so nothing is deleted, and the person is told why."""
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, INVOICE_2024)
    before = api.row_counts()

    dry = gdpr.delete(profile_id, dry_run=True)
    real = gdpr.delete(profile_id)

    for response in (dry, real):
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/json"
        (error,) = response.json()["errors"]
        assert error["code"] == "statutory_retention"
        assert set(error["message"]) == {"fi", "sv", "en"}
        assert error["message"]["en"].startswith(
            "Some of your data must be kept until 2031-12-31 because the law requires it "
            "(Bokföringslagen (1999:1078) 7 kap. 2 §). Nothing was deleted. You may lodge a "
            "complaint"
        )
        assert "2031-12-31 asti" in error["message"]["fi"]
        assert "till och med 2031-12-31" in error["message"]["sv"]
    # Nothing erased: only the refused request and the two audit events are new.
    assert api.row_counts() == {
        **before,
        "audit_event": before["audit_event"] + 2,
        "rights_request": before["rights_request"] + 1,
    }
    assert api.get(f"/v1/subjects/{subject['id']}").json()["emails"] == ["asa.oberg@example.se"]
    (request,) = requests_of(api)
    assert (request["type"], request["status"], request["outcome"]) == (
        "erasure",
        "completed",
        "refused",
    )
    assert "se-bfl-7-2" in request["reasons"] and "2031-12-31" in request["reasons"]
    assert request["complaint_and_remedy_stated"] is True
    events = audit_of(api, "gdpr_api.delete")
    assert [(e["status_code"], e["outcome"]) for e in events] == [(403, "denied")] * 2
    assert [e["rights_request_id"] for e in events] == [None, request["id"]]


def test_a_legal_hold_refuses_the_delete_without_quoting_its_reason(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT)
    hold = api.post(
        "/v1/legal-holds",
        json={
            "subject_id": subject["id"],
            "reason": "Dispute with Åsa Öberg",
            "ends_at": "2027-06-30T00:00:00Z",
        },
        scopes=["holds:write"],
    )
    assert hold.status_code == 201, hold.text

    response = gdpr.delete(profile_id)

    assert response.status_code == 403
    (error,) = response.json()["errors"]
    assert error["code"] == "legal_hold"
    assert "2027-06-30" in error["message"]["en"] and "17(3)(e)" in error["message"]["en"]
    assert "Dispute" not in response.text and "Öberg" not in response.text
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"
    (request,) = requests_of(api)
    assert hold.json()["id"] in request["reasons"] and "Dispute" not in request["reasons"]


def test_an_unknown_profile_is_deleted_already(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    assert gdpr.delete(new_profile_id(), dry_run=True).status_code == 204
    assert gdpr.delete(new_profile_id()).status_code == 204
    (request,) = requests_of(api)
    assert (request["type"], request["outcome"], request["matched_subject_ids"]) == (
        "erasure",
        "fulfilled",
        [],
    )


# -- tokens ----------------------------------------------------------------------------


def test_each_operation_needs_its_scope(api: Api, gdpr: GdprCaller, clock: FrozenClock) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT)
    issuer = gdpr.issuer

    refused = [
        gdpr.query(profile_id, token=issuer.token([DELETE_SCOPE])),
        gdpr.delete(profile_id, token=issuer.token([QUERY_SCOPE])),
        gdpr.delete(profile_id, token=issuer.token([])),
        gdpr.delete(profile_id, token=issuer.token(None)),  # no scopes claim at all
        # Another API's scope with the same name is not ours.
        gdpr.delete(profile_id, token=issuer.token(["kukkuu.gdprdelete"])),
    ]

    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json() == {
            "errors": [
                {
                    "code": "insufficient_scope",
                    "message": {
                        "fi": "Kutsun käyttöoikeustunnus ei salli tätä toimintoa.",
                        "sv": "Anropets åtkomsttoken tillåter inte den här åtgärden.",
                        "en": "The call's access token does not allow this operation.",
                    },
                }
            ]
        }
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"
    assert requests_of(api) == []
    denied = api.get("/v1/audit-events?outcome=denied", scopes=["audit:read"]).json()["items"]
    assert [(e["action"], e["actor"]) for e in denied] == [("gdpr_api.query", PERSON)] + [
        ("gdpr_api.delete", PERSON)
    ] * 4
    # Both scopes in one token: both operations.
    both = issuer.token([QUERY_SCOPE, DELETE_SCOPE])
    assert gdpr.query(profile_id, token=both).status_code == 200
    assert gdpr.delete(profile_id, token=both).status_code == 204


def _other_key_token(gdpr: GdprCaller) -> str:
    from tests.interop.oidc import KID, rsa_pair

    pem, _public = rsa_pair(KID)
    return gdpr.issuer.token([QUERY_SCOPE], pem=pem)


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "another audience",
        "another issuer",
        "expired",
        "signed by another key",
        "unknown key id",
        "not a list of scopes",
        "a /v1 token",
    ],
)
def test_only_valid_tokens_of_the_issuer_are_accepted(
    case: str, api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    profile_subject(api, profile_id, CONTACT)
    issuer = gdpr.issuer
    not_scopes: dict[str, Any] = {"https://api.hel.fi/auth": [1, 2]}
    tokens = {
        "no token": None,
        "another audience": issuer.token([QUERY_SCOPE], aud="https://api.hel.fi/auth/other"),
        "another issuer": issuer.token([QUERY_SCOPE], iss="https://tunnistamo.example"),
        "expired": issuer.token([QUERY_SCOPE], exp=1_700_000_000),
        "signed by another key": _other_key_token(gdpr),
        "unknown key id": issuer.token([QUERY_SCOPE], kid="rotated-away"),
        "not a list of scopes": issuer.token(None, **not_scopes),
        "a /v1 token": api.token(["rights:read", "rights:write"]),
    }
    token = tokens[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    response = gdpr.client.get(f"/gdpr-api/v1/profiles/{profile_id}", headers=headers)

    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert requests_of(api) == []


def test_keycloak_puts_the_scopes_in_its_permissions(
    api: Api, gdpr: GdprCaller, enable: Any, clock: FrozenClock
) -> None:
    """Keycloak's form: `authorization.permissions[].scopes` with bare scope names. The
    0.1.0 tester's Keycloak mode nests that list in another list: not a token of Keycloak's."""
    enable(api.tenant, gdpr_api_query_scope="gdprquery", gdpr_api_delete_scope="gdprdelete")
    profile_id = new_profile_id()
    profile_subject(api, profile_id, CONTACT)

    keycloak = gdpr.issuer.token(None, authorization={"permissions": [{"scopes": ["gdprquery"]}]})
    nested = gdpr.issuer.token(None, authorization={"permissions": [{"scopes": [["gdprquery"]]}]})

    assert gdpr.query(profile_id, token=keycloak).status_code == 200
    assert gdpr.query(profile_id, token=nested).status_code == 401


def test_a_discovery_document_of_another_issuer_gives_no_keys(
    api: Api, client: TestClient, issuer: Issuer, enable: Any, clock: FrozenClock
) -> None:
    """OpenID Connect Discovery §4.3: the document must name the issuer it was asked for."""
    issuer.discovery_issuer = "https://impostor.example"
    start = len(issuer.requests)
    enable(api.tenant, fetch_keys=False)
    gdpr = GdprCaller(client=client, issuer=issuer)
    profile_id = new_profile_id()
    profile_subject(api, profile_id, CONTACT)

    assert gdpr.query(profile_id).status_code == 401
    assert "/jwks" not in issuer.requests[start:]  # the impostor's keys are never asked


def test_the_keys_are_fetched_through_discovery_and_cached(
    api: Api, client: TestClient, issuer: Issuer, enable: Any, clock: FrozenClock
) -> None:
    start = len(issuer.requests)
    enable(api.tenant, fetch_keys=False)
    gdpr = GdprCaller(client=client, issuer=issuer)
    # The first call may wait only so long for the keys; then they are known.
    deadline = time.monotonic() + 10
    while gdpr.query(new_profile_id()).status_code != 204:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for _ in range(3):
        assert gdpr.query(new_profile_id()).status_code == 204
    assert issuer.requests[start:] == ["/.well-known/openid-configuration", "/jwks"]


# -- the HTTP surface --------------------------------------------------------------------


def test_parameters_that_fail_validation_are_400(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT)
    token = gdpr.issuer.token([QUERY_SCOPE, DELETE_SCOPE])
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/gdpr-api/v1/profiles/{profile_id}"

    answers = [
        gdpr.client.delete(url, params={"dry_run": "perhaps"}, headers=auth),
        gdpr.client.get("/gdpr-api/v1/profiles/not-a-uuid", headers=auth),
        gdpr.client.get(url, params={"format": "xml"}, headers=auth),
        # A body is refused: its `dry_run` would otherwise go unread and the call delete.
        gdpr.client.request("DELETE", url, json={"dry_run": True}, headers=auth),
    ]

    for response in answers:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"]
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"
    assert requests_of(api) == []


def test_true_and_false_are_read_as_the_reference_library_reads_them(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT)
    auth = {"Authorization": f"Bearer {gdpr.issuer.token([DELETE_SCOPE])}"}
    url = f"/gdpr-api/v1/profiles/{profile_id}"
    for value in ("true", "True", "TRUE", "1"):
        assert gdpr.client.delete(url, params={"dry_run": value}, headers=auth).status_code == 204
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"
    assert gdpr.client.delete(url, params={"dry_run": "0"}, headers=auth).status_code == 204
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "erased"


def test_without_an_issuer_the_api_does_not_exist(api: Api, client: Any, issuer: Any) -> None:
    """Not configured (the default): 404 as for any unknown path, whatever the token."""
    profile_id = new_profile_id()
    token = issuer.token([QUERY_SCOPE, DELETE_SCOPE])
    for method in ("GET", "DELETE"):
        response = client.request(
            method,
            f"/gdpr-api/v1/profiles/{profile_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 404
        assert response.json()["detail"] == "No such resource."


def test_an_erased_subject_with_a_kept_invoice_is_still_held(
    api: Api, gdpr: GdprCaller, clock: FrozenClock
) -> None:
    """Erased earlier through /v1: the invoice is kept (and so is the external reference
    it is found by). The query shows it; a delete cannot remove it: 403."""
    profile_id = new_profile_id()
    subject = profile_subject(api, profile_id, CONTACT, INVOICE_2024)
    erased = api.post(f"/v1/subjects/{subject['id']}/erasure")
    assert erased.status_code == 200, erased.text

    tree = gdpr.query(profile_id).json()
    keys = {node["key"]: node for node in tree["children"]}
    assert keys["STATUS"] == leaf("STATUS", "erased")
    assert "CONTACTS" not in keys and "EMAILS" not in keys
    assert len(keys["SALES_DOCUMENTS"]["children"]) == 1
    response = gdpr.delete(profile_id)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "statutory_retention"
    assert date(2031, 12, 31).isoformat() in response.text
