"""The settings pages of the console: the privacy notice, retention rules with the purge
preview, recipients and deliveries, tenant settings — admin only, validated by the
API's own rules, each change audited with the person as actor, nothing of another
tenant in sight."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest

from app.notices.template import CARE_OF_NOTICE
from tests.conftest import Api
from tests.console.conftest import DESK_SCOPES, Console, audit_rows

ADMIN = ["admin", "rights:read"]
PAGES = [
    "/console/settings",
    "/console/settings/notice",
    "/console/settings/notice?start=template",
    "/console/settings/retention",
    "/console/settings/retention/rules/se-bfl-7-2",
    "/console/settings/recipients",
    "/console/settings/tenant",
]


class _Form(HTMLParser):
    """The fields a browser would post from the page's form at `action`: inputs
    (checked boxes only), textareas and selected options."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._selected: str | None = None
        self._first: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and a.get("method") == "post"
        if not self.inside:
            return
        if tag == "input" and "name" in a:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
        elif tag == "select":
            self._select, self._selected, self._first = a["name"], None, None
        elif tag == "option" and self._select is not None:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a:
                self._selected = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = self._selected if self._selected is not None else self._first
            self.fields.append((self._select, chosen or ""))
            self._select = None


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    parser = _Form(action)
    parser.feed(html)
    return parser.fields


