"""The privacy desk as a person uses it, in Chromium: sign in, find a subject, read its
access report and download its export, run an access request from receipt to answer,
extend one with reasons, erase a subject after reading the plan and see the held invoice
kept with its date, switch language. Every page reached passes axe; no console errors."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from app.notices.template import CARE_OF_NOTICE
from tests.conftest import CONTACT, INVOICE_2024, MEETING, NOTE
from tests.console.browser.conftest import Desk


def seed_person(desk: Desk, *records: dict[str, Any], email: str = "asa.oberg@example.se") -> str:
    api = desk.live.api(desk.tenant)
    body = {
        "emails": [email],
        "phones": ["070-123 45 67"],
        "records": [copy.deepcopy(r) for r in (records or (CONTACT, INVOICE_2024, NOTE))],
    }
    return str(api.post("/v1/subjects", body, status=201).json()["id"])


def publish_notice(desk: Desk) -> None:
    api = desk.live.api(desk.tenant)
    response = api.put("/v1/privacy-notice", copy.deepcopy(CARE_OF_NOTICE))
    assert response.status_code == 200, response.text


def open_request(desk: Desk, body: dict[str, Any]) -> str:
    api = desk.live.api(desk.tenant)
    return str(api.post("/v1/rights-requests", body, status=201).json()["id"])


def seed_queue(desk: Desk) -> None:
    """Other people's requests in the queue: overdue, due soon, awaiting verification."""
    api = desk.live.api(desk.tenant)
    for kind, channel, received, email in (
        ("erasure", "web", "2026-10-12T08:00:00Z", "per.persson@example.se"),
        ("rectification", "email", "2026-10-27T09:15:00Z", "karin.k@example.se"),
        ("objection", "phone", "2026-11-18T14:40:00Z", "lars.l@example.se"),
        ("portability", "api", "2026-11-23T10:05:00Z", "eva.e@example.se"),
    ):
        rid = open_request(
            desk,
            {
                "type": kind,
                "channel": channel,
                "received_at": received,
                "requester": {"emails": [email]},
            },
        )
        if kind != "portability":
            api.post(
                f"/v1/rights-requests/{rid}/verify",
                {"method": "email_confirmation", "verified_at": received},
                status=200,
            )


def test_sign_in_find_a_subject_and_take_its_documents(desk: Desk) -> None:
    sid = seed_person(desk)
    desk.sign_in()
    desk.follow("Subjects")
    desk.fill("Email address", "Asa.Oberg@example.se")
    desk.submit("Search")
    assert desk.path == f"/console/subjects/{sid}"  # the email never went into a URL
    text = desk.text()
    assert "asa.oberg@example.se" in text and "+46701234567" in text
    assert "Sales documents" in text and "F-2024-1" in text

    with desk.page.expect_download() as download:
        desk.page.get_by_role("link", name="Export (JSON)").click()
    exported = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert exported["subject_id"] == sid
    assert download.value.suggested_filename == f"subject-{sid}.json"

    desk.follow("Access report (English)")
    assert desk.path == f"/console/subjects/{sid}/access-report?lang=en"
    assert desk.page.locator("html").get_attribute("lang") == "en"
    assert "Storgatan 1" in desk.page.locator("body").inner_text()


def test_access_request_from_receipt_to_answer(desk: Desk) -> None:
    publish_notice(desk)
    sid = seed_person(desk, CONTACT, MEETING)
    seed_queue(desk)
    desk.sign_in()

    desk.follow("Record a new request")
    desk.field("Type").select_option("access")
    desk.field("Channel").select_option("letter")
    desk.fill("Received", "2026-11-24T09:30")
    desk.fill("Email addresses", "asa.oberg@example.se")
    desk.submit("Record")
    request_path = desk.path
    assert re.fullmatch(r"/console/requests/[0-9a-f-]{36}", request_path), request_path
    assert "The request is recorded." in desk.text()
    assert f"/console/subjects/{sid}" in desk.page.content()  # matched by the email

    desk.submit("Record verification")
    assert "The verification is recorded; the deadline runs." in desk.text()
    desk.screenshot("request")

    # The meeting names another person: release it to the requester after reading it.
    desk.submit("Save decision")
    assert "The decision is saved." in desk.text()
    assert "0 records await a decision" in desk.text()

    desk.field("Outcome").select_option("fulfilled")
    desk.submit("Complete the request")
    assert "The request is completed." in desk.text()

    # The answer, as it will be sent, then recorded as sent.
    answer = desk.page.locator("li", has_text="Answer:")
    with desk.page.expect_navigation():
        answer.get_by_role("link", name="preview in English").click()
    desk.check()
    assert "Answer (English)" in desk.text()
    desk.submit("Record as sent")
    assert "The letter is recorded as sent." in desk.text()
    timeline = desk.page.locator("ol.timeline").inner_text()
    for step in ("Received (Letter)", "Identity verified", "Completed: Fulfilled", "Answer"):
        assert step in timeline, timeline

    desk.follow("Queue")
    assert desk.path == "/console"
    desk.screenshot("queue")
    queue = desk.page.locator("table").inner_text()
    assert request_path not in desk.page.content()  # completed: no longer in the queue
    assert "Erasure" in queue and "Data portability" in queue


