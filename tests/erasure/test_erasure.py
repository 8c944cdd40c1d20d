"""Erasure checked against retention holds, and the purge that follows."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.erasure.service import PurgeReport, purge_once
from tests.conftest import (
    CONTACT,
    INVOICE_2024,
    MEETING,
    NETWORK,
    NOTE,
    PERSONAL_VALUES,
    Api,
    FrozenClock,
)

INVOICE_2018 = copy.deepcopy(INVOICE_2024)
INVOICE_2018["data"].update(number="F-2018-7", date="2018-06-01")
QUOTE = copy.deepcopy(INVOICE_2024)
QUOTE["data"].update(kind="quote", number="Q-1")

# The service's clock (the `clock` fixture) stands here: the 2024 invoice is kept until
# 2031-12-31, the 2018 one no longer.
pytestmark = pytest.mark.clock("2026-11-25T12:00:00Z")


def purge(api: Api, now: datetime) -> PurgeReport:
    """The purge job on `now`, limited to the test's tenant."""
    return purge_once(api.engine, now=now, run_id=f"purge-{uuid.uuid4()}", tenants=[api.tenant])


def rows(api: Api, table: str, subject_id: str) -> int:
    sid = uuid.UUID(subject_id)
    with api.engine.connect() as conn:
        return conn.execute(
            sa.text(f"SELECT count(*) FROM {table} WHERE subject_id = :s"),
            {"s": sid.hex if api.engine.dialect.name == "sqlite" else sid},
        ).scalar_one()


def full_subject(api: Api) -> tuple[str, dict[str, str]]:
    subject = api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["070-123 45 67"],
        external_refs=[{"system": "crm", "id": "C-1001"}],
    )
    ids = {}
    for name, record in (
        ("contact", CONTACT),
        ("note", NOTE),
        ("meeting", MEETING),
        ("invoice_2024", INVOICE_2024),
        ("invoice_2018", INVOICE_2018),
        ("quote", QUOTE),
        ("network", NETWORK),
    ):
        ids[name] = api.add_record(subject["id"], record)["id"]
    return subject["id"], ids


def test_full_scenario_dry_run_erase_purge(api: Api, clock: FrozenClock) -> None:
    sid, ids = full_subject(api)
    api.patch(f"/v1/records/{ids['contact']}", json={"data": {"title": "CEO"}})
    before = api.row_counts()

    dry = api.post(f"/v1/subjects/{sid}/erasure?dry_run=true")
    assert dry.status_code == 200, dry.text
    plan = dry.json()
    assert plan["dry_run"] is True
    assert [k["id"] for k in plan["kept"]] == [ids["invoice_2024"]]
    after_dry = api.row_counts()
    assert {k: v for k, v in after_dry.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }
    assert after_dry["audit_event"] == before["audit_event"] + 1

    response = api.post(f"/v1/subjects/{sid}/erasure")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "erased" and report["dry_run"] is False
    assert report["kept"] == [
        {
            "id": ids["invoice_2024"],
            "category": "sales_document",
            "until": "2031-12-31",
            "holds": [
                {
                    "kind": "statutory",
                    "id": "se-bfl-7-2",
                    "reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
                    "until": "2031-12-31",
                }
            ],
        }
    ]
    assert sorted(e["id"] for e in report["erased"]) == sorted(
        v for k, v in ids.items() if k != "invoice_2024"
    )
    assert report["counts"] == {"erased": 6, "kept": 1}
    # Checked with SQL: only the 2024 invoice is left, restricted; history gone.
    assert rows(api, "record", sid) == 1
    assert rows(api, "record_history", sid) == 0
    assert rows(api, "subject_identifier", sid) == 0
    with api.engine.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT restricted, kept_until FROM record WHERE tenant_id = :t"),
            {"t": api.tenant},
        ).one()
    assert bool(kept[0]) is True and str(kept[1]) == "2031-12-31"

    # Afterwards: writes 410, processing reads do not serve it, the report is stable.
    assert api.post(f"/v1/subjects/{sid}/records", json=NOTE).status_code == 410
    assert (
        api.patch(f"/v1/records/{ids['invoice_2024']}", json={"data": {"number": "X"}}).status_code
        == 410
    )
    assert api.get(f"/v1/records/{ids['invoice_2024']}").status_code == 423
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "erased"
    again = api.post(f"/v1/subjects/{sid}/erasure")
    assert again.status_code == 200 and again.json()["kept"] == report["kept"]
    access = api.get(f"/v1/subjects/{sid}/access-report").json()
    assert [r["id"] for r in access["records"]] == [ids["invoice_2024"]]
    assert access["subject"]["emails"] == []
    assert access["erasure"]["kept"] == report["kept"]

    # Purge on 2031-12-31 keeps it; on 2032-01-01 it goes, leaving a tombstone. The days
    # are the tenant's (Europe/Stockholm, UTC+1 in winter).
    assert purge(api, datetime(2031, 12, 31, 22, 59, 59, tzinfo=UTC)).purged == 0
    purged = purge(api, datetime(2031, 12, 31, 23, 0, tzinfo=UTC))
    assert (purged.examined, purged.purged, purged.still_held) == (1, 1, 0)
    assert purged.subjects == {(api.tenant, uuid.UUID(sid))}
    assert rows(api, "record", sid) == 0
    assert rows(api, "external_ref", sid) == 0
    final = api.post(f"/v1/subjects/{sid}/erasure").json()
    assert final["kept"] == [] and final["counts"] == {"erased": 7, "kept": 0}
    events = api.get("/v1/audit-events?action=record.purge").json()["items"]
    assert [(e["subject_id"], e["items"], e["actor"]) for e in events] == [(sid, 1, "system:purge")]
    text = str(api.get("/v1/audit-events?limit=500").json())
    for value in PERSONAL_VALUES:
        assert value not in text


