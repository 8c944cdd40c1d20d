"""Access report (Art 15) and portability (Art 20)."""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.core.ids import uuid7
from tests.conftest import (
    CONTACT,
    INVOICE_2024,
    MEETING,
    NETWORK,
    NOTE,
    ORGANISATION,
    Api,
    FrozenClock,
)
from tests.notices.helpers import publish_template

INVOICE_2018 = copy.deepcopy(INVOICE_2024)
INVOICE_2018["data"].update(number="F-2018-7", date="2018-06-01")
INVOICE_BROKEN_FY = copy.deepcopy(INVOICE_2024)
INVOICE_BROKEN_FY["data"].update(
    number="F-2024-9", date="2024-06-15", financial_year_end="2025-04-30"
)
QUOTE = copy.deepcopy(INVOICE_2024)
QUOTE["data"].update(kind="quote", number="Q-1")


@pytest.mark.clock("2026-11-25T12:00:00Z")
def test_access_report_has_every_record_and_every_art_15_item(api: Api, clock: FrozenClock) -> None:
    subject = api.create_subject(
        emails=["asa.oberg@example.se"],
        records=[
            CONTACT,
            ORGANISATION,
            NOTE,
            MEETING,
            NETWORK,
            INVOICE_2024,
            INVOICE_2018,
            INVOICE_BROKEN_FY,
            QUOTE,
        ],
    )
    sid = subject["id"]
    publish_template(api)
    api.post(f"/v1/subjects/{sid}/restriction", json={"reason": "contested"})
    response = api.get(f"/v1/subjects/{sid}/access-report?lang=en", scopes=["rights:read"])
    assert response.status_code == 200, response.text
    report = response.json()
    assert set(report) >= {
        "subject",
        "records",
        "controller",
        "purposes",
        "categories",
        "recipients",
        "retention",
        "sources",
        "transfers",
        "rights",
        "complaint",
        "automated_decision_making",
        "generated_at",
        "lang",
    }
    assert report["lang"] == "en"
    assert report["generated_at"] == "2026-11-25T12:00:00Z"
    assert len(report["records"]) == 9
    assert all(r["data"] for r in report["records"])  # restricted records included
    assert report["controller"]["name"] == "Care of"
    assert "Nyköping" in report["controller"]["address"]
    assert {c["category"]: c["records"] for c in report["categories"]} == {
        "contact": 1,
        "organisation": 1,
        "note": 1,
        "meeting": 1,
        "sales_document": 4,
        "network": 1,
    }
    assert "Integritetsskyddsmyndigheten" in report["complaint"]["authority"]
    assert report["automated_decision_making"]["used"] is False
    assert report["transfers"]["outside_eea"] is True
    assert report["notice_missing"] is False and report["notice_version"] == 1
    assert {r["article"] for r in report["rights"]} >= {
        "Art 15",
        "Art 16",
        "Art 17",
        "Art 18",
        "Art 21",
    }
    assert any(
        r["category"].startswith("Public authorities") for r in report["recipients"]["categories"]
    )
    assert {s["source"] for s in report["sources"]["systems"]} == {
        "crm",
        "staff",
        "calendar",
        "web",
        "billing",
    }
    sales = next(r for r in report["retention"] if r["category"] == "sales_document")
    dates = sorted((r["until"], r["reference"]) for r in sales["records"])
    # 2024 invoice: 2031-12-31; FY ending 2025-04-30: 2032-12-31; 2018 invoice's hold
    # ended 2025-12-31, before today; the quote is never held.
    assert dates == [
        ("2031-12-31", "Bokföringslagen (1999:1078) 7 kap. 2 §"),
        ("2032-12-31", "Bokföringslagen (1999:1078) 7 kap. 2 §"),
    ]
    swedish = api.get(f"/v1/subjects/{sid}/access-report?lang=sv").json()
    assert swedish["complaint"]["authority"] == "Integritetsskyddsmyndigheten (IMY)"
    assert api.get(f"/v1/subjects/{sid}/access-report?lang=de").status_code == 422


