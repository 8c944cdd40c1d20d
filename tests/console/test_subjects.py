"""The subject pages: finding a person by a POSTed identifier, what the page shows, and
each action — through the same services as the API, audited with the API's action names,
refused without the API's scopes, and never with personal data in URLs or audit events."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from app.rights.render import HTML_SECURITY_HEADERS
from tests.conftest import CONTACT, INVOICE_2024, NOTE, PERSONAL_VALUES, Api
from tests.console.conftest import DESK_SCOPES, Console, audit_rows
from tests.notices.helpers import publish_template


def person(api: Api, *records: dict[str, Any], **body: Any) -> dict[str, Any]:
    chosen = [copy.deepcopy(r) for r in (records or (CONTACT, INVOICE_2024))]
    return api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["070-123 45 67"],
        external_refs=[{"system": "crm", "id": "C-1001"}],
        records=chosen,
        **body,
    )


def actions(api: Api) -> list[str]:
    return [row["action"] for row in audit_rows(api.engine, api.tenant)]


def console_rows(api: Api, actor: str = "desk-person-1") -> list[dict[str, Any]]:
    return [row for row in audit_rows(api.engine, api.tenant) if row["actor"] == actor]


def assert_no_personal_data(rows: list[dict[str, Any]]) -> None:
    text = json.dumps(rows, default=str)
    for value in PERSONAL_VALUES:
        assert value not in text


# Search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        {"email": "ASA.Oberg@Example.SE"},
        {"phone": "+46 70 123 45 67"},
        {"ref_system": "crm", "ref_id": "C-1001"},
    ],
)
def test_search_by_one_identifier_leads_to_the_subject(
    api: Api, console: Console, form: dict[str, str]
) -> None:
    subject = person(api)
    response = console.post("/console/subjects/search", form)
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location == f"/console/subjects/{subject['id']}"
    page = console.follow(response)
    assert page.status_code == 200
    assert "asa.oberg@example.se" in page.text and "+46701234567" in page.text
    assert "C-1001" in page.text
    assert "Contact details" in page.text and "Sales documents" in page.text
    assert "F-2024-1" in page.text


def test_search_lists_several_and_says_when_none(api: Api, console: Console) -> None:
    first = api.create_subject(emails=["shared@example.se"])
    second = api.create_subject(emails=["shared@example.se"])
    both = console.post("/console/subjects/search", {"email": "shared@example.se"})
    assert both.status_code == 200
    assert "2 subjects found." in both.text
    assert f"/console/subjects/{first['id']}" in both.text
    assert f"/console/subjects/{second['id']}" in both.text
    none = console.post("/console/subjects/search", {"email": "nobody@example.se"})
    assert none.status_code == 200
    assert "No subject found" in none.text


def test_search_needs_exactly_one_valid_identifier(api: Api, console: Console) -> None:
    both = console.post("/console/subjects/search", {"email": "a@example.se", "phone": "0701"})
    assert both.status_code == 422
    assert "exactly one" in both.text
    bad = console.post("/console/subjects/search", {"email": "not-an-email"})
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text and 'aria-describedby="email-error"' in bad.text
    assert "not-an-email" in bad.text  # the form keeps what was typed


def test_search_is_never_a_get_with_the_identifier(api: Api, console: Console) -> None:
    form = console.get("/console/subjects")
    assert form.status_code == 200
    assert 'method="post" action="/console/subjects/search"' in form.text
    assert console.get("/console/subjects/search?email=asa@example.se").status_code == 404


def test_search_needs_csrf_and_the_scope(
    api: Api, console: Console, console_client: Callable[..., Console]
) -> None:
    person(api)
    forged = console.post("/console/subjects/search", {"email": "asa.oberg@example.se"}, csrf=False)
    assert forged.status_code == 403
    outsider = console_client(scopes=["audit:read"])
    refused = outsider.post("/console/subjects/search", {"email": "asa.oberg@example.se"})
    assert refused.status_code == 403
    assert "asa.oberg" not in refused.text


# The subject page -------------------------------------------------------------------------


def test_another_tenants_subject_is_a_404(api: Api, other_api: Api, console: Console) -> None:
    foreign = person(other_api)
    for path in ("", "/erasure", "/access-report", "/export.json", "/records/x/rectify"):
        response = console.get(f"/console/subjects/{foreign['id']}{path}")
        assert response.status_code == 404, path
        assert "asa.oberg" not in response.text
    assert console.get("/console/subjects/not-a-uuid").status_code == 404


def test_page_shows_the_state_of_the_rights(api: Api, console: Console) -> None:
    subject = person(api, CONTACT, INVOICE_2024, NOTE)
    sid = subject["id"]
    record = api.get(f"/v1/subjects/{sid}/records?category=note").json()["items"][0]
    assert api.patch(f"/v1/records/{record['id']}", json={"data": {"text": "Calls"}}).is_success
    api.post(f"/v1/subjects/{sid}/restriction", json={"reason": "Accuracy contested"})
    page = console.get(f"/console/subjects/{sid}")
    assert page.status_code == 200
    html = page.text
    assert "Accuracy contested" in html
    assert "Restricted: stored but not used" in html  # the content of restricted records
    assert "Storgatan" not in html  # ... is not shown, as a processing read would not
    assert "Rectifications (1)" in html and "<td>text</td>" in html
    assert "To be informed by" in html  # no notice given yet
    assert "Messages to recipients" in html
    assert html.count("<h1") == 1


def test_what_is_shown_follows_the_scopes(api: Api, console_client: Callable[..., Console]) -> None:
    sid = person(api)["id"]
    reader = console_client(scopes=["subjects:read"])
    page = reader.get(f"/console/subjects/{sid}")
    assert page.status_code == 200
    for action in ("/restriction", "/erasure", "/holds", "/rectify", "/objections"):
        assert f"/console/subjects/{sid}{action}" not in page.text
    assert "Access report" not in page.text
    desk = console_client(scopes=DESK_SCOPES)
    page = desk.get(f"/console/subjects/{sid}")
    assert f"/console/subjects/{sid}/erasure" in page.text
    assert f'action="/console/subjects/{sid}/holds"' not in page.text  # needs holds:write


def test_merged_subject_leads_to_the_one_it_was_merged_into(api: Api, console: Console) -> None:
    target = api.create_subject()
    duplicate = api.create_subject()
    merged = api.post(f"/v1/subjects/{target['id']}/merge", json={"subject_ids": [duplicate["id"]]})
    assert merged.status_code == 200, merged.text
    response = console.get(f"/console/subjects/{duplicate['id']}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/subjects/{target['id']}"


# Actions ----------------------------------------------------------------------------------


def test_restrict_and_lift(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    done = console.post(f"/console/subjects/{sid}/restriction", {"reason": "Accuracy contested"})
    assert done.status_code == 303
    page = console.follow(done)
    assert "Processing is restricted." in page.text
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "restricted"
    lifted = console.post(f"/console/subjects/{sid}/restriction/lift")
    assert lifted.status_code == 303
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    rows = console_rows(api)
    assert [r["action"] for r in rows] == ["subject.restrict", "subject.lift_restriction"]
    assert all(r["subject_id"] is not None for r in rows)
    assert_no_personal_data(rows)


def test_restriction_without_a_reason_is_refused(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    refused = console.post(f"/console/subjects/{sid}/restriction", {"reason": ""})
    assert refused.status_code == 422
    assert 'id="reason-error"' in refused.text
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    assert console_rows(api) == []


def test_actions_need_the_apis_scopes_and_csrf(
    api: Api, console: Console, console_client: Callable[..., Console]
) -> None:
    sid = person(api)["id"]
    reader = console_client(scopes=["subjects:read", "rights:read"])
    assert reader.post(f"/console/subjects/{sid}/restriction", {"reason": "x"}).status_code == 403
    assert reader.post(f"/console/subjects/{sid}/marketing-objection").status_code == 403
    desk = console_client(scopes=DESK_SCOPES)
    hold = desk.post(f"/console/subjects/{sid}/holds", {"hold_reason": "Dispute"})
    assert hold.status_code == 403
    forged = console.post(f"/console/subjects/{sid}/restriction", {"reason": "x"}, csrf=False)
    assert forged.status_code == 403
    wrong = console.post(
        f"/console/subjects/{sid}/restriction", {"reason": "x", "csrf_token": "nope"}
    )
    assert wrong.status_code == 403
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    assert console_rows(api) == []


def test_rectify_a_record(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    contact = api.get(f"/v1/subjects/{sid}/records?category=contact").json()["items"][0]
    path = f"/console/subjects/{sid}/records/{contact['id']}/rectify"
    form = console.get(path)
    assert form.status_code == 200
    assert 'value="CFO"' in form.text and '<label for="f-data.title">' in form.text
    fields = {f"data.{k}": v for k, v in contact["data"].items()}
    done = console.post(path, {**fields, "data.title": "CEO"})
    assert done.status_code == 303
    assert "The record is rectified (Title)." in console.follow(done).text
    after = api.get(f"/v1/records/{contact['id']}").json()
    assert after["data"]["title"] == "CEO" and after["data"]["name"] == "Åsa Öberg"
    history = api.get(f"/v1/records/{contact['id']}/history").json()["items"]
    assert [h["fields"] for h in history] == [["title"]]
    assert history[0]["actor"] == "desk-person-1"
    rows = console_rows(api)
    assert [(r["action"], r["record_id"] is not None) for r in rows] == [("record.rectify", True)]
    unchanged = console.post(path, {**fields, "data.title": "CEO"})
    assert "Nothing changed." in console.follow(unchanged).text


def test_invalid_rectification_shows_the_form_again(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    contact = api.get(f"/v1/subjects/{sid}/records?category=contact").json()["items"][0]
    path = f"/console/subjects/{sid}/records/{contact['id']}/rectify"
    refused = console.post(path, {"data.email": "not an email"})
    assert refused.status_code == 422
    assert 'value="not an email"' in refused.text
    assert 'aria-describedby="data.email-error"' in refused.text
    assert (
        api.get(f"/v1/records/{contact['id']}").json()["data"]["email"] == CONTACT["data"]["email"]
    )
    assert console_rows(api) == []


def test_a_held_invoice_cannot_change_its_date(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    invoice = api.get(f"/v1/subjects/{sid}/records?category=sales_document").json()["items"][0]
    path = f"/console/subjects/{sid}/records/{invoice['id']}/rectify"
    refused = console.post(path, {"data.date": "2025-01-02"})
    assert refused.status_code == 409
    assert "Bokföringslagen" in refused.text or "hold" in refused.text
    assert api.get(f"/v1/records/{invoice['id']}").json()["data"]["date"] == "2024-03-15"


def test_place_and_release_a_legal_hold(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    placed = console.post(
        f"/console/subjects/{sid}/holds",
        {"hold_reason": "Case T 1234-26", "hold_ends_on": "2027-06-30", "hold_record": ""},
    )
    assert placed.status_code == 303
    page = console.follow(placed)
    assert "Case T 1234-26" in page.text and "30 June 2027" in page.text
    holds = api.get(f"/v1/legal-holds?subject_id={sid}").json()["items"]
    assert len(holds) == 1 and holds[0]["active"]
    assert holds[0]["ends_at"].startswith("2027-06-30T21:59:59")  # end of the day in Stockholm
    released = console.post(f"/console/subjects/{sid}/holds/{holds[0]['id']}/release")
    assert released.status_code == 303
    assert not api.get(f"/v1/legal-holds?subject_id={sid}").json()["items"][0]["active"]
    again = console.post(f"/console/subjects/{sid}/holds/{holds[0]['id']}/release")
    assert again.status_code == 409  # released twice, as the API answers
    assert [r["action"] for r in console_rows(api)] == ["legal_hold.place", "legal_hold.release"]


def test_hold_form_refuses_bad_input(api: Api, other_api: Api, console: Console) -> None:
    sid = person(api)["id"]
    foreign = person(other_api)
    foreign_record = other_api.get(f"/v1/subjects/{foreign['id']}/records").json()["items"][0]
    bad_date = console.post(
        f"/console/subjects/{sid}/holds", {"hold_reason": "x", "hold_ends_on": "30/06/2027"}
    )
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text
    past = console.post(
        f"/console/subjects/{sid}/holds", {"hold_reason": "x", "hold_ends_on": "2020-01-01"}
    )
    assert past.status_code == 422
    other = console.post(
        f"/console/subjects/{sid}/holds", {"hold_reason": "x", "hold_record": foreign_record["id"]}
    )
    assert other.status_code == 422
    assert api.get(f"/v1/legal-holds?subject_id={sid}").json()["items"] == []
    # A hold of another subject cannot be released through this one's page.
    other_subject = api.create_subject()["id"]
    assert console.post(
        f"/console/subjects/{other_subject}/holds", {"hold_reason": "Dispute"}
    ).is_redirect
    hold = api.get(f"/v1/legal-holds?subject_id={other_subject}").json()["items"][0]
    assert console.post(f"/console/subjects/{sid}/holds/{hold['id']}/release").status_code == 404


def test_marketing_objection_is_absolute(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    done = console.post(f"/console/subjects/{sid}/marketing-objection")
    assert done.status_code == 303
    check = api.post("/v1/marketing/check", json={"emails": ["asa.oberg@example.se"]}).json()
    assert check["results"][0] == {**check["results"][0], "allowed": False, "reason": "objection"}
    page = console.follow(done)
    assert "The person objected: no direct marketing." in page.text
    assert [r["action"] for r in console_rows(api)] == ["subject.object_marketing"]


def test_objection_needs_a_published_purpose(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    page = console.get(f"/console/subjects/{sid}")
    assert "There is no purpose to object to" in page.text  # no notice published
    refused = console.post(
        f"/console/subjects/{sid}/objections", {"purpose": "customer-analysis", "grounds": "x"}
    )
    assert refused.status_code == 422
    assert console_rows(api) == []


def test_erased_subject_accepts_no_more_changes(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    assert api.post(f"/v1/subjects/{sid}/erasure").status_code == 200
    page = console.get(f"/console/subjects/{sid}")
    assert "The subject was erased on" in page.text
    assert "Kept until 31 December 2031" in page.text
    refused = console.post(f"/console/subjects/{sid}/restriction", {"reason": "x"})
    assert refused.status_code == 410
    assert "The subject is erased and cannot change." in refused.text


# The access report and the export ----------------------------------------------------------


def test_access_report_as_the_person_receives_it(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    response = console.get(f"/console/subjects/{sid}/access-report?lang=sv")
    assert response.status_code == 200
    assert response.headers["content-language"] == "sv"
    assert response.text.startswith("<!DOCTYPE html>")
    assert '<html lang="sv">' in response.text and "Storgatan 1" in response.text
    api_html = api.get(
        f"/v1/subjects/{sid}/access-report?lang=sv", headers={"Accept": "text/html"}
    ).text
    assert response.text == api_html  # the same document, rendered by the same code
    # The person's document keeps its own policy: nothing loaded, no script, inline style.
    assert (
        response.headers["content-security-policy"]
        == HTML_SECURITY_HEADERS["Content-Security-Policy"]
    )
    rows = console_rows(api)
    assert [(r["action"], r["subject_id"] is not None) for r in rows] == [
        ("subject.access_report", True)
    ]
    assert_no_personal_data(rows)


def test_export_downloads_as_the_api_produces_them(api: Api, console: Console) -> None:
    sid = person(api)["id"]
    as_json = console.get(f"/console/subjects/{sid}/export.json")
    assert as_json.status_code == 200
    assert as_json.headers["content-disposition"] == f'attachment; filename="subject-{sid}.json"'
    from_api = api.get(f"/v1/subjects/{sid}/export?format=json").json()
    assert as_json.json()["records"] == from_api["records"]
    as_csv = console.get(f"/console/subjects/{sid}/export.csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text == api.get(f"/v1/subjects/{sid}/export?format=csv").text
    assert console.get(f"/console/subjects/{sid}/export.xml").status_code == 404
    assert [r["action"] for r in console_rows(api)] == ["subject.export", "subject.export"]


def test_report_and_export_need_rights_read(
    api: Api, console_client: Callable[..., Console]
) -> None:
    sid = person(api)["id"]
    reader = console_client(scopes=["subjects:read"])
    assert reader.get(f"/console/subjects/{sid}/access-report").status_code == 403
    assert reader.get(f"/console/subjects/{sid}/export.csv").status_code == 403
    assert console_rows(api) == []


def test_swedish_pages(api: Api, console_client: Callable[..., Console]) -> None:
    sid = person(api)["id"]
    swedish = console_client(lang="sv")
    page = swedish.get(f"/console/subjects/{sid}")
    assert '<html lang="sv">' in page.text
    assert "Uppgifter per kategori" in page.text and "Kontaktuppgifter" in page.text
    assert "Records by category" not in page.text


def test_objection_to_a_purpose_of_the_published_notice(api: Api, console: Console) -> None:
    publish_template(api)
    sid = person(api)["id"]
    page = console.get(f"/console/subjects/{sid}").text
    assert '<option value="customer-analysis">' in page
    assert '<option value="bookkeeping">' not in page  # a legal obligation: no Art 21(1)
    form = {"purpose": "customer-analysis", "grounds": "I left the customer company."}
    done = console.post(f"/console/subjects/{sid}/objections", form)
    assert done.status_code == 303
    shown = console.follow(done).text
    assert "The objection is recorded." in shown and "Awaiting a decision" in shown
    assert api.get(f"/v1/subjects/{sid}").json()["restricted_purposes"] == ["customer-analysis"]
    again = console.post(f"/console/subjects/{sid}/objections", form)
    assert again.status_code == 409
    assert "I left the customer company." in again.text  # the form keeps what was typed
    assert [r["action"] for r in console_rows(api)] == ["subject.object"]
    assert_no_personal_data(console_rows(api))


def test_notice_given_is_shown(api: Api, console: Console) -> None:
    notice = publish_template(api)
    sid = person(api)["id"]
    given = api.post(
        f"/v1/subjects/{sid}/notice-given",
        json={
            "channel": "email",
            "given_at": "2026-11-25T09:00:00Z",
            "notice_version": notice["version"],
        },
    )
    assert given.status_code in (200, 201), given.text
    page = console.get(f"/console/subjects/{sid}").text
    assert "Informed on 25 November 2026" in page
    assert "To be informed by" not in page