def test_legal_hold_keeps_everything_until_released(api: Api, clock: FrozenClock) -> None:
    sid, ids = full_subject(api)
    hold = api.post(
        "/v1/legal-holds",
        json={"subject_id": sid, "reason": "Dispute T 1-26"},
        scopes=["holds:write"],
    )
    assert hold.status_code == 201, hold.text
    report = api.post(f"/v1/subjects/{sid}/erasure").json()
    assert report["erased"] == []
    assert len(report["kept"]) == 7
    assert all(k["until"] is None for k in report["kept"] if k["id"] != ids["invoice_2024"])
    assert any(
        h["kind"] == "legal" and h["id"] == hold.json()["id"] and h["until"] is None
        for k in report["kept"]
        for h in k["holds"]
    )
    held = purge(api, clock())
    assert (held.examined, held.purged, held.still_held) == (7, 0, 7)
    released = api.post(f"/v1/legal-holds/{hold.json()['id']}/release", scopes=["holds:write"])
    assert released.status_code == 200 and released.json()["active"] is False
    assert api.post(f"/v1/legal-holds/{hold.json()['id']}/release").status_code == 409
    released_purge = purge(api, clock())
    # The 2024 invoice is still under BFL 7:2, until a date: not even a candidate.
    assert (released_purge.examined, released_purge.purged) == (6, 6)
    assert rows(api, "record", sid) == 1
    assert api.post(f"/v1/subjects/{sid}/erasure").json()["kept"][0]["id"] == ids["invoice_2024"]


