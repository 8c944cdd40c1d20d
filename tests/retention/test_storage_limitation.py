"""Maximum retention (Art 5(1)(e)) purged automatically, on both databases: golden dates,
holds win, the preview equals the purge, tenant settings, isolation."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.erasure.service import PurgeReport, purge_once
from tests.conftest import (
    CONTACT,
    INVOICE_2024,
    NETWORK,
    NOTE,
    PERSONAL_VALUES,
    TEST_HASH_SECRET,
    TEST_JWT_SECRET,
    Api,
    FrozenClock,
)

IP_RULE = {
    "reference": "GDPR Art 5(1)(e); IT security log policy 2.3",
    "title_sv": "IP-adresser raderas tolv månader efter senaste användning.",
    "title_en": "IP addresses are deleted twelve months after last seen.",
    "category": "network",
    "action": "delete_after",
    "basis": "last_seen",
    "months": 12,
}


def network(last_seen: str) -> dict[str, Any]:
    record = copy.deepcopy(NETWORK)
    record["data"].update(first_seen=last_seen, last_seen=last_seen)
    return record


def invoice(day: str, number: str = "F-1", **extra: Any) -> dict[str, Any]:
    record = copy.deepcopy(INVOICE_2024)
    record["data"].update(date=day, number=number, **extra)
    return record


def purge(api: Api, now: datetime, *tenants: str) -> PurgeReport:
    """The purge job on `now`, limited to the test's tenant(s)."""
    return purge_once(
        api.engine, now=now, run_id=f"purge-{uuid.uuid4()}", tenants=[api.tenant, *tenants]
    )


