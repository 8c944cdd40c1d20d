"""The audit log page: the tenant's events newest first, filtered by GET parameters
that hold ids and codes only, a page at a time; `audit:read` as the API; nothing of
another tenant."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape

from app.audit.service import record_event
from app.core.db import tenant_session
from tests.conftest import Api
from tests.console.conftest import DESK_SCOPES, Console

READER = ["audit:read"]
SUBJECT = uuid.UUID("01900000-0000-7000-8000-000000000001")
REQUEST = uuid.UUID("01900000-0000-7000-8000-000000000002")


def add_events(api: Api, count: int, *, action: str = "test.event", **fields: object) -> None:
    """`count` events straight into the tenant's trail, one minute apart from 2026-03-01
    10:00 UTC, each numbered by `items` (1 is the oldest)."""
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    with tenant_session(api.engine, api.tenant) as session:
        for n in range(1, count + 1):
            event = record_event(
                session,
                actor=str(fields.get("actor", "crm-sync")),
                action=action,
                request_id=str(fields.get("request_id", f"req-{n}")),
                status_code=int(str(fields.get("status_code", 200))),
                subject_id=fields.get("subject_id"),  # type: ignore[arg-type]
                rights_request_id=fields.get("rights_request_id"),  # type: ignore[arg-type]
                items=n,
            )
            event.at = fields.get("at") or start + timedelta(minutes=n)  # type: ignore[assignment]
        session.commit()


def rows(html: str) -> list[str]:
    """The table's rows as text."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    if body is None:
        return []
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def numbers(html: str) -> list[int]:
    return [int(m) for row in rows(html) for m in re.findall(r"\((\d+) items\)", row)]


def test_events_newest_first_a_page_at_a_time(
    console_client: Callable[..., Console], api: Api
) -> None:
    add_events(api, 55)
    reader = console_client(scopes=READER)
    first = reader.get("/console/audit?action=test.event")
    assert first.status_code == 200
    assert numbers(first.text) == list(range(55, 5, -1))
    assert first.text.count("<h1") == 1
    next_url = unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))  # type: ignore[union-attr]
    assert "action=test.event" in next_url and "cursor=" in next_url
    second = reader.get(next_url)
    assert numbers(second.text) == [5, 4, 3, 2, 1]
    assert 'rel="next"' not in second.text
    assert 'href="/console/audit?action=test.event"' in second.text  # back to the newest


def test_filters_by_action_actor_outcome_ids_and_days(
    console_client: Callable[..., Console], api: Api
) -> None:
    add_events(api, 2, action="subject.create", actor="crm-sync")
    add_events(api, 1, action="subject.erase", actor="dpo-anna", subject_id=SUBJECT)
    add_events(api, 1, action="rights_request.extend", rights_request_id=REQUEST)
    add_events(api, 1, action="subject.erase", request_id="call-42", status_code=409)
    # 23:30 UTC on 1 March is already 2 March in Stockholm, the tenant's time zone.
    add_events(api, 1, action="late.event", at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    reader = console_client(scopes=READER)

    def shown(query: str) -> list[str]:
        response = reader.get(f"/console/audit?{query}")
        assert response.status_code == 200, response.text[-1000:]
        return rows(response.text)

    assert len(shown("action=subject.create")) == 2
    assert all("dpo-anna" in row for row in shown("actor=dpo-anna")) and shown("actor=dpo-anna")
    assert len(shown(f"subject_id={SUBJECT}")) == 1
    assert len(shown(f"rights_request_id={REQUEST}")) == 1
    assert [("409" in row) for row in shown("request_id=call-42")] == [True]
    assert len(shown("outcome=rejected")) == 1
    assert [row for row in shown("from=2026-03-02&to=2026-03-02") if "late.event" in row]
    assert len(shown("from=2026-03-02&to=2026-03-02")) == 1
    assert len(shown("to=2026-03-01")) == 5
    assert shown("action=subject.erase&actor=nobody") == []
    # The filter form keeps what was asked.
    page = reader.get("/console/audit?action=subject.erase&outcome=rejected")
    assert 'value="subject.erase"' in page.text
    assert '<option value="rejected" selected>' in page.text


def test_invalid_filters_are_a_400_with_the_reason_at_the_field(
    console_client: Callable[..., Console], api: Api
) -> None:
    add_events(api, 1)
    reader = console_client(scopes=READER)
    for query, field_id in [
        ("subject_id=not-a-uuid", "f-subject-id"),
        ("rights_request_id=123", "f-rights-request-id"),
        ("from=2026-13-01", "f-from"),
        ("from=2026-03-02&to=2026-03-01", "f-to"),
        ("outcome=maybe", "f-outcome"),
    ]:
        response = reader.get(f"/console/audit?{query}")
        assert response.status_code == 400, query
        assert f'id="{field_id}-error"' in response.text, query
        assert rows(response.text) == []
    assert reader.get("/console/audit?cursor=!!").status_code == 400
    too_long = reader.get("/console/audit?action=" + "a" * 65)
    assert too_long.status_code == 400


def test_audit_needs_audit_read(console_client: Callable[..., Console]) -> None:
    for scopes in (DESK_SCOPES, ["admin"], ["admin", *DESK_SCOPES]):
        assert console_client(scopes=scopes).get("/console/audit").status_code == 403
    assert console_client(scopes=["audit:read"]).get("/console/audit").status_code == 200


def test_another_tenant_sees_none_of_these_events(
    console_client: Callable[..., Console], api: Api, other_api: Api
) -> None:
    add_events(api, 3, action="ours.only", subject_id=SUBJECT)
    theirs = console_client(scopes=READER, tenant=other_api.tenant)
    for query in ("", "action=ours.only", f"subject_id={SUBJECT}"):
        page = theirs.get(f"/console/audit?{query}")
        assert page.status_code == 200
        assert "ours.only" not in "".join(rows(page.text))
        assert str(SUBJECT) not in page.text.replace(f'value="{SUBJECT}"', "")


def test_a_console_change_reads_in_the_log_with_the_person_as_actor(
    console_client: Callable[..., Console], api: Api
) -> None:
    admin = console_client(scopes=["admin", "audit:read"], actor="dpo-anna")
    saved = admin.post(
        "/console/settings/tenant",
        {"version": "0", "time_zone": "UTC", "financial_year_end": "12-31"},
    )
    assert saved.status_code == 303
    shown = rows(admin.get("/console/audit?actor=dpo-anna").text)
    assert len(shown) == 1
    assert "tenant_settings.replace" in shown[0] and "success" in shown[0]
    # The API reads the same event.
    events = api.get("/v1/audit-events?actor=dpo-anna", scopes=["audit:read"]).json()["items"]
    assert [e["action"] for e in events] == ["tenant_settings.replace"]
