"""Stored requests take the law's due dates on upgrade, and the former ones on downgrade."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from app.core.db import UTCDateTime, create_db_engine
from app.core.migrations import downgrade, upgrade

BEFORE = "b7d2e91c4f63"

rights_request = sa.table(
    "rights_request",
    sa.column("tenant_id", sa.String()),
    sa.column("id", sa.Uuid()),
    sa.column("type", sa.String()),
    sa.column("subject_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("received_at", UTCDateTime()),
    sa.column("due_at", UTCDateTime()),
    sa.column("extension_months", sa.Integer()),
    sa.column("created_at", UTCDateTime()),
    sa.column("version", sa.Integer()),
)
tenant_settings = sa.table(
    "tenant_settings",
    sa.column("tenant_id", sa.String()),
    sa.column("id", sa.Uuid()),
    sa.column("time_zone", sa.String()),
    sa.column("financial_year_end", sa.String()),
    sa.column("verification_required", sa.Boolean()),
    sa.column("version", sa.Integer()),
    sa.column("updated_at", UTCDateTime()),
    sa.column("updated_by", sa.String()),
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_stored_due_dates_are_recomputed(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = blank_database(backend, tmp_path_factory.mktemp("deadlines"))
    upgrade(url, BEFORE)
    engine = create_db_engine(url)
    # (tenant, received, extension months, former due_at, new due_at)
    cases = [
        ("se", "2026-01-30T09:00:00Z", 0, "2026-02-28T09:00:00Z", "2026-03-02T23:59:59+01:00"),
        ("se", "2025-12-31T23:30:00Z", 0, "2026-01-31T23:30:00Z", "2026-02-02T23:59:59+01:00"),
        ("se", "2026-01-31T09:00:00Z", 2, "2026-04-30T09:00:00Z", "2026-04-28T23:59:59+02:00"),
        ("ny", "2026-03-04T02:00:00Z", 0, "2026-04-04T02:00:00Z", "2026-04-07T23:59:59-04:00"),
    ]
    ids = [uuid.uuid4() for _ in cases]
    now = utc("2026-11-25T12:00:00Z")
    try:
        with engine.begin() as conn:
            conn.execute(
                tenant_settings.insert().values(
                    tenant_id="ny",
                    id=uuid.uuid4(),
                    time_zone="America/New_York",
                    financial_year_end="12-31",
                    verification_required=True,
                    version=1,
                    updated_at=now,
                    updated_by="admin",
                )
            )
            for row_id, (tenant, received, months, former, _) in zip(ids, cases, strict=True):
                conn.execute(
                    rights_request.insert().values(
                        tenant_id=tenant,
                        id=row_id,
                        type="access",
                        subject_id=uuid.uuid4(),
                        status="open",
                        received_at=utc(received),
                        due_at=utc(former),
                        extension_months=months,
                        created_at=now,
                        version=1,
                    )
                )

        def stored() -> dict[uuid.UUID, datetime]:
            with engine.connect() as conn:
                columns = [rights_request.c.id, rights_request.c.due_at]
                rows = conn.execute(sa.select(*columns)).all()
            return {row.id: row.due_at for row in rows}

        upgrade(url)
        with engine.connect() as conn:
            zones: dict[str, str] = dict(
                conn.execute(sa.text("SELECT tenant_id, time_zone FROM rights_request")).all()
            )
        assert zones == {"se": "Europe/Stockholm", "ny": "America/New_York"}
        after = stored()
        for row_id, case in zip(ids, cases, strict=True):
            assert after[row_id] == utc(case[4]), case

        downgrade(url, BEFORE)
        before = stored()
        for row_id, case in zip(ids, cases, strict=True):
            assert before[row_id] == utc(case[3]), case
    finally:
        engine.dispose()


def test_stored_requests_match_their_subject_and_requester_only_ones_go_on_downgrade(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = blank_database(backend, tmp_path_factory.mktemp("intake"))
    deadlines = "c4e8a1f3d902"
    upgrade(url, deadlines)
    engine = create_db_engine(url)
    now = utc("2026-11-25T12:00:00Z")
    stored, subject = uuid.uuid4(), uuid.uuid4()
    row = {
        "tenant_id": "se",
        "type": "access",
        "received_at": utc("2026-01-30T09:00:00Z"),
        "due_at": utc("2026-03-02T23:59:59+01:00"),
        "extension_months": 0,
        "created_at": now,
        "version": 1,
    }
    try:
        with engine.begin() as conn:
            conn.execute(
                rights_request.insert().values(id=stored, subject_id=subject, status="open", **row)
            )
        upgrade(url)
        with engine.begin() as conn:
            got = conn.execute(
                sa.text(
                    "SELECT channel, status, matched_subject_ids, requester, paused_days"
                    " FROM rights_request"
                )
            ).one()
            matched = got.matched_subject_ids
            if isinstance(matched, str):  # SQLite hands back the JSON text
                matched = json.loads(matched)
            assert (got.channel, got.status, got.requester, got.paused_days) == (
                "api",
                "open",
                None,
                0,
            )
            assert matched == [str(subject)]
            conn.execute(
                sa.text(
                    "INSERT INTO rights_request (tenant_id, id, type, subject_id, status,"
                    " received_at, due_at, extension_months, created_at, version, time_zone,"
                    " complaint_and_remedy_stated) SELECT tenant_id, :id, type, NULL,"
                    " 'awaiting_verification', received_at, due_at, extension_months,"
                    " created_at, version, time_zone, complaint_and_remedy_stated"
                    " FROM rights_request"
                ).bindparams(sa.bindparam("id", value=uuid.uuid4(), type_=sa.Uuid()))
            )
        downgrade(url, deadlines)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(rights_request.c.id, rights_request.c.status)).all()
        assert [(r.id, r.status) for r in rows] == [(stored, "open")]
    finally:
        engine.dispose()


def test_stored_settings_keep_requests_36_months_and_the_setting_goes_on_downgrade(
    backend: str, blank_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = blank_database(backend, tmp_path_factory.mktemp("request-retention"))
    upgrade(url, "e2f4a6c8b013")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                tenant_settings.insert().values(
                    tenant_id="se",
                    id=uuid.uuid4(),
                    time_zone="Europe/Stockholm",
                    financial_year_end="04-30",
                    verification_required=False,
                    version=3,
                    updated_at=utc("2026-11-25T12:00:00Z"),
                    updated_by="admin",
                )
            )
        upgrade(url)
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text(
                    "SELECT financial_year_end, version, rights_request_retention_months "
                    "FROM tenant_settings"
                )
            ).one()
            categories = conn.execute(
                sa.select(sa.column("third_party_review_categories", sa.JSON())).select_from(
                    sa.table("tenant_settings")
                )
            ).scalar_one()
        assert tuple(stored) == ("04-30", 3, 36)
        # The review keeps covering what it covered before the setting existed.
        assert categories == ["note", "meeting"]

        downgrade(url, "e2f4a6c8b013")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("tenant_settings")}
            assert "rights_request_retention_months" not in columns
            assert conn.execute(sa.text("SELECT count(*) FROM tenant_settings")).scalar_one() == 1
    finally:
        engine.dispose()