def put_rule(api: Api, code: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.client.put(f"/v1/retention-rules/{code}", json=body, headers=api.headers())
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def preview_ids(api: Api) -> set[str]:
    body = api.get("/v1/purge-preview?limit=500").json()
    return {rid for group in body["groups"] for rid in group["record_ids"]}


def record_ids(api: Api, subject_id: str) -> set[str]:
    return {r["id"] for r in api.get(f"/v1/subjects/{subject_id}/records").json()["items"]}


@pytest.mark.clock("2026-01-15T12:00:00Z")
def test_ip_last_seen_golden_date(api: Api, clock: FrozenClock) -> None:
    """Last seen 2025-01-15, a 12-month maximum: purged on 2026-01-16 (Stockholm), not
    on 2026-01-15; the subject and its other records stay."""
    put_rule(api, "ip-12-months", IP_RULE)
    subject = api.create_subject(records=[network("2025-01-15T10:00:00Z"), CONTACT])
    sid = subject["id"]
    ip = next(
        r["id"]
        for r in api.get(f"/v1/subjects/{sid}/records").json()["items"]
        if r["category"] == "network"
    )

    fixed = api.patch(f"/v1/records/{ip}", json={"data": {"context": "api"}})
    assert fixed.status_code == 200, fixed.text
    history = api.row_counts()["record_history"]
    assert history == 1

    clock.set("2026-01-15T22:59:59Z")  # 23:59:59 on 15 January in Stockholm
    assert api.get("/v1/purge-preview").json()["groups"] == []
    assert purge(api, clock()).purged == 0

    clock.set("2026-01-15T23:00:00Z")  # 00:00 on 16 January in Stockholm
    preview = api.get("/v1/purge-preview").json()
    assert preview["records"] == 1
    assert preview["groups"] == [
        {
            "category": "network",
            "reason": "maximum_retention",
            "rule": "ip-12-months",
            "reference": IP_RULE["reference"],
            "records": 1,
            "record_ids": [ip],
        }
    ]
    done = purge(api, clock())
    assert (done.purged, done.subjects) == (1, {(api.tenant, uuid.UUID(sid))})
    assert api.get(f"/v1/records/{ip}").status_code == 404
    assert api.row_counts()["record_history"] == 0  # its history went with it
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    assert [r["category"] for r in api.get(f"/v1/subjects/{sid}/records").json()["items"]] == [
        "contact"
    ]
    events = api.get("/v1/audit-events?action=record.expire").json()["items"]
    assert [(e["subject_id"], e["items"], e["actor"]) for e in events] == [
        (sid, 1, "system:purge:ip-12-months")
    ]
    text = str(api.get("/v1/audit-events?limit=500").json())
    assert not [value for value in PERSONAL_VALUES if value in text]
    assert api.get("/v1/purge-preview").json()["groups"] == []


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_tenant_financial_year_keeps_an_invoice_until_2032(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    """BFL 7 kap. 2 §: FY ending 04-30, invoice of 2024-06-10 → held until 2032-12-31. The
    setting is the tenant's: another tenant's same invoice is held until 2031-12-31."""
    settings = api.client.put(
        "/v1/tenant-settings", json={"financial_year_end": "04-30"}, headers=api.headers(["admin"])
    )
    assert settings.status_code == 200, settings.text
    for client, until in ((api, "2032-12-31"), (other_api, "2031-12-31")):
        subject = client.create_subject(records=[invoice("2024-06-10")])
        access = client.get(f"/v1/subjects/{subject['id']}/access-report").json()
        dated = [r for c in access["retention"] for r in c["records"]]
        assert [(r["rule"], r["until"]) for r in dated] == [("se-bfl-7-2", until)]
        report = client.post(f"/v1/subjects/{subject['id']}/erasure").json()
        assert [k["until"] for k in report["kept"]] == [until]
    # An own financial year on the document wins over the tenant's.
    own = api.create_subject(records=[invoice("2024-06-10", financial_year_end="2024-08-31")])
    kept = api.post(f"/v1/subjects/{own['id']}/erasure").json()["kept"]
    assert [k["until"] for k in kept] == ["2031-12-31"]


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_tenant_settings_defaults_validation_etag_and_isolation(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    admin = api.headers(["admin"])
    first = api.client.get("/v1/tenant-settings", headers=admin)
    assert first.status_code == 200 and first.headers["ETag"] == '"0"'
    assert first.json() == {
        "time_zone": "Europe/Stockholm",
        "financial_year_end": "12-31",
        "verification_required": True,
        "rights_request_retention_months": 36,
        "third_party_review_categories": ["note", "meeting"],
        "version": 0,
        "is_default": True,
    }
    assert api.get("/v1/tenant-settings", scopes=["rights:read"]).status_code == 403
    for bad in (
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "../../etc/passwd"},
        {"time_zone": ""},
        {"financial_year_end": "02-30"},
        {"financial_year_end": "13-01"},
        {"financial_year_end": "00-10"},
        {"financial_year_end": "4-30"},
        {"financial_year_end": "04-31"},
        {"financial_year_end": "2025-04-30"},
        {"verification_required": "yes"},
        {"colour": "blue"},
    ):
        response = api.client.put("/v1/tenant-settings", json=bad, headers=admin)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    body = {
        "time_zone": "Europe/Helsinki",
        "financial_year_end": "02-29",
        "verification_required": False,
    }
    stale = api.client.put("/v1/tenant-settings", json=body, headers={**admin, "If-Match": '"3"'})
    assert stale.status_code == 412
    put = api.client.put("/v1/tenant-settings", json=body, headers={**admin, "If-Match": '"0"'})
    assert put.status_code == 200 and put.headers["ETag"] == '"1"'
    assert put.json() == {
        **body,
        "rights_request_retention_months": 36,  # omitted: its default
        "third_party_review_categories": ["note", "meeting"],
        "version": 1,
        "is_default": False,
    }
    again = api.client.put("/v1/tenant-settings", json=body, headers={**admin, "If-Match": '"0"'})
    assert again.status_code == 412
    assert api.get("/v1/tenant-settings").json()["time_zone"] == "Europe/Helsinki"
    assert other_api.get("/v1/tenant-settings").json()["is_default"] is True
    events = api.get("/v1/audit-events?action=tenant_settings.replace").json()["items"]
    assert [e["outcome"] for e in events].count("success") == 1  # refusals are audited too


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_rules_are_validated_and_the_template_is_listed(api: Api, clock: FrozenClock) -> None:
    listed = {r["code"]: r for r in api.get("/v1/retention-rules").json()["items"]}
    bfl, template = listed["se-bfl-7-2"], listed["se-preskription-2"]
    assert (bfl["action"], bfl["basis"], bfl["years"], bfl["months"], bfl["active"]) == (
        "keep",
        "financial_year_end",
        7,
        0,
        True,
    )
    assert (template["action"], template["basis"], template["years"], template["active"]) == (
        "keep",
        "document_date",
        10,
        False,
    )
    assert template["reference"] == "Preskriptionslag (1981:130) 2 §"
    for bad in (
        {**IP_RULE, "category": "note"},  # last_seen is for network records
        {**IP_RULE, "basis": "document_date"},  # document dates are sales documents'
        {**IP_RULE, "basis": "financial_year_end"},
        {**IP_RULE, "months": 0},
        {**IP_RULE, "months": -1},
        {**IP_RULE, "kinds": ["invoice"]},  # kinds are for sales documents
        {**IP_RULE, "action": "archive"},
        {**IP_RULE, "basis": "birthday"},
    ):
        response = api.client.put(
            "/v1/retention-rules/bad-rule", json=bad, headers=api.headers(["admin"])
        )
        assert response.status_code == 422, bad
    # Enabling the template: copy it under an own code.
    copied = {k: template[k] for k in template if k not in ("code", "built_in")}
    own = put_rule(api, "claims-10-years", {**copied, "active": True})
    assert (own["built_in"], own["active"], own["basis"]) == (False, True, "document_date")
    assert (
        api.client.put(
            "/v1/retention-rules/se-preskription-2",
            json={**copied, "active": True},
            headers=api.headers(["admin"]),
        ).status_code
        == 409
    )
    # An order that is no verification: not Bokföringslagen's, only the claims rule holds it.
    subject = api.create_subject(records=[invoice("2020-03-15", kind="order")])
    kept = api.post(f"/v1/subjects/{subject['id']}/erasure").json()["kept"]
    assert [(k["until"], [h["id"] for h in k["holds"]]) for k in kept] == [
        ("2030-03-15", ["claims-10-years"])
    ]
    # A maximum on every basis that fits.
    for basis, category in (
        ("created_at", "note"),
        ("relationship_end", "contact"),
        ("document_date", "sales_document"),
        ("financial_year_end", "sales_document"),
    ):
        put_rule(
            api, f"max-{basis.replace('_', '-')}", {**IP_RULE, "category": category, "basis": basis}
        )


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_holds_win_over_a_maximum(api: Api, clock: FrozenClock) -> None:
    """A legal hold keeps a network record past its maximum; Bokföringslagen keeps an
    invoice under a maximum for sales documents until its own end."""
    put_rule(api, "ip-12-months", IP_RULE)
    put_rule(
        api,
        "docs-1-year",
        {**IP_RULE, "category": "sales_document", "basis": "document_date", "months": 12},
    )
    subject = api.create_subject(
        records=[
            network("2025-01-15T10:00:00Z"),
            invoice("2024-06-10"),
            invoice("2024-06-10", number="Q-1", kind="quote"),
        ]
    )
    sid = subject["id"]
    records = {
        r["data"].get("kind", r["category"]): r["id"]
        for r in api.get(f"/v1/subjects/{sid}/records").json()["items"]
    }
    hold = api.post(
        "/v1/legal-holds", json={"record_id": records["network"], "reason": "Incident 2025-17"}
    ).json()
    preview = api.get("/v1/purge-preview").json()
    assert preview["held_past_maximum"] == 2  # the held IP address and the invoice
    assert preview_ids(api) == {records["quote"]}
    done = purge(api, clock())
    assert (done.purged, done.held_past_maximum) == (1, 2)
    assert record_ids(api, sid) == {records["network"], records["invoice"]}

    api.post(f"/v1/legal-holds/{hold['id']}/release")
    assert preview_ids(api) == {records["network"]}
    assert purge(api, clock()).purged == 1

    clock.set("2031-12-31T22:59:59Z")  # BFL keeps the invoice through 2031-12-31
    assert purge(api, clock()).purged == 0
    clock.set("2031-12-31T23:00:00Z")  # 2032-01-01 in Stockholm
    assert preview_ids(api) == {records["invoice"]}
    assert purge(api, clock()).purged == 1
    assert record_ids(api, sid) == set()


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_the_preview_equals_what_the_purge_deletes(api: Api, clock: FrozenClock) -> None:
    # On the machine's day: `created_at` is when the records are really stored.
    start = clock.set(datetime.now(UTC))
    put_rule(api, "ip-12-months", IP_RULE)
    put_rule(
        api, "notes-1-month", {**IP_RULE, "category": "note", "basis": "created_at", "months": 1}
    )
    active = [
        api.create_subject(records=[network("2025-01-15T10:00:00Z"), NOTE, CONTACT])
        for _ in range(3)
    ]
    yesterday = (start - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    young = api.create_subject(records=[network(yesterday)])
    erased = api.create_subject(records=[invoice("2018-06-01"), invoice("2024-03-15")])
    hold = api.post("/v1/legal-holds", json={"subject_id": erased["id"], "reason": "Case"})
    api.post(f"/v1/subjects/{erased['id']}/erasure")
    api.post(f"/v1/legal-holds/{hold.json()['id']}/release")
    clock.set(start + timedelta(days=62))  # the notes are past their month
    before = {s["id"]: record_ids(api, s["id"]) for s in [*active, young, erased]}
    expected = preview_ids(api)
    assert len(expected) == 3 * 2 + 1  # every IP and note of the active subjects; the 2018 invoice
    done = purge(api, clock())
    after = {s["id"]: record_ids(api, s["id"]) for s in [*active, young, erased]}
    deleted = set().union(*before.values()) - set().union(*after.values())
    assert deleted == expected
    assert done.purged == len(expected)
    assert {str(rid) for g in done.groups.values() for rid in g.record_ids} == expected
    assert preview_ids(api) == set()


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_another_tenants_rules_and_settings_never_apply(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    put_rule(other_api, "ip-1-month", {**IP_RULE, "months": 1})
    other_api.client.put(
        "/v1/tenant-settings",
        json={"time_zone": "Pacific/Kiritimati"},
        headers=other_api.headers(["admin"]),
    )
    mine = api.create_subject(records=[network("2025-01-15T10:00:00Z")])
    theirs = other_api.create_subject(records=[network("2025-01-15T10:00:00Z")])
    assert api.get("/v1/purge-preview").json()["groups"] == []
    assert [g["rule"] for g in other_api.get("/v1/purge-preview").json()["groups"]] == [
        "ip-1-month"
    ]
    done = purge(api, clock(), other_api.tenant)
    assert done.purged == 1
    assert len(record_ids(api, mine["id"])) == 1
    assert record_ids(other_api, theirs["id"]) == set()
    assert api.get("/v1/tenant-settings").json()["time_zone"] == "Europe/Stockholm"
    # A foreign subject's relationship end is not found.
    assert (
        other_api.client.put(
            f"/v1/subjects/{mine['id']}/relationship-end",
            json={"ended_on": "2026-01-31"},
            headers=other_api.headers(),
        ).status_code
        == 404
    )


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_relationship_end_golden_dates(api: Api, clock: FrozenClock) -> None:
    """Contact details 24 months after the relationship ended (2026-03-31): kept through
    2028-03-31, purged on 2028-04-01."""
    put_rule(
        api,
        "contacts-24-months",
        {**IP_RULE, "category": "contact", "basis": "relationship_end", "months": 24},
    )
    subject = api.create_subject(records=[CONTACT])
    sid = subject["id"]
    clock.set("2029-01-01T12:00:00Z")
    assert preview_ids(api) == set()  # the relationship lasts: no maximum runs
    clock.set("2026-11-25T12:00:00Z")
    url = f"/v1/subjects/{sid}/relationship-end"
    assert (
        api.client.put(
            url, json={"ended_on": "2026-03-31"}, headers=api.headers(["subjects:read"])
        ).status_code
        == 403
    )
    assert (
        api.client.put(url, json={"ended_on": "31/03/2026"}, headers=api.headers()).status_code
        == 422
    )
    put = api.client.put(url, json={"ended_on": "2026-03-31"}, headers=api.headers())
    assert put.status_code == 200, put.text
    assert put.json()["ended_on"] == "2026-03-31"
    events = api.get("/v1/audit-events?action=subject.relationship_end.set").json()["items"]
    assert [e["subject_id"] for e in events if e["outcome"] == "success"] == [sid]

    clock.set("2028-03-31T21:59:59Z")  # 23:59:59 on 31 March in Stockholm (summer time)
    assert purge(api, clock()).purged == 0
    clock.set("2028-03-31T22:00:00Z")
    assert len(preview_ids(api)) == 1
    assert api.delete(url).status_code == 204  # the relationship resumed
    assert preview_ids(api) == set()
    assert api.delete(url).status_code == 404
    api.client.put(url, json={"ended_on": "2026-03-31"}, headers=api.headers())
    assert purge(api, clock()).purged == 1
    assert record_ids(api, sid) == set()


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_a_hold_counted_from_the_relationship_end_cannot_be_shortened(
    api: Api, clock: FrozenClock
) -> None:
    put_rule(
        api,
        "keep-contacts",
        {
            **IP_RULE,
            "category": "contact",
            "action": "keep",
            "basis": "relationship_end",
            "months": 24,
        },
    )
    subject = api.create_subject(records=[CONTACT])
    url = f"/v1/subjects/{subject['id']}/relationship-end"
    assert (
        api.client.put(url, json={"ended_on": "2026-06-30"}, headers=api.headers()).status_code
        == 200
    )
    assert (
        api.client.put(url, json={"ended_on": "2026-01-31"}, headers=api.headers()).status_code
        == 409
    )
    assert (
        api.client.put(url, json={"ended_on": "2026-09-30"}, headers=api.headers()).status_code
        == 200
    )
    contact = next(iter(record_ids(api, subject["id"])))
    assert api.delete(f"/v1/records/{contact}").status_code == 409  # held until 2028-09-30
    report = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    assert [k["until"] for k in report["kept"]] == ["2028-09-30"]
    assert (
        api.client.put(url, json={"ended_on": "2026-12-31"}, headers=api.headers()).status_code
        == 410
    )


@pytest.mark.clock
def test_purge_dry_run_prints_the_preview_and_changes_nothing(api: Api, database_url: str) -> None:
    """`privacy-api purge --dry-run` (on the machine's clock) lists what would go, by id."""
    put_rule(api, "ip-12-months", IP_RULE)
    long_ago = (datetime.now(UTC) - timedelta(days=800)).isoformat().replace("+00:00", "Z")
    subject = api.create_subject(records=[network(long_ago), CONTACT])
    before = api.row_counts()
    env = {
        **os.environ,
        "PRIVACY_DATABASE_URL": database_url,
        "PRIVACY_ENVIRONMENT": "test",
        "PRIVACY_JWT_SECRET": TEST_JWT_SECRET,
        "PRIVACY_HASH_SECRET": TEST_HASH_SECRET,
    }
    command = [sys.executable, "-m", "app.cli", "purge", "--dry-run", "--tenant", api.tenant]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert printed["dry_run"] is True and printed["records"] == 1
    groups = printed["tenants"][api.tenant]["groups"]
    assert [(g["category"], g["rule"], g["records"]) for g in groups] == [
        ("network", "ip-12-months", 1)
    ]
    assert set(groups[0]["record_ids"]) == preview_ids(api)
    assert not [value for value in PERSONAL_VALUES if value in run.stdout]
    assert api.row_counts() == before
    assert len(record_ids(api, subject["id"])) == 2
    with api.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM audit_event WHERE tenant_id = :t AND actor LIKE "
                    "'system:purge%'"
                ),
                {"t": api.tenant},
            ).scalar_one()
            == 0
        )


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_recipients_are_told_of_expired_records_with_ids_only(
    api: Api, other_api: Api, clock: FrozenClock
) -> None:
    """Art 19 as for an erasure: the tenant's recipients (not another tenant's) learn
    which records the purge deleted past their maximum, by id."""
    for client in (api, other_api):
        created = client.post(
            "/v1/recipients",
            json={
                "name": "crm",
                "url": "http://127.0.0.1:9/hooks",
                "event_types": ["record.expired"],
            },
            scopes=["admin"],
        )
        assert created.status_code == 201, created.text
    put_rule(api, "ip-12-months", IP_RULE)
    subject = api.create_subject(records=[network("2025-01-15T10:00:00Z"), CONTACT])
    expected = preview_ids(api)
    assert purge(api, clock(), other_api.tenant).purged == 1
    (delivery,) = api.get("/v1/deliveries", scopes=["admin"]).json()["items"]
    payload = delivery["payload"]
    assert (payload["type"], payload["subject_id"]) == ("record.expired", subject["id"])
    assert (set(payload["record_ids"]), payload["rules"]) == (expected, ["ip-12-months"])
    assert not [value for value in PERSONAL_VALUES if value in str(payload)]
    assert other_api.get("/v1/deliveries", scopes=["admin"]).json()["items"] == []


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_an_erasure_ends_the_relationship(api: Api, clock: FrozenClock) -> None:
    """Without a recorded end, the day of the erasure (Stockholm) is the relationship's
    end: a hold of 24 months from it keeps the contact until 2028-11-25."""
    put_rule(
        api,
        "keep-contacts",
        {
            **IP_RULE,
            "category": "contact",
            "action": "keep",
            "basis": "relationship_end",
            "months": 24,
        },
    )
    subject = api.create_subject(records=[CONTACT])
    dry = api.post(f"/v1/subjects/{subject['id']}/erasure?dry_run=true").json()
    report = api.post(f"/v1/subjects/{subject['id']}/erasure").json()
    assert (
        [k["until"] for k in dry["kept"]] == [k["until"] for k in report["kept"]] == ["2028-11-25"]
    )
    clock.set("2028-11-25T22:59:59Z")
    assert purge(api, clock()).purged == 0
    clock.set("2028-11-25T23:00:00Z")
    assert purge(api, clock()).purged == 1


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_a_new_financial_year_cannot_shorten_a_hold(api: Api, clock: FrozenClock) -> None:
    admin = api.headers(["admin"])
    api.create_subject(records=[invoice("2010-06-10"), invoice("2024-03-15", number="F-2")])
    # Held invoices whose year the change does not move (2024-03-15: the year ends in 2024
    # either way), and ones no longer held: allowed.
    to_may_april = {"financial_year_end": "04-30"}
    assert (
        api.client.put("/v1/tenant-settings", json=to_may_april, headers=admin).status_code == 200
    )
    api.create_subject(records=[invoice("2024-06-10", number="F-3")])  # held until 2032-12-31
    back = api.client.put(
        "/v1/tenant-settings", json={"financial_year_end": "12-31"}, headers=admin
    )
    assert back.status_code == 409, back.text
    assert "1 held record" in back.json()["detail"]
    assert api.get("/v1/tenant-settings").json()["financial_year_end"] == "04-30"
    # Allowed once the hold the setting gave has ended.
    clock.set("2032-12-31T12:00:00Z")
    assert (
        api.client.put(
            "/v1/tenant-settings", json={"financial_year_end": "12-31"}, headers=admin
        ).status_code
        == 409
    )
    clock.set("2033-01-01T12:00:00Z")
    assert (
        api.client.put(
            "/v1/tenant-settings", json={"financial_year_end": "12-31"}, headers=admin
        ).status_code
        == 200
    )