def test_record_hold_blocks_delete_and_purge(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(records=[NOTE])
    note = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    hold = api.post(
        "/v1/legal-holds", json={"record_id": note["id"], "reason": "Authority request"}
    )
    assert hold.json()["subject_id"] == subject["id"]
    deleted = api.delete(f"/v1/records/{note['id']}")
    assert deleted.status_code == 409
    assert api.get(f"/v1/records/{note['id']}").status_code == 200
    invoice = api.add_record(subject["id"], INVOICE_2024)
    assert api.delete(f"/v1/records/{invoice['id']}").status_code == 409  # BFL 7:2
    quote = api.add_record(subject["id"], QUOTE)
    assert api.delete(f"/v1/records/{quote['id']}").status_code == 204
    assert api.get(f"/v1/records/{quote['id']}").status_code == 404
    listed = api.get(f"/v1/legal-holds?subject_id={subject['id']}").json()["items"]
    assert [h["id"] for h in listed] == [hold.json()["id"]]


def test_objection_survives_erasure(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(emails=["asa.oberg@example.se"], records=[CONTACT])
    api.post(f"/v1/subjects/{subject['id']}/marketing-objection")
    api.post(f"/v1/subjects/{subject['id']}/erasure")
    api.create_subject(emails=["Asa.Oberg@example.se"])
    check = api.post(
        "/v1/marketing/check",
        json={"emails": ["asa.oberg@example.se"], "subject_ids": [subject["id"]]},
    )
    assert [(r["allowed"], r["reason"]) for r in check.json()["results"]] == [
        (False, "objection"),
        (False, "objection"),
    ]


def test_erasure_racing_record_writes_leaves_nothing_unheld(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(records=[CONTACT])
    results: list[int] = []

    def writer() -> None:
        for _ in range(10):
            results.append(api.post(f"/v1/subjects/{subject['id']}/records", json=NOTE).status_code)

    thread = threading.Thread(target=writer)
    thread.start()
    erasure = api.post(f"/v1/subjects/{subject['id']}/erasure")
    thread.join()
    assert erasure.status_code == 200
    assert set(results) <= {201, 410}
    assert rows(api, "record", subject["id"]) == 0  # notes are never held


def test_erasure_errors_and_scopes(api: Api, other_api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject()
    url = f"/v1/subjects/{subject['id']}/erasure"
    assert api.post(url, scopes=["subjects:write"]).status_code == 403
    assert other_api.post(url).status_code == 404
    assert (
        other_api.post(
            "/v1/legal-holds", json={"subject_id": subject["id"], "reason": "x"}
        ).status_code
        == 404
    )
    assert api.post("/v1/legal-holds", json={"reason": "x"}).status_code == 422
    assert (
        api.post(
            "/v1/legal-holds",
            json={"subject_id": subject["id"], "reason": "x"},
            scopes=["rights:write"],
        ).status_code
        == 403
    )
    assert api.get(f"/v1/subjects/{subject['id']}").json()["status"] == "active"


def test_concurrent_erasures_answer_the_same_report(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(records=[CONTACT, INVOICE_2024, NOTE])
    answers: list[object] = []

    def erase() -> None:
        response = api.post(f"/v1/subjects/{subject['id']}/erasure")
        answers.append((response.status_code, response.json()["kept"], response.json()["counts"]))

    threads = [threading.Thread(target=erase) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 3 and all(a == answers[0] for a in answers)
    assert answers[0][0] == 200  # type: ignore[index]
    assert rows(api, "record", subject["id"]) == 1


def test_foreign_tenant_cannot_touch_holds_or_records(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    subject = api.create_subject(records=[NOTE])
    note = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]
    hold = api.post("/v1/legal-holds", json={"subject_id": subject["id"], "reason": "x"}).json()
    assert other_api.post(f"/v1/legal-holds/{hold['id']}/release").status_code == 404
    assert other_api.get(f"/v1/legal-holds?subject_id={subject['id']}").json()["items"] == []
    assert other_api.delete(f"/v1/records/{note['id']}").status_code == 404
    assert (
        other_api.post("/v1/legal-holds", json={"record_id": note["id"], "reason": "x"}).status_code
        == 404
    )
    assert other_api.post(f"/v1/subjects/{subject['id']}/erasure?dry_run=true").status_code == 404
    assert (
        api.get(f"/v1/legal-holds?subject_id={subject['id']}").json()["items"][0]["active"] is True
    )


ORDER_RULE = {
    "reference": "Customer contract section 12",
    "title_sv": "Order bevaras i tio år enligt avtal.",
    "title_en": "Orders are kept for ten years under the contract.",
    "category": "sales_document",
    "kinds": ["order"],
    "years": 10,
}


def test_tenant_rules_are_data_changeable_under_admin(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    builtin = api.client.put(
        "/v1/retention-rules/se-bfl-7-2", json=ORDER_RULE, headers=api.headers(["admin"])
    )
    assert builtin.status_code == 409
    for bad in (
        {**ORDER_RULE, "years": 0},
        {**ORDER_RULE, "category": "note"},
        {**ORDER_RULE, "kinds": ["receipt"]},
        {**ORDER_RULE, "verification_kinds": ["invoice"]},
    ):
        response = api.client.put(
            "/v1/retention-rules/contract-orders", json=bad, headers=api.headers(["admin"])
        )
        assert response.status_code == 422, bad
    assert (
        api.client.put(
            "/v1/retention-rules/contract-orders",
            json=ORDER_RULE,
            headers=api.headers(["rights:write"]),
        ).status_code
        == 403
    )
    put = api.client.put(
        "/v1/retention-rules/contract-orders", json=ORDER_RULE, headers=api.headers(["admin"])
    )
    assert put.status_code == 200, put.text
    assert put.json()["built_in"] is False
    codes = {r["code"]: r["built_in"] for r in api.get("/v1/retention-rules").json()["items"]}
    assert codes == {"se-bfl-7-2": True, "se-preskription-2": True, "contract-orders": False}
    assert [r["code"] for r in other_api.get("/v1/retention-rules").json()["items"]] == [
        "se-bfl-7-2",
        "se-preskription-2",
    ]

    order = copy.deepcopy(INVOICE_2024)
    order["data"].update(kind="order", number="O-1")  # not a verification: BFL does not hold it
    subject = api.create_subject(records=[order, NOTE])
    report = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    assert [(k["category"], k["until"], k["holds"][0]["id"]) for k in report["kept"]] == [
        ("sales_document", "2034-12-31", "contract-orders")
    ]
    same = other_api.create_subject(records=[order])
    assert other_api.post(f"/v1/subjects/{same['id']}/erasure").json()["kept"] == []
    assert api.delete("/v1/retention-rules/contract-orders", scopes=["admin"]).status_code == 204
    assert api.delete("/v1/retention-rules/se-bfl-7-2", scopes=["admin"]).status_code == 409
    assert api.delete("/v1/retention-rules/contract-orders", scopes=["admin"]).status_code == 404


def test_a_hold_placed_after_erasure_survives_the_purge(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(records=[INVOICE_2024, NOTE])
    report = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    invoice = report["kept"][0]["id"]
    hold = api.post("/v1/legal-holds", json={"record_id": invoice, "reason": "Tax audit"}).json()
    assert purge(api, datetime(2032, 1, 1, tzinfo=UTC)).still_held == 1
    assert rows(api, "record", subject["id"]) == 1  # statutory date passed, legal hold holds
    current = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    assert {h["kind"] for h in current["kept"][0]["holds"]} == {"statutory", "legal"}
    api.post(f"/v1/legal-holds/{hold['id']}/release")
    assert purge(api, datetime(2032, 1, 1, tzinfo=UTC)).purged == 1
    assert rows(api, "record", subject["id"]) == 0


def test_recipients_are_told_of_the_erasure_with_ids_only(api: Api, clock: FrozenClock) -> None:
    api.post(
        "/v1/recipients",
        json={"name": "crm", "url": "http://127.0.0.1:9/hooks", "event_types": ["subject.erased"]},
        scopes=["admin"],
    )
    subject = api.create_subject(records=[CONTACT, INVOICE_2024])
    report = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    (delivery,) = api.get("/v1/deliveries", scopes=["admin"]).json()["items"]
    payload = delivery["payload"]
    assert payload["type"] == "subject.erased" and payload["subject_id"] == subject["id"]
    assert payload["erased_record_ids"] == [e["id"] for e in report["erased"]]
    assert payload["kept_record_ids"] == [k["id"] for k in report["kept"]]
    for value in PERSONAL_VALUES:
        assert value not in str(payload)


def test_kept_records_of_several_days_and_a_legal_hold_are_kept_set_based(
    api: Api, clock: FrozenClock
) -> None:
    """Kept records are updated one statement per distinct day: each gets its own day,
    its version goes up once, and nothing else of the subject is left or touched."""
    subject = api.create_subject()
    sid = subject["id"]
    kept: dict[str, str | None] = {}
    for year in (2023, 2024, 2024, 2025):
        invoice = copy.deepcopy(INVOICE_2024)
        invoice["data"]["date"] = f"{year}-03-15"
        kept[api.add_record(sid, invoice)["id"]] = f"{year + 7}-12-31"
    held_note = api.add_record(sid, NOTE)["id"]
    hold = api.post(
        "/v1/legal-holds",
        json={"record_id": held_note, "reason": "Dispute"},
        scopes=["holds:write"],
    )
    assert hold.status_code == 201, hold.text
    kept[held_note] = None
    erased = {api.add_record(sid, NETWORK)["id"] for _ in range(5)}

    report = api.post(f"/v1/subjects/{sid}/erasure").json()
    assert {k["id"]: k["until"] for k in report["kept"]} == kept
    assert {e["id"] for e in report["erased"]} == erased
    with api.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT id, restricted, kept_until, version FROM record WHERE tenant_id = :t"),
            {"t": api.tenant},
        ).all()
    by_id = {str(uuid.UUID(str(row[0]))): row[1:] for row in stored}
    assert set(by_id) == set(kept)
    for record_id, until in kept.items():
        restricted, kept_until, version = by_id[record_id]
        assert bool(restricted) is True and version == 2
        assert (str(kept_until)[:10] if kept_until else None) == until
    # Still guarded: a kept invoice cannot be deleted.
    assert api.delete(f"/v1/records/{next(iter(kept))}").status_code in (409, 410)
