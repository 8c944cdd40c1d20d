"""The notice at collection (Art 13/14): recorded with its history, and who is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.collection.service import notice_due_at
from tests.conftest import CONTACT, INVOICE_2024, NOTE, PERSONAL_VALUES, Api, FrozenClock
from tests.notices.helpers import publish, publish_template, template_document


@pytest.fixture(autouse=True)
def published(api: Api) -> None:
    """The tenant has published versions 1 and 2 of its notice."""
    first = publish_template(api)
    again = publish(api, template_document(), if_match=f'"{first["version"]}"')
    assert again.status_code == 200, again.text


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def give(api: Api, sid: str, **body: Any) -> Any:
    body = {"channel": "email", "given_at": "2026-11-25T11:00:00Z", "notice_version": 1, **body}
    return api.post(f"/v1/subjects/{sid}/notice-given", json=body, scopes=["subjects:write"])


def due(api: Api, query: str = "limit=500") -> list[dict[str, Any]]:
    response = api.get(f"/v1/notices/due?{query}", scopes=["rights:read"])
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("collected", "due_at"),
    [
        ("2026-01-31T10:00:00+00:00", "2026-02-28T10:00:00+00:00"),  # no 31 February
        ("2028-01-31T10:00:00+00:00", "2028-02-29T10:00:00+00:00"),  # leap year
        ("2026-03-15T08:30:00+00:00", "2026-04-15T08:30:00+00:00"),
        ("2026-12-31T23:00:00+00:00", "2027-01-31T23:00:00+00:00"),  # over the year end
    ],
)
def test_due_one_calendar_month_after_collection(collected: str, due_at: str) -> None:
    assert notice_due_at(when(collected)) == when(due_at)


def test_notice_given_is_recorded_with_its_history(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(records=[CONTACT])
    sid = subject["id"]
    assert subject["notice_given_at"] is None

    first = give(api, sid, given_at="2026-11-25T11:00:00+01:00")
    assert first.status_code == 201, first.text
    entry = first.json()
    assert entry["subject_id"] == sid
    assert (entry["channel"], entry["notice_version"]) == ("email", 1)
    assert when(entry["given_at"]) == when("2026-11-25T10:00:00Z")
    assert entry["recorded_by"] == api.sub
    shown = api.get(f"/v1/subjects/{sid}").json()
    assert when(shown["notice_given_at"]) == when("2026-11-25T10:00:00Z")
    assert shown["version"] > subject["version"]

    # A later version of the notice, sent after it changed: history, not a new first date.
    later = give(api, sid, channel="letter", given_at="2026-11-25T11:30:00Z", notice_version=2)
    assert later.status_code == 201
    assert when(api.get(f"/v1/subjects/{sid}").json()["notice_given_at"]) == when(
        "2026-11-25T10:00:00Z"
    )
    # The same notice recorded again (a retry) is the same event.
    again = give(api, sid, channel="letter", given_at="2026-11-25T11:30:00Z", notice_version=2)
    assert again.status_code == 201
    assert again.json()["id"] == later.json()["id"]
    # An earlier notice recorded late becomes the first.
    earlier = give(api, sid, channel="in_person", given_at="2026-11-24T09:00:00Z")
    assert earlier.status_code == 201
    assert when(api.get(f"/v1/subjects/{sid}").json()["notice_given_at"]) == when(
        "2026-11-24T09:00:00Z"
    )

    history = api.get(f"/v1/subjects/{sid}/notices-given", scopes=["rights:read"])
    assert history.status_code == 200
    items = history.json()["items"]
    assert [(i["channel"], i["notice_version"]) for i in items] == [
        ("email", 1),
        ("letter", 2),
        ("in_person", 1),
    ]
    page = api.get(f"/v1/subjects/{sid}/notices-given?limit=2", scopes=["rights:read"]).json()
    assert len(page["items"]) == 2 and page["next_cursor"]

    events = api.get("/v1/audit-events?limit=500", scopes=["audit:read"]).json()["items"]
    given = [e for e in events if e["action"] == "subject.notice_given"]
    assert [e["status_code"] for e in given] == [201, 201, 201, 201]
    assert all(e["subject_id"] == sid and e["outcome"] == "success" for e in given)


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "fax"},
        {"notice_version": 0},
        {"notice_version": -1},
        {"notice_version": 2**31},
        {"notice_version": 1.5},
        {"notice_version": True},
        {"given_at": "2026-11-25T11:00:00"},  # no offset
        {"given_at": "2026-11-25"},
        {"given_at": 1764068400},
        {"given_at": "9999-12-31T23:59:59-14:00"},
        {"extra": 1},
    ],
)
def test_invalid_notice_is_refused(api: Api, clock: FrozenClock, body: dict[str, Any]) -> None:
    sid = api.create_subject()["id"]
    response = give(api, sid, **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"/v1/subjects/{sid}").json()["notice_given_at"] is None


def test_only_a_published_notice_version_can_have_been_given(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    sid = api.create_subject()["id"]
    response = give(api, sid, notice_version=3)  # versions 1 and 2 are published
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"loc": ["body", "notice_version"], "msg": "not a published notice version"}
    ]
    # Another tenant's published versions are not this tenant's.
    foreign = other_api.create_subject()["id"]
    assert give(other_api, foreign).status_code == 422
    assert api.get(f"/v1/subjects/{sid}").json()["notice_given_at"] is None


def test_notice_given_in_the_future_is_refused(api: Api, clock: FrozenClock) -> None:
    sid = api.create_subject()["id"]
    future = (clock.now + timedelta(seconds=1)).isoformat()
    response = give(api, sid, given_at=future)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "given_at"]
    assert give(api, sid, given_at=clock.now.isoformat()).status_code == 201


def test_missing_fields_are_refused(api: Api) -> None:
    sid = api.create_subject()["id"]
    response = api.post(f"/v1/subjects/{sid}/notice-given", json={"channel": "email"})
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert locs == {("body", "given_at"), ("body", "notice_version")}


def test_erased_subject_answers_410(api: Api, clock: FrozenClock) -> None:
    sid = api.create_subject(records=[CONTACT])["id"]
    assert api.post(f"/v1/subjects/{sid}/erasure").status_code == 200
    assert give(api, sid).status_code == 410


def test_another_tenants_subject_is_not_found(api: Api, other_api: Api, clock: FrozenClock) -> None:
    sid = api.create_subject()["id"]
    assert give(other_api, sid).status_code == 404
    history = other_api.get(f"/v1/subjects/{sid}/notices-given", scopes=["rights:read"])
    assert history.status_code == 404
    assert due(other_api) == []
    assert [i["subject_id"] for i in due(api)] == [sid]
    assert api.get(f"/v1/subjects/{sid}").json()["notice_given_at"] is None


def test_scopes(api: Api, clock: FrozenClock) -> None:
    sid = api.create_subject()["id"]
    assert give(api, sid).status_code == 201
    wrong = api.post(
        f"/v1/subjects/{sid}/notice-given",
        json={"channel": "email", "given_at": "2026-01-01T00:00:00Z", "notice_version": 1},
        scopes=["subjects:read", "rights:write"],
    )
    assert wrong.status_code == 403
    assert api.get("/v1/notices/due", scopes=["subjects:read"]).status_code == 403
    assert api.get(f"/v1/subjects/{sid}/notices-given", scopes=["subjects:read"]).status_code == 403


def test_notices_due_oldest_first_with_golden_dates(api: Api, clock: FrozenClock) -> None:
    clock.set("2026-01-31T10:00:00Z")
    first = api.create_subject(records=[CONTACT])["id"]
    clock.set("2026-02-10T09:00:00Z")
    second = api.create_subject()["id"]  # no records: due from its creation
    clock.set("2026-03-31T23:30:00Z")
    third = api.create_subject(records=[NOTE])["id"]
    api.add_record(third, INVOICE_2024)  # a later record does not move the date

    clock.set("2026-02-28T10:00:00Z")
    items = due(api)
    assert [i["subject_id"] for i in items] == [first, second, third]
    assert [(when(i["collected_at"]), when(i["due_at"]), i["overdue"]) for i in items] == [
        (when("2026-01-31T10:00:00Z"), when("2026-02-28T10:00:00Z"), False),
        (when("2026-02-10T09:00:00Z"), when("2026-03-10T09:00:00Z"), False),
        (when("2026-03-31T23:30:00Z"), when("2026-04-30T23:30:00Z"), False),
    ]
    clock.set("2026-02-28T10:00:01Z")
    assert [i["overdue"] for i in due(api)] == [True, False, False]

    # A page at a time, with the shared cursor.
    page = api.get("/v1/notices/due?limit=2", scopes=["rights:read"]).json()
    assert [i["subject_id"] for i in page["items"]] == [first, second]
    rest = api.get(
        f"/v1/notices/due?limit=2&cursor={page['next_cursor']}", scopes=["rights:read"]
    ).json()
    assert [i["subject_id"] for i in rest["items"]] == [third]
    assert rest["next_cursor"] is None
    assert api.get("/v1/notices/due?limit=0", scopes=["rights:read"]).status_code == 422
    assert api.get("/v1/notices/due?cursor=%%%", scopes=["rights:read"]).status_code == 400

    # Informed: off the list. Erased: off the list.
    assert give(api, first, given_at="2026-02-20T12:00:00Z").status_code == 201
    assert api.post(f"/v1/subjects/{third}/erasure").status_code == 200
    assert [i["subject_id"] for i in due(api)] == [second]


def test_notices_due_hold_no_personal_data(api: Api, clock: FrozenClock) -> None:
    api.create_subject(emails=["asa.oberg@example.se"], records=[CONTACT, NOTE])
    listed = api.get("/v1/notices/due", scopes=["rights:read"]).text
    for value in PERSONAL_VALUES:
        assert value not in listed
