"""The queue on golden dates: by due date, overdue and due within five working days
(Swedish calendar: Easter 2026 is 3-6 April) highlighted in words, counts and filters."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Api, FrozenClock
from tests.console.conftest import Console

pytestmark = pytest.mark.clock("2026-03-31T10:00:00+02:00")  # a Tuesday before Easter


def open_request(api: Api, received: str, **body: Any) -> str:
    body.setdefault("type", "access")
    body.setdefault("subject_id", api.create_subject()["id"])
    response = api.post("/v1/rights-requests", json={"received_at": received, **body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def golden(api: Api, clock: FrozenClock) -> dict[str, str]:
    settings = api.client.put(
        "/v1/tenant-settings", json={"verification_required": False}, headers=api.headers(["admin"])
    )
    assert settings.status_code == 200, settings.text
    ids = {
        # due 2026-03-20: overdue
        "overdue": open_request(api, "2026-02-20T09:00:00+01:00", type="erasure"),
        # due 2026-04-09: the fifth working day after 31 March (3 and 6 April are holidays)
        "due_soon": open_request(api, "2026-03-09T09:00:00+01:00", channel="letter"),
        # due 2026-04-10: the sixth
        "on_time": open_request(api, "2026-03-10T09:00:00+01:00"),
        # due 2026-04-02, but paused: information was asked of the person
        "paused": open_request(api, "2026-03-02T09:00:00+01:00"),
        "completed": open_request(api, "2026-03-01T09:00:00+01:00"),
    }
    asked = api.post(
        f"/v1/rights-requests/{ids['paused']}/request-information",
        json={"asked": "Which service?", "asked_at": "2026-03-20T10:00:00+01:00"},
    )
    assert asked.status_code == 200, asked.text
    done = api.post(
        f"/v1/rights-requests/{ids['completed']}/complete", json={"outcome": "fulfilled"}
    )
    assert done.status_code == 200, done.text
    return ids


def rows(html: str) -> list[tuple[str, str]]:
    """(request id, urgency) of each row, in order."""
    return re.findall(r'<tr class="urgency-(\w+)" data-request-id="([^"]+)"', html)[::1]


def test_queue_orders_by_due_date_and_highlights_in_words(
    console: Console, golden: dict[str, str]
) -> None:
    page = console.get("/console")
    assert page.status_code == 200
    found = [(rid, urgency) for urgency, rid in rows(page.text)]
    assert found == [
        (golden["overdue"], "overdue"),
        (golden["paused"], "paused"),
        (golden["due_soon"], "due_soon"),
        (golden["on_time"], "on_time"),
    ]
    assert golden["completed"] not in page.text
    # Not by colour alone: each row says it in words.
    assert ">Overdue</span>" in page.text
    assert "Due soon (5 working days left)" in page.text
    assert ">Paused</span>" in page.text
    counts = dict(
        (label.strip(), int(count))
        for count, label in re.findall(r'<span class="count">(\d+)</span>([^<]+)</li>', page.text)
    )
    assert counts == {
        "Not completed": 4,
        "Overdue": 1,
        "Due within 5 working days": 1,
        "Awaiting verification": 0,
        "Paused": 1,
    }


def test_queue_in_swedish_gives_the_dates_in_words(
    console_client: Any, golden: dict[str, str]
) -> None:
    page = console_client(lang="sv").get("/console")
    assert "20 mars 2026" in page.text and "9 april 2026" in page.text
    assert "Försenad" in page.text


def test_filters_take_enumerated_values_only(console: Console, golden: dict[str, str]) -> None:
    page = console.get("/console?type=erasure")
    assert [rid for _, rid in rows(page.text)] == [golden["overdue"]]
    page = console.get("/console?channel=letter")
    assert [rid for _, rid in rows(page.text)] == [golden["due_soon"]]
    page = console.get("/console?status=open&type=access")
    assert len(rows(page.text)) == 3
    assert console.get("/console?type=everything").status_code == 400
    assert console.get("/console?page=0").status_code == 400


def test_queue_is_paginated(api: Api, console: Console, clock: FrozenClock) -> None:
    subject = api.create_subject()["id"]
    for day in range(1, 28):
        open_request(api, f"2026-03-{day:02d}T09:00:00+01:00", subject_id=subject)
    first = console.get("/console")
    assert len(rows(first.text)) == 25
    assert 'href="/console?page=2"' in first.text
    second = console.get("/console?page=2")
    assert len(rows(second.text)) == 2
    assert "page=3" not in second.text


def test_queue_shows_only_the_tenants_requests(
    console: Console, other_api: Api, clock: FrozenClock
) -> None:
    foreign = open_request(other_api, "2026-03-20T09:00:00+01:00")
    assert foreign not in console.get("/console").text