def notice_form(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The notice form's fields for `document`, as the page names them."""
    fields: list[tuple[str, str]] = []
    for lang, text in document.items():

        def put(path: str, value: Any, lang: str = lang) -> None:
            fields.append((f"{lang}.{path}", "" if value is None else str(value)))

        for group in ("controller", "dpo", "objection_right", "complaint"):
            for key, value in text[group].items():
                put(f"{group}.{key}", value)
        for i, purpose in enumerate(text["purposes"]):
            for key, value in purpose.items():
                put(f"purposes.{i}.{key}", value)
        for category, described in text["categories"].items():
            put(f"categories.{category}.description", described["description"])
            put(f"categories.{category}.purposes", ", ".join(described["purposes"]))
            for code in described["retention"].get("rules", []):
                put(f"categories.{category}.retention.rules", code)
            put(f"categories.{category}.retention.criteria", described["retention"].get("criteria"))
        for i, recipient in enumerate(text["recipients"]):
            put(f"recipients.{i}.category", recipient["category"])
            put(f"recipients.{i}.description", recipient["description"])
            put(f"recipients.{i}.names", "\n".join(recipient.get("names", [])))
        if text["transfers_outside_eea"]:
            put("transfers_outside_eea", "true")
        for i, transfer in enumerate(text["transfers"]):
            for key, value in transfer.items():
                put(f"transfers.{i}.{key}", value)
        put("sources", text["sources"])
        put("provision_requirement", text["provision_requirement"])
        for right in text["rights"]:
            put(f"rights.{right['right']}", right["description"])
        put("consent_withdrawal", text.get("consent_withdrawal"))
        adm = text["automated_decision_making"]
        if adm["used"]:
            put("automated_decision_making.used", "true")
        for key in ("description", "logic", "significance"):
            put(f"automated_decision_making.{key}", adm.get(key))
    return fields


def post_fields(console: Console, path: str, fields: list[tuple[str, str]]) -> Any:
    """POST repeated fields (a list of pairs), with the CSRF token unless one is given."""
    if not any(name == "csrf_token" for name, _ in fields):
        fields = [*fields, ("csrf_token", console.csrf_token)]
    return console.client.post(
        path,
        content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


def actions(api: Api) -> list[tuple[str, str]]:
    return [(row["action"], row["actor"]) for row in audit_rows(api.engine, api.tenant)]


def error_of(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error shown at {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1))


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_admin_with_one_h1_and_labels(
    console_client: Callable[..., Console], path: str
) -> None:
    admin = console_client(scopes=ADMIN)
    response = admin.get(path)
    assert response.status_code == 200, response.text[-2000:]
    html = response.text
    assert html.count("<h1") == 1
    # Every visible input, select and textarea has a label naming its id.
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html)
    for field_id in ids:
        assert f'for="{field_id}"' in html, f"{path}: no label for {field_id}"
    assert "<th>" not in html  # every header cell has a scope
    every_id = re.findall(r'\sid="([^"]+)"', html)
    assert len(every_id) == len(set(every_id)), "an id is used twice"


def test_desk_person_gets_403_and_sees_no_settings(
    console_client: Callable[..., Console], api: Api
) -> None:
    desk = console_client(scopes=DESK_SCOPES)
    for path in PAGES:
        assert desk.get(path).status_code == 403, path
    queue = desk.get("/console")
    assert 'href="/console/settings"' not in queue.text
    for path, data in [
        ("/console/settings/tenant", {"time_zone": "UTC", "financial_year_end": "12-31"}),
        ("/console/settings/retention/rules", {"code": "x-rule"}),
        ("/console/settings/retention/rules/se-bfl-7-2/delete", {}),
        ("/console/settings/recipients", {"name": "crm", "url": "https://127.0.0.1:9/h"}),
        ("/console/settings/notice", {"action": "publish"}),
    ]:
        assert desk.post(path, data).status_code == 403, path
    assert actions(api) == []


# --------------------------------------------------------------------------- tenant settings


def test_tenant_settings_saved_audited_and_read_back_by_the_api(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN, actor="dpo-anna")
    page = admin.get("/console/settings/tenant")
    fields = dict(form_fields(page.text, "/console/settings/tenant"))
    assert fields["time_zone"] == "Europe/Stockholm" and fields["version"] == "0"
    response = admin.post(
        "/console/settings/tenant",
        {
            "version": "0",
            "time_zone": "Europe/Helsinki",
            "financial_year_end": "04-30",
            "rights_request_retention_months": "24",
            "third_party_review_categories": "note",
        },
    )
    assert response.status_code == 303
    after = admin.follow(response)
    assert "The settings are saved." in after.text
    stored = api.get("/v1/tenant-settings", scopes=["admin"]).json()
    assert stored["time_zone"] == "Europe/Helsinki"
    assert stored["financial_year_end"] == "04-30"
    assert stored["verification_required"] is False  # the box was not checked
    assert stored["rights_request_retention_months"] == 24
    assert stored["third_party_review_categories"] == ["note"]
    assert ("tenant_settings.replace", "dpo-anna") in actions(api)


@pytest.mark.parametrize(
    ("field", "value", "field_id"),
    [
        ("time_zone", "Mars/Olympus_Mons", "f-time-zone"),
        ("financial_year_end", "02-30", "f-financial-year-end"),
        ("rights_request_retention_months", "0", "f-rights-request-retention-months"),
        ("rights_request_retention_months", "many", "f-rights-request-retention-months"),
        ("third_party_review_categories", "gossip", "f-third-party-review-categories"),
    ],
)
def test_invalid_tenant_settings_rerender_422_and_change_nothing(
    console_client: Callable[..., Console], api: Api, field: str, value: str, field_id: str
) -> None:
    admin = console_client(scopes=ADMIN)
    form = {
        "version": "0",
        "time_zone": "Europe/Stockholm",
        "financial_year_end": "12-31",
        "rights_request_retention_months": "36",
        field: value,
    }
    response = admin.post("/console/settings/tenant", form)
    assert response.status_code == 422
    assert error_of(response.text, field_id)
    assert 'aria-invalid="true"' in response.text
    assert api.get("/v1/tenant-settings", scopes=["admin"]).json()["is_default"] is True
    assert actions(api) == []


def test_stale_tenant_settings_form_is_refused_412(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN)
    form = {
        "time_zone": "UTC",
        "financial_year_end": "12-31",
        "rights_request_retention_months": "36",
    }
    assert admin.post("/console/settings/tenant", {**form, "version": "0"}).status_code == 303
    stale = admin.post(
        "/console/settings/tenant", {**form, "time_zone": "Europe/Oslo", "version": "0"}
    )
    assert stale.status_code == 412
    assert "Someone else changed this" in stale.text
    assert api.get("/v1/tenant-settings", scopes=["admin"]).json()["time_zone"] == "UTC"


def test_csrf_missing_or_wrong_is_403_and_changes_nothing(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN)
    form = {"version": "0", "time_zone": "UTC", "financial_year_end": "12-31"}
    assert admin.post("/console/settings/tenant", form, csrf=False).status_code == 403
    wrong = admin.post("/console/settings/tenant", {**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    rule = admin.post(
        "/console/settings/retention/rules",
        {**_ip_rule(), "csrf_token": ""},
    )
    assert rule.status_code == 403
    assert api.get("/v1/tenant-settings", scopes=["admin"]).json()["is_default"] is True
    assert actions(api) == []


# --------------------------------------------------------------------------- retention


def _ip_rule(**changes: str) -> dict[str, str]:
    return {
        "mode": "add",
        "code": "ip-12-months",
        "reference": "GDPR Art 5(1)(e); IT security log policy 2.3",
        "title_sv": "IP-adresser raderas tolv månader efter senaste användning.",
        "title_en": "IP addresses are deleted twelve months after last seen.",
        "category": "network",
        "action": "delete_after",
        "basis": "last_seen",
        "years": "0",
        "months": "12",
        "active": "true",
        **changes,
    }


@pytest.mark.clock("2026-06-01T10:00:00Z")
def test_retention_rule_added_previewed_edited_removed_and_audited(
    console_client: Callable[..., Console], api: Api
) -> None:
    subject = api.create_subject(emails=["ip.person@example.se"])
    api.add_record(
        subject["id"],
        {
            "category": "network",
            "origin": "observed",
            "source": "web",
            "data": {
                "ip": "192.0.2.10",
                "first_seen": "2024-01-01T00:00:00Z",
                "last_seen": "2025-01-15T00:00:00Z",
                "context": "login",
            },
        },
    )
    admin = console_client(scopes=ADMIN, actor="dpo-anna")
    added = admin.post("/console/settings/retention/rules", _ip_rule())
    assert added.status_code == 303, added.text[-2000:]
    page = admin.follow(added)
    assert "The rule ip-12-months is saved." in page.text
    assert "GDPR Art 5(1)(e); IT security log policy 2.3" in page.text
    # The purge preview: the same decision as GET /v1/purge-preview.
    preview = api.get("/v1/purge-preview", scopes=["rights:read"]).json()
    assert preview["records"] == 1
    assert re.search(r"Records that would be deleted</dt><dd>1</dd>", page.text)
    assert preview["groups"][0]["record_ids"][0] in page.text
    assert "192.0.2.10" not in page.text  # ids only, no personal data

    rules = {
        r["code"]: r for r in api.get("/v1/retention-rules", scopes=["rights:read"]).json()["items"]
    }
    assert rules["ip-12-months"]["months"] == 12

    edit_page = admin.get("/console/settings/retention/rules/ip-12-months")
    fields = form_fields(edit_page.text, "/console/settings/retention/rules")
    edited = [(k, "24" if k == "months" else v) for k, v in fields]
    assert post_fields(admin, "/console/settings/retention/rules", edited).status_code == 303
    rules = {
        r["code"]: r for r in api.get("/v1/retention-rules", scopes=["rights:read"]).json()["items"]
    }
    assert rules["ip-12-months"]["months"] == 24

    removed = admin.post("/console/settings/retention/rules/ip-12-months/delete")
    assert removed.status_code == 303
    rules = {
        r["code"] for r in api.get("/v1/retention-rules", scopes=["rights:read"]).json()["items"]
    }
    assert "ip-12-months" not in rules
    assert [a for a in actions(api) if a[0].startswith("retention_rule.")] == [
        ("retention_rule.put", "dpo-anna"),
        ("retention_rule.put", "dpo-anna"),
        ("retention_rule.delete", "dpo-anna"),
    ]


@pytest.mark.parametrize(
    ("changes", "field_id", "status"),
    [
        ({"basis": "last_seen", "category": "contact"}, None, 422),  # basis does not fit
        ({"months": "0", "years": "0"}, None, 422),  # no period
        ({"code": "Bad Code!"}, "f-code", 422),
        ({"reference": ""}, "f-reference", 422),
        ({"action": "forget"}, "f-action", 422),
        ({"code": "se-bfl-7-2"}, None, 409),  # a built-in code cannot be replaced
    ],
)
def test_invalid_retention_rule_rerenders_and_changes_nothing(
    console_client: Callable[..., Console],
    api: Api,
    changes: dict[str, str],
    field_id: str | None,
    status: int,
) -> None:
    admin = console_client(scopes=ADMIN)
    response = admin.post("/console/settings/retention/rules", _ip_rule(**changes))
    assert response.status_code == status, response.text[-1500:]
    assert 'class="error-summary"' in response.text
    if field_id:
        assert error_of(response.text, field_id)
    rules = {
        r["code"] for r in api.get("/v1/retention-rules", scopes=["rights:read"]).json()["items"]
    }
    assert rules == {"se-bfl-7-2", "se-preskription-2"}
    assert actions(api) == []


def test_adding_an_existing_code_does_not_replace_it(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN)
    assert admin.post("/console/settings/retention/rules", _ip_rule()).status_code == 303
    again = admin.post("/console/settings/retention/rules", _ip_rule(months="1"))
    assert again.status_code == 422
    assert error_of(again.text, "f-code")
    rules = {
        r["code"]: r for r in api.get("/v1/retention-rules", scopes=["rights:read"]).json()["items"]
    }
    assert rules["ip-12-months"]["months"] == 12


def test_built_in_rule_cannot_be_removed(console_client: Callable[..., Console], api: Api) -> None:
    admin = console_client(scopes=ADMIN)
    page = admin.get("/console/settings/retention/rules/se-bfl-7-2")
    assert "/console/settings/retention/rules/se-bfl-7-2/delete" not in page.text
    assert admin.post("/console/settings/retention/rules/se-bfl-7-2/delete").status_code == 409
    assert admin.post("/console/settings/retention/rules/no-such-rule/delete").status_code == 404
    assert actions(api) == []


def test_purge_preview_needs_rights_read(console_client: Callable[..., Console]) -> None:
    admin_only = console_client(scopes=["admin"])
    page = admin_only.get("/console/settings/retention")
    assert page.status_code == 200
    assert "The preview needs the scope rights:read." in page.text


# --------------------------------------------------------------------------- recipients


def test_recipient_registered_shown_once_deactivated_and_audited(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN, actor="dpo-anna")
    created = admin.post(
        "/console/settings/recipients",
        {"name": "crm", "url": "https://127.0.0.1:9/hooks", "event_types": "subject.erased"},
    )
    assert created.status_code == 303, created.text[-1500:]
    page = admin.follow(created)
    match = re.search(r"shown only now: (\S+)", page.text)
    assert match and len(match.group(1)) >= 32
    assert match.group(1) not in admin.get(created.headers["location"]).text  # only once
    listed = api.get("/v1/recipients", scopes=["admin"]).json()["items"]
    assert [(r["name"], r["event_types"], r["active"]) for r in listed] == [
        ("crm", ["subject.erased"], True)
    ]
    recipient_id = listed[0]["id"]
    assert admin.post(f"/console/settings/recipients/{recipient_id}/deactivate").status_code == 303
    assert api.get("/v1/recipients", scopes=["admin"]).json()["items"][0]["active"] is False
    assert [a for a in actions(api) if a[0].startswith("recipient.")] == [
        ("recipient.create", "dpo-anna"),
        ("recipient.deactivate", "dpo-anna"),
    ]


@pytest.mark.parametrize(
    ("form", "field_id"),
    [
        ({"name": "crm", "url": "http://127.0.0.1:9/plain"}, None),
        ({"name": "crm", "url": "https://user:pw@127.0.0.1:9/x"}, None),
        ({"name": "", "url": "https://127.0.0.1:9/x"}, "f-name"),
        ({"name": "crm", "url": "https://127.0.0.1:9/x", "event_types": "no.such"}, None),
    ],
)
def test_invalid_recipient_rerenders_and_changes_nothing(
    console_client: Callable[..., Console], api: Api, form: dict[str, str], field_id: str | None
) -> None:
    admin = console_client(scopes=ADMIN)
    response = admin.post("/console/settings/recipients", form)
    assert response.status_code == 422, response.text[-1500:]
    assert 'class="error-summary"' in response.text
    if field_id:
        assert error_of(response.text, field_id)
    assert api.get("/v1/recipients", scopes=["admin"]).json()["items"] == []
    assert actions(api) == []


def test_deliveries_listed_with_status_without_payload(
    console_client: Callable[..., Console], api: Api
) -> None:
    created = api.post(
        "/v1/recipients",
        json={"name": "crm", "url": "https://127.0.0.1:9/h", "event_types": ["subject.restricted"]},
        scopes=["admin"],
    )
    recipient_id = created.json()["id"]
    subject = api.create_subject(emails=["delivery.person@example.se"])
    restricted = api.post(
        f"/v1/subjects/{subject['id']}/restriction", json={"reason": "Disputed accuracy"}
    )
    assert restricted.status_code in (200, 201), restricted.text
    admin = console_client(scopes=ADMIN)
    page = admin.get(f"/console/settings/recipients/{recipient_id}")
    assert page.status_code == 200
    assert "subject.restricted" in page.text and "pending" in page.text
    assert subject["id"] not in page.text  # the payload is not shown
    assert "Disputed accuracy" not in page.text
    delivered = admin.get(f"/console/settings/recipients/{recipient_id}?status=delivered")
    assert "No deliveries." in delivered.text


# --------------------------------------------------------------------------- notice


def test_notice_published_from_the_form_equals_the_document_and_is_audited(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN, actor="dpo-anna")
    assert "No privacy notice is published." in admin.get("/console/settings/notice").text
    document = copy.deepcopy(CARE_OF_NOTICE)
    response = post_fields(
        admin,
        "/console/settings/notice",
        [*notice_form(document), ("version", ""), ("action", "publish")],
    )
    assert response.status_code == 303, response.text[-3000:]
    assert "Version 1 is published." in admin.follow(response).text
    published = api.get("/v1/privacy-notice", scopes=["admin"]).json()
    assert published["version"] == 1 and published["published_by"] == "dpo-anna"
    for lang in ("sv", "en"):
        expected = copy.deepcopy(document[lang])
        got = published[lang]
        assert got["controller"] == expected["controller"]
        assert got["purposes"] == [
            {"description": None, "legitimate_interest": None, **p} for p in expected["purposes"]
        ]
        assert got["categories"].keys() == expected["categories"].keys()
        assert [r["right"] for r in got["rights"]] == [r["right"] for r in expected["rights"]]
    assert ("privacy_notice.publish", "dpo-anna") in actions(api)


def test_notice_form_round_trips_what_it_shows(
    console_client: Callable[..., Console], api: Api
) -> None:
    """What the page shows, posted back unchanged, is the same notice: no field is lost
    between rendering and reading the form."""
    admin = console_client(scopes=ADMIN)
    first = api.client.put(
        "/v1/privacy-notice", json=CARE_OF_NOTICE, headers=api.headers(["admin"])
    )
    assert first.status_code == 200
    page = admin.get("/console/settings/notice")
    fields = form_fields(page.text, "/console/settings/notice")
    assert ("version", "1") in fields
    response = post_fields(admin, "/console/settings/notice", [*fields, ("action", "publish")])
    assert response.status_code == 303, response.text[-3000:]
    versions = [
        api.get(f"/v1/privacy-notice/versions/{n}", scopes=["admin"]).json() for n in (1, 2)
    ]
    for lang in ("sv", "en"):
        assert versions[0][lang] == versions[1][lang]
    history = admin.get("/console/settings/notice/versions/2")
    assert "No field changed." in history.text


def test_notice_from_template_page_is_filled(console_client: Callable[..., Console]) -> None:
    admin = console_client(scopes=ADMIN)
    page = admin.get("/console/settings/notice?start=template")
    assert "Care of" in page.text and "template" in page.text
    fields = dict(form_fields(page.text, "/console/settings/notice"))
    assert fields["sv.controller.name"] == CARE_OF_NOTICE["sv"]["controller"]["name"]


def test_notice_errors_are_shown_next_to_their_fields_and_nothing_is_published(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN)
    document = copy.deepcopy(CARE_OF_NOTICE)
    document["sv"]["controller"]["name"] = ""  # shape: required
    document["en"]["categories"]["note"]["purposes"] = ["no-such-purpose"]  # domain check
    fields = [*notice_form(document), ("version", ""), ("action", "publish")]
    response = post_fields(admin, "/console/settings/notice", fields)
    assert response.status_code == 422
    assert "Required." in error_of(response.text, "f-sv-controller-name")
    # Once the shape is right, the domain's validation names the category's purposes.
    document["sv"]["controller"]["name"] = "Kund AB"
    fields = [*notice_form(document), ("version", ""), ("action", "publish")]
    response = post_fields(admin, "/console/settings/notice", fields)
    assert response.status_code == 422, response.text[-2000:]
    assert "no purpose with this code" in error_of(response.text, "f-en-categories-note-purposes")
    # Each error in the summary at the top links to the field (or group) it concerns.
    summary = response.text[response.text.index('class="error-summary"') :]
    links = re.findall(r'href="#([^"]+)"', summary[: summary.index("</div>")])
    assert links
    for target in links:
        assert f'id="{target}"' in response.text, target
    # What was typed is kept.
    assert "Kund AB" in response.text
    # Errors about a whole language or a whole row are shown there, and linked.
    document["en"]["categories"]["note"]["purposes"] = ["customer-service"]
    document["sv"]["transfers_outside_eea"] = True  # but no transfer listed
    document["sv"]["transfers"] = []
    interest = next(p for p in document["en"]["purposes"] if "legitimate_interest" in p)
    interest.pop("legitimate_interest")
    fields = [*notice_form(document), ("version", ""), ("action", "preview")]
    response = post_fields(admin, "/console/settings/notice", fields)
    assert response.status_code == 422
    assert "transfers_outside_eea" in error_of(response.text, "f-sv")
    row = document["en"]["purposes"].index(interest)
    assert "legitimate_interest" in error_of(response.text, f"f-en-purposes-{row}")
    summary = response.text[response.text.index('class="error-summary"') :]
    for target in re.findall(r'href="#([^"]+)"', summary[: summary.index("</div>")]):
        assert f'id="{target}"' in response.text, target
    assert api.get("/v1/privacy-notice", scopes=["admin"]).status_code == 404
    assert actions(api) == []


def test_notice_preview_changes_nothing(console_client: Callable[..., Console], api: Api) -> None:
    admin = console_client(scopes=ADMIN)
    document = copy.deepcopy(CARE_OF_NOTICE)
    document["en"]["controller"]["name"] = "Preview Only AB"
    fields = [*notice_form(document), ("version", ""), ("action", "preview")]
    response = post_fields(admin, "/console/settings/notice", fields)
    assert response.status_code == 200
    assert 'id="preview-title"' in response.text and "Preview Only AB" in response.text
    assert api.get("/v1/privacy-notice", scopes=["admin"]).status_code == 404
    assert actions(api) == []


def test_notice_published_meanwhile_is_not_overwritten(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN)
    fields = notice_form(copy.deepcopy(CARE_OF_NOTICE))
    first = post_fields(
        admin, "/console/settings/notice", [*fields, ("version", ""), ("action", "publish")]
    )
    assert first.status_code == 303
    # A second form read before version 1 existed: publishing it would overwrite unseen.
    stale = post_fields(
        admin, "/console/settings/notice", [*fields, ("version", ""), ("action", "publish")]
    )
    assert stale.status_code == 428  # publishing over a version the form never showed
    assert "Someone else changed this" in stale.text
    assert api.get("/v1/privacy-notice", scopes=["admin"]).json()["version"] == 1


def test_notice_version_page_names_what_changed(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=ADMIN)
    document = copy.deepcopy(CARE_OF_NOTICE)
    assert (
        post_fields(
            admin,
            "/console/settings/notice",
            [*notice_form(document), ("version", ""), ("action", "publish")],
        ).status_code
        == 303
    )
    document["en"]["dpo"]["contact"] = "privacy@kund.example"
    assert (
        post_fields(
            admin,
            "/console/settings/notice",
            [*notice_form(document), ("version", "1"), ("action", "publish")],
        ).status_code
        == 303
    )
    page = admin.get("/console/settings/notice/versions/2")
    assert page.status_code == 200
    assert "<code>en.dpo.contact</code>" in page.text
    overview = admin.get("/console/settings/notice")
    assert "1 fields changed" in overview.text
    assert admin.get("/console/settings/notice/versions/9").status_code == 404


# --------------------------------------------------------------------------- tenants


def test_another_tenant_sees_nothing_of_these_settings(
    console_client: Callable[..., Console], api: Api, other_api: Api
) -> None:
    mine = console_client(scopes=ADMIN)
    assert mine.post("/console/settings/retention/rules", _ip_rule()).status_code == 303
    created = mine.post(
        "/console/settings/recipients",
        {"name": "crm-mine", "url": "https://127.0.0.1:9/h", "event_types": "subject.erased"},
    )
    recipient_path = created.headers["location"]
    fields = [*notice_form(copy.deepcopy(CARE_OF_NOTICE)), ("version", ""), ("action", "publish")]
    assert post_fields(mine, "/console/settings/notice", fields).status_code == 303

    theirs = console_client(scopes=ADMIN, tenant=other_api.tenant, actor="other-admin")
    assert theirs.get(recipient_path).status_code == 404
    assert "crm-mine" not in theirs.get("/console/settings/recipients").text
    assert theirs.get("/console/settings/retention/rules/ip-12-months").status_code == 404
    assert "/rules/ip-12-months" not in theirs.get("/console/settings/retention").text
    assert theirs.post("/console/settings/retention/rules/ip-12-months/delete").status_code == 404
    recipient_id = recipient_path.rsplit("/", 1)[1]
    assert theirs.post(f"/console/settings/recipients/{recipient_id}/deactivate").status_code == 404
    assert "No privacy notice is published." in theirs.get("/console/settings/notice").text
    assert theirs.get("/console/settings/notice/versions/1").status_code == 404
    # Nothing of theirs changed ours.
    assert api.get("/v1/recipients", scopes=["admin"]).json()["items"][0]["active"] is True
    assert audit_rows(other_api.engine, other_api.tenant) == []


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_text_is_translated_in_both_languages(
    console_client: Callable[..., Console], lang: str
) -> None:
    person = console_client(scopes=[*ADMIN, "audit:read"], lang=lang)
    pages = [
        person.get(path)
        for path in [*PAGES, "/console/settings/notice?start=template", "/console/audit"]
    ]
    fields = [*notice_form(copy.deepcopy(CARE_OF_NOTICE)), ("version", ""), ("action", "preview")]
    pages.append(post_fields(person, "/console/settings/notice", fields))
    pages.append(person.post("/console/settings/tenant", {"version": "0", "time_zone": "x"}))
    for page in pages:
        assert page.status_code in (200, 422), page.text[-1000:]
        assert f'<html lang="{lang}">' in page.text
        text = re.sub(r"<[^>]+>", " ", page.text)
        untranslated = re.findall(r"\b(?:settings|audit)\.[a-z_]+(?:\.[a-z_]+)*", text)
        assert untranslated == [], untranslated


def test_preview_reads_each_language_in_its_own_words(
    console_client: Callable[..., Console],
) -> None:
    person = console_client(scopes=ADMIN, lang="en")
    fields = [*notice_form(copy.deepcopy(CARE_OF_NOTICE)), ("version", ""), ("action", "preview")]
    page = post_fields(person, "/console/settings/notice", fields).text
    swedish = page[page.index('<article lang="sv"') : page.index('<article lang="en"')]
    assert "Varför vi behandlar uppgifterna" in swedish
    assert "Why we process the data" in page[page.index('<article lang="en"') :]


def _request(body: bytes) -> Any:
    from starlette.requests import Request

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/console/settings/notice",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        "state": {},
    }
    return Request(scope, receive)


def test_a_long_notice_is_not_cut_off_by_the_console_form_limit() -> None:
    """A real notice's form outgrows the console's usual 64 KiB (long Swedish texts);
    the notice form is read with its own limits (the service's body limit, 1 MiB by
    default, still applies first)."""
    import asyncio

    from app.console.errors import ConsoleBadRequest
    from app.console.forms import MAX_FORM_BYTES
    from app.console.notice_form import document_from_form, read_notice_form

    document = copy.deepcopy(CARE_OF_NOTICE)
    for lang in ("sv", "en"):
        for purpose in document[lang]["purposes"]:
            purpose["description"] = "Ändamålsbeskrivning för åtgärd. " * 100
    body = urlencode([*notice_form(document), ("action", "publish")]).encode()
    assert len(body) > MAX_FORM_BYTES
    form = asyncio.run(read_notice_form(_request(body)))
    parsed = document_from_form(form)
    assert parsed["sv"]["purposes"][0]["description"].startswith("Ändamålsbeskrivning")
    for refused in (body + b"&x=" + b"y" * 600_000, body + b"&x=%00", b"\xff=1"):
        try:
            asyncio.run(read_notice_form(_request(refused)))
        except ConsoleBadRequest:
            continue
        raise AssertionError("a form the console did not send was read")
