"""Rights requests: deadlines as Regulation 1182/71 counts them, and answers with reasons.

New columns on `rights_request`: `time_zone` (the tenant's zone, in which the day of
receipt and the deadline are counted), `extension_informed_at` (Art 12(3)), `reasons`,
`refusal_grounds` and `complaint_and_remedy_stated` (Art 12(4)-(5)).

The meaning of `due_at` changes: it was receipt plus a month at the same time of day;
it is now the end (23:59:59, tenant's zone) of the period's last day, with the day of
receipt not counted and a last day on a weekend or Swedish holiday moved to the next
working day. Stored requests are recomputed, so that open ones are overdue by the law's
date. The computation is frozen here (a copy of `app.requests.deadlines` at this
revision), so that later changes to the service do not change what this step did.
Downgrading recomputes the former meaning.

Revision ID: c4e8a1f3d902
Revises: c4e8a1f29d07
Create Date: 2026-11-25 19:55:00
"""

import calendar
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "c4e8a1f3d902"
down_revision: str | None = "c4e8a1f29d07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TIME_ZONE = "Europe/Stockholm"


def _months_after(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _working_day_on_or_after(day: date) -> date:
    while True:
        # Public holidays and midsommarafton, julafton, nyårsafton (lag 1930:173 2 §).
        calendar_ = holidays.country_holidays(
            "SE", years=day.year, categories=(holidays.PUBLIC, holidays.DE_FACTO)
        )
        if day.weekday() < 5 and day not in calendar_:
            return day
        day += timedelta(days=1)


def _due_at(received_at: datetime, zone: ZoneInfo, extension_months: int) -> datetime:
    first_end = _months_after(received_at.astimezone(zone).date(), 1)
    end = _months_after(first_end, extension_months) if extension_months else first_end
    last = _working_day_on_or_after(end)
    return datetime.combine(last, time(23, 59, 59), tzinfo=zone).replace(fold=1)


def _former_due_at(received_at: datetime, extension_months: int) -> datetime:
    moment = received_at.astimezone(UTC)
    day = _months_after(moment.date(), 1 + extension_months)
    return moment.replace(year=day.year, month=day.month, day=day.day)


requests = sa.table(
    "rights_request",
    sa.column("id", sa.Uuid()),
    sa.column("received_at", app.core.db.UTCDateTime()),
    sa.column("due_at", app.core.db.UTCDateTime()),
    sa.column("time_zone", sa.String()),
    sa.column("extension_months", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("rights_request") as batch:
        batch.add_column(
            sa.Column(
                "time_zone",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                server_default=DEFAULT_TIME_ZONE,
                nullable=False,
            )
        )
        batch.add_column(
            sa.Column(
                "extension_informed_at", app.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(
            sa.Column("reasons", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "refusal_grounds", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
        batch.add_column(
            sa.Column(
                "complaint_and_remedy_stated",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
    # A tenant that set its time zone counted its requests' days in it.
    op.execute(
        sa.text(
            "UPDATE rights_request SET time_zone = (SELECT s.time_zone FROM tenant_settings s"
            " WHERE s.tenant_id = rights_request.tenant_id) WHERE EXISTS (SELECT 1 FROM"
            " tenant_settings s WHERE s.tenant_id = rights_request.tenant_id)"
        )
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            requests.c.id,
            requests.c.received_at,
            requests.c.time_zone,
            requests.c.extension_months,
        )
    ).all()
    for row in rows:
        due = _due_at(row.received_at, ZoneInfo(row.time_zone), row.extension_months)
        connection.execute(
            requests.update().where(requests.c.id == row.id).values(due_at=due)
        )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(requests.c.id, requests.c.received_at, requests.c.extension_months)
    ).all()
    for row in rows:
        due = _former_due_at(row.received_at, row.extension_months)
        connection.execute(
            requests.update().where(requests.c.id == row.id).values(due_at=due)
        )
    with op.batch_alter_table("rights_request") as batch:
        batch.drop_column("complaint_and_remedy_stated")
        batch.drop_column("refusal_grounds")
        batch.drop_column("reasons")
        batch.drop_column("extension_informed_at")
        batch.drop_column("time_zone")
