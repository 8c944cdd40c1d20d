"""The privacy desk as a person uses it, in Chromium: sign in, find a subject, erase one
after reading the plan, switch language."""

from __future__ import annotations

import copy

from tests.conftest import CONTACT, INVOICE_2024, NOTE
from tests.console.browser.conftest import Desk


def seed_person(desk: Desk) -> str:
    api = desk.live.api(desk.tenant)
    body = {
        "emails": ["asa.oberg@example.se"],
        "phones": ["070-123 45 67"],
        "records": [copy.deepcopy(r) for r in (CONTACT, INVOICE_2024, NOTE)],
    }
    return str(api.post("/v1/subjects", body, status=201).json()["id"])


def test_sign_in_and_find_a_subject(desk: Desk) -> None:
    sid = seed_person(desk)
    desk.sign_in()
    desk.follow("Subjects")
    desk.fill("Email address", "Asa.Oberg@example.se")
    desk.submit("Search")
    assert desk.path == f"/console/subjects/{sid}"
    text = desk.text()
    assert "asa.oberg@example.se" in text and "+46701234567" in text
    assert "Sales documents" in text