def test_extend_a_request_with_reasons(desk: Desk) -> None:
    sid = seed_person(desk)
    live = desk.live.api(desk.tenant)
    rid = open_request(
        desk,
        {
            "received_at": "2026-11-20T10:00:00Z",
            "type": "access",
            "subject_id": sid,
            "channel": "email",
        },
    )
    live.post(
        f"/v1/rights-requests/{rid}/verify",
        {"method": "email_confirmation", "verified_at": "2026-11-20T11:00:00Z"},
        status=200,
    )
    desk.sign_in()
    desk.goto(f"/console/requests/{rid}")
    before = live.get(f"/v1/rights-requests/{rid}").json()["due_at"]

    desk.fill("Reason", "")  # a reason is required (Art 12(3)): nothing changes without it
    desk.submit("Extend")
    assert live.get(f"/v1/rights-requests/{rid}").json()["extension_months"] == 0

    desk.field("Extension").select_option("2")
    desk.fill("Reason", "Many records in several systems to collect.")
    desk.submit("Extend")
    assert "The deadline is extended." in desk.text()
    after = live.get(f"/v1/rights-requests/{rid}").json()
    assert after["extension_months"] == 2 and after["due_at"] > before
    assert "Many records in several systems to collect." in desk.text()
    assert "Deadline extended by 2 mo." in desk.page.locator("ol.timeline").inner_text()


def test_erase_a_subject_after_reading_the_plan(desk: Desk) -> None:
    sid = seed_person(desk)
    desk.sign_in()
    desk.goto(f"/console/subjects/{sid}")
    desk.follow("Erase the subject …")
    assert desk.path == f"/console/subjects/{sid}/erasure"
    stays = desk.page.locator("table.plan-stays")
    assert "Bokföringslagen (1999:1078) 7 kap. 2 §" in stays.inner_text()
    assert "31 December 2031" in stays.inner_text()
    desk.screenshot("erasure-plan")

    # Without the word typed, nothing happens (the browser's own check holds the form).
    desk.page.get_by_label(re.compile("^I have read the plan")).check()
    desk.page.get_by_role("button", name="Erase the subject").click()
    assert desk.path == f"/console/subjects/{sid}/erasure"
    assert desk.live.api(desk.tenant).get(f"/v1/subjects/{sid}").json()["status"] == "active"

    desk.fill("Type ERASE to confirm", "ERASE")
    desk.submit("Erase the subject")
    assert "The subject is erased: 2 records erased, 1 kept." in desk.text()
    kept = desk.page.locator("table.plan-stays").inner_text()
    assert "Invoice F-2024-1" in kept and "31 December 2031" in kept

    desk.follow("Back to the subject")
    assert "Kept until 31 December 2031" in desk.text()
    assert "asa.oberg@example.se" not in desk.text()


def test_switch_language(desk: Desk) -> None:
    sid = seed_person(desk)
    desk.sign_in()
    desk.goto(f"/console/subjects/{sid}")
    assert desk.page.locator("html").get_attribute("lang") == "en"
    desk.submit("Svenska")
    assert desk.page.locator("html").get_attribute("lang") == "sv"
    assert desk.path == f"/console/subjects/{sid}"
    assert "Uppgifter per kategori" in desk.text()
    desk.follow("Personer")
    assert desk.page.get_by_role("heading", level=1).inner_text() == "Hitta en person"
    desk.submit("English")
    assert desk.page.locator("html").get_attribute("lang") == "en"


def test_keyboard_reaches_the_content_first(desk: Desk) -> None:
    desk.sign_in()
    desk.page.keyboard.press("Tab")
    skip = desk.page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    with desk.page.expect_navigation():
        desk.page.keyboard.press("Enter")
    desk.check()
    focused = desk.page.evaluate("document.activeElement.id")
    assert focused == "main"


def test_the_accessibility_check_finds_violations(desk: Desk) -> None:
    """The harness itself: axe fails a page with an unlabelled field and no language."""
    desk.page.set_content("<title>x</title><main><h1>x</h1><input type=text></main>")
    with pytest.raises(AssertionError, match="label"):
        desk.check()
    desk.unchecked.clear()
