"""The settings and the audit log in Chromium: an administrator reaches every settings
page, changes a setting, and reads their own changes back in the audit log; a person at
the desk is shown neither. Every page reached passes axe; no console errors."""

from __future__ import annotations

import copy

from tests.conftest import CONTACT
from tests.console.browser.conftest import Desk


def test_administrator_visits_every_settings_page_and_the_audit_log(desk: Desk) -> None:
    api = desk.live.api(desk.tenant)
    body = {"emails": ["asa.oberg@example.se"], "records": [copy.deepcopy(CONTACT)]}
    sid = api.post("/v1/subjects", body, status=201).json()["id"]
    desk.sign_in(role="privacy-admin")
    desk.follow("Settings")
    assert desk.path == "/console/settings"
    for title, path in (
        ("Privacy notice", "/console/settings/notice"),
        ("Retention rules", "/console/settings/retention"),
        ("Recipients", "/console/settings/recipients"),
        ("Organisation settings", "/console/settings/tenant"),
    ):
        desk.goto("/console/settings")
        link = desk.page.get_by_role("link", name=title, exact=False).first
        with desk.page.expect_navigation():
            link.click()
        desk.check()
        assert desk.path == path, (title, desk.path)

    desk.fill("Last day of the financial year", "06-30")
    desk.submit("Save")
    assert "The settings are saved." in desk.text()
    assert api.get("/v1/tenant-settings").json()["financial_year_end"] == "06-30"

    desk.goto(f"/console/subjects/{sid}")
    restriction = desk.page.get_by_role("region", name="Restriction of processing (Art 18)")
    restriction.get_by_label("Reason").fill("Accuracy contested")
    desk.submit("Restrict processing")
    assert "Processing is restricted." in desk.text()

    desk.follow("Audit log")
    log = desk.page.locator("main table").inner_text()
    assert "subject.restrict" in log and "tenant_settings.replace" in log
    assert "Accuracy contested" not in desk.page.content()  # ids and codes only


def test_desk_role_sees_no_settings(desk: Desk) -> None:
    desk.sign_in(role="privacy-desk")
    assert desk.page.get_by_role("link", name="Settings").count() == 0
    desk.goto("/console/settings")
    assert desk.page.get_by_role("heading", level=1).inner_text() == "Access denied"
