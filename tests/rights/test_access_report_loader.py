"""The access report reads the subject's records as plain rows, not as ORM objects (a
subject with 10,000 records is answered in a fraction of the time). Its answers must be
the very bytes the ORM path gave: each test asks for the report in JSON and HTML, in
both languages, once as served and once with the records loaded the ORM way, and
compares the bodies.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.rights import access
from app.subjects.models import Record
from app.subjects.schemas import RecordPublic
from tests.conftest import CONTACT, INVOICE_2024, NOTE, Api, FrozenClock
from tests.requests.test_review import decide, open_access, person_with_others_data
from tests.requests.test_rights_requests import no_verification
from tests.rights.test_access_report_html import full_subject

ACCEPTS = ["application/json", "text/html"]


def orm_records(session: Session, subject_id: uuid.UUID) -> list[RecordPublic]:
    """The records as the report read them before: ORM objects, each validated."""
    records = session.exec(
        select(Record).where(Record.subject_id == subject_id).order_by(col(Record.id))
    ).all()
    return [RecordPublic.model_validate(record) for record in records]


def answers(api: Api, url: str) -> list[bytes]:
    out = []
    for lang in ("sv", "en"):
        for accept in ACCEPTS:
            response = api.get(url, params={"lang": lang}, headers={"Accept": accept})
            assert response.status_code == 200, response.text
            out.append(response.content)
    return out


def assert_same_as_orm_path(api: Api, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    served = answers(api, url)
    with monkeypatch.context() as patched:
        patched.setattr(access, "_records", orm_records)
        reference = answers(api, url)
    for ours, theirs in zip(served, reference, strict=True):
        assert ours == theirs


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_every_category_restriction_rectification_hold_and_notice(
    api: Api, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = full_subject(api)
    records = api.get(f"/v1/subjects/{sid}/records?limit=100").json()["items"]
    assert len({r["category"] for r in records}) == 6
    note = next(r for r in records if r["category"] == "note")
    contact = next(r for r in records if r["category"] == "contact")
    rectified = api.patch(f"/v1/records/{contact['id']}", json={"data": {"title": "CEO"}})
    assert rectified.status_code == 200, rectified.text
    restricted = api.post(
        f"/v1/subjects/{sid}/restriction",
        json={"reason": "Accuracy contested", "record_ids": [note["id"]]},
    )
    assert restricted.status_code == 200, restricted.text
    hold = api.post("/v1/legal-holds", json={"subject_id": sid, "reason": "Case"})
    assert hold.status_code == 201, hold.text

    report = api.get(f"/v1/subjects/{sid}/access-report").json()
    assert {r["id"]: r["version"] for r in report["records"]}[contact["id"]] == 2
    assert [r["restricted"] for r in report["records"]].count(True) == 1
    assert report["objections"] and report["recipients"]["named"]
    assert [r["records"] for r in report["retention"] if r["records"]]
    assert_same_as_orm_path(api, monkeypatch, f"/v1/subjects/{sid}/access-report")


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_without_a_notice(api: Api, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = api.create_subject(records=[CONTACT, NOTE, INVOICE_2024])["id"]
    assert api.get(f"/v1/subjects/{sid}/access-report").json()["notice_missing"] is True
    assert_same_as_orm_path(api, monkeypatch, f"/v1/subjects/{sid}/access-report")


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_an_erased_subject_with_kept_records(
    api: Api, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = api.create_subject(records=[CONTACT, INVOICE_2024])["id"]
    assert api.post(f"/v1/subjects/{sid}/erasure").status_code == 200
    report = api.get(f"/v1/subjects/{sid}/access-report").json()
    assert report["erasure"]["kept"] and report["records"]
    assert_same_as_orm_path(api, monkeypatch, f"/v1/subjects/{sid}/access-report")


@pytest.mark.clock("2026-11-20T12:00:00Z")
def test_released_through_a_reviewed_request(
    api: Api, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_verification(api)
    held = person_with_others_data(api)
    sid = held["subject"]["id"]
    request = open_access(api, sid)
    meeting, note = held["meeting"]["id"], held["note"]["id"]
    redacted = decide(api, request, record_id=meeting, decision="redact", fields=["participants"])
    assert redacted.status_code == 200, redacted.text
    assert decide(api, request, record_id=note, decision="withhold").status_code == 200
    url = f"/v1/subjects/{sid}/access-report?rights_request_id={request['id']}"
    report = api.get(url).json()
    assert report["third_party_review"]["withheld_records"] == 1
    assert_same_as_orm_path(api, monkeypatch, url)


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_the_records_are_read_through_the_tenant_scope(
    api: Api, other_api: Api, clock: FrozenClock, engine: sa.Engine
) -> None:
    """The rows are read through the tenant session, so the one scoping hook adds the
    tenant to the statement (no filter of its own in the report)."""
    sid = api.create_subject(records=[CONTACT])["id"]
    other_api.create_subject(records=[CONTACT])
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM record" in statement and "record.data" in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        report = api.get(f"/v1/subjects/{sid}/access-report").json()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(report["records"]) == 1
    assert statements and all("record.tenant_id" in s for s in statements)