def test_export_json_and_csv(api: Api) -> None:
    subject = api.create_subject(
        emails=["asa.oberg@example.se"],
        phones=["070-123 45 67"],
        external_refs=[{"system": "crm", "id": "C-1001"}],
        records=[CONTACT, NOTE, MEETING, NETWORK],
    )
    sid = subject["id"]
    response = api.get(f"/v1/subjects/{sid}/export?format=json", scopes=["rights:read"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == f'attachment; filename="subject-{sid}.json"'
    document = response.json()
    assert document["subject_id"] == sid
    assert document["identifiers"]["phones"] == ["+46701234567"]
    assert document["identifiers"]["external_refs"] == [{"system": "crm", "id": "C-1001"}]
    # Provided and observed data only: the derived note is not portable.
    assert sorted(r["category"] for r in document["records"]) == ["contact", "meeting", "network"]
    assert next(r for r in document["records"] if r["category"] == "contact")["data"]["name"] == (
        "Åsa Öberg"
    )

    as_csv = api.get(f"/v1/subjects/{sid}/export?format=csv")
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["record_id", "category", "field", "value", "source", "origin", "created_at"]
    values = {(r[1], r[2]): r[3] for r in rows[1:]}
    assert values[("contact", "name")] == "Åsa Öberg"
    assert values[("contact", "address")] == "Storgatan 1, 611 32 Nyköping"  # commas quoted
    assert values[("meeting", "participants.1")] == "Per Persson"
    assert values[("identifier", "email")] == "asa.oberg@example.se"
    assert values[("identifier", "external_ref.crm")] == "C-1001"
    assert ("note", "text") not in values

    assert api.get(f"/v1/subjects/{sid}/export?format=xml").status_code == 422


def test_csv_quoting_of_awkward_values(api: Api) -> None:
    awkward = copy.deepcopy(NOTE)
    awkward["origin"] = "provided"
    awkward["data"]["text"] = 'He said "hej", then\nleft; 100,5 kr'
    subject = api.create_subject(records=[awkward])
    text = api.get(f"/v1/subjects/{subject['id']}/export?format=csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[-1][3] == 'He said "hej", then\nleft; 100,5 kr'


def _bulk_insert(api: Api, subject_id: str, count: int) -> set[str]:
    """Insert `count` records directly (as an import would), returning their ids."""
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    ids = []
    rows = []
    sqlite = api.engine.dialect.name == "sqlite"
    for i in range(count):
        rid = uuid7()
        ids.append(str(rid))
        data = {
            "ip": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-01-02T00:00:00Z",
        }
        rows.append(
            {
                "tenant_id": api.tenant,
                "id": rid.hex if sqlite else rid,
                "subject_id": uuid.UUID(subject_id).hex if sqlite else uuid.UUID(subject_id),
                "category": "network",
                "data": json.dumps(data),
                "source": "web",
                "origin": "observed",
                "restricted": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    data_sql = "CAST(:data AS JSONB)" if not sqlite else ":data"
    with api.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO record (tenant_id, id, subject_id, category, data, source, origin, "
                "restricted, version, created_at, updated_at) VALUES (:tenant_id, :id, "
                f":subject_id, :category, {data_sql}, :source, :origin, :restricted, :version, "
                ":created_at, :updated_at)"
            ),
            rows,
        )
    return set(ids)


def test_export_of_50000_records_is_complete_in_both_formats(api: Api) -> None:
    subject = api.create_subject()
    ids = _bulk_insert(api, subject["id"], 50_000)
    document = api.get(f"/v1/subjects/{subject['id']}/export?format=json").json()
    assert {r["id"] for r in document["records"]} == ids
    assert len(document["records"]) == 50_000
    text = api.get(f"/v1/subjects/{subject['id']}/export?format=csv").text
    rows = list(csv.reader(io.StringIO(text)))[1:]
    record_rows = [r for r in rows if r[1] == "network"]
    assert {r[0] for r in record_rows} == ids
    assert len(record_rows) == 50_000 * 3  # ip, first_seen, last_seen
