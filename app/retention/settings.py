"""A tenant's settings — one place, read by retention, deadlines and the request workflow.

- `time_zone` (IANA, default `Europe/Stockholm`): the tenant's calendar. Retention
  periods end at the end of a day in this zone, and instants (`last_seen`,
  `created_at`) count as the day they fall on here.
- `financial_year_end` (`MM-DD`, default `12-31`): the last day of the tenant's
  financial year, used when a sales document carries no `financial_year_end` of its
  own. Bokföringslagen (1999:1078) 7 kap. 2 § counts the retention of
  räkenskapsinformation from the end of the calendar year in which the financial year
  ended, so a tenant with a May to April year keeps an invoice dated 2024-06-10 (year ending
  2025-04-30) until 2032-12-31, not 2031-12-31. `02-29` means the last day of February.
- `verification_required` (default `true`): whether a new rights request awaits
  verification of the person's identity (Art 12(6)).
- `rights_request_retention_months` (1 to 120, default 36): how long a completed rights
  request is kept after its completion (`app.requests.retention`).
- `third_party_review_categories` (default `note` and `meeting`): the record categories
  that may carry other people's data, reviewed in a rights request before anything is
  released through it (Art 15(4), `app.requests.review`).

`tenant_settings(session)` answers the defaults for a tenant that never set them.
"""

from __future__ import annotations

import calendar
import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import Conflict
from app.core.etag import check_if_match
from app.core.schema_rules import JsonInt
from app.retention.models import StoredTenantSettings
from app.subjects.categories import Category

DEFAULT_TIME_ZONE = "Europe/Stockholm"
DEFAULT_FINANCIAL_YEAR_END = "12-31"
# A rights request is the controller's accountability record (GDPR Art 5(2), 12, 24): it
# is kept to answer the person, IMY or a court about how the request was handled. Storage
# limitation (Art 5(1)(e)) still applies to it, and no law fixes the period, so the tenant
# chooses it; 36 months is the default.
DEFAULT_RIGHTS_REQUEST_RETENTION_MONTHS = 36
# Art 15(4), EDPB Guidelines 01/2022 §§ 169-173: free-text notes and meeting participants
# are where a CRM keeps other people's data about a contact person.
DEFAULT_THIRD_PARTY_REVIEW_CATEGORIES: tuple[str, ...] = ("note", "meeting")
MAX_RIGHTS_REQUEST_RETENTION_MONTHS = 120
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class TenantSettings:
    """The settings in force for a tenant (the defaults where never set)."""

    time_zone: str = DEFAULT_TIME_ZONE
    financial_year_end: str = DEFAULT_FINANCIAL_YEAR_END
    verification_required: bool = True
    rights_request_retention_months: int = DEFAULT_RIGHTS_REQUEST_RETENTION_MONTHS
    third_party_review_categories: tuple[str, ...] = DEFAULT_THIRD_PARTY_REVIEW_CATEGORIES
    version: int = 0  # the ETag; 0 while the defaults apply

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return _zone(self.time_zone)

    def local_date(self, instant: datetime) -> date:
        """The day `instant` falls on in the tenant's time zone (naive: UTC)."""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return instant.astimezone(self.zone).date()

    def today(self, now: datetime) -> date:
        """The tenant's today at `now`: retention periods end at the end of a local day."""
        return self.local_date(now)

    def financial_year_end_on_or_after(self, day: date) -> date:
        """The end of the tenant's financial year that `day` belongs to."""
        month, dom = (int(part) for part in self.financial_year_end.split("-"))
        for year in (day.year, day.year + 1):
            end = date(year, month, min(dom, calendar.monthrange(year, month)[1]))
            if end >= day:
                return end
        raise AssertionError("unreachable: a year always ends within twelve months")


DEFAULTS = TenantSettings()


def _from_row(row: StoredTenantSettings | None) -> TenantSettings:
    if row is None:
        return DEFAULTS
    return TenantSettings(
        time_zone=row.time_zone,
        financial_year_end=row.financial_year_end,
        verification_required=row.verification_required,
        rights_request_retention_months=row.rights_request_retention_months,
        third_party_review_categories=tuple(row.third_party_review_categories),
        version=row.version,
    )


def tenant_settings(session: Session) -> TenantSettings:
    """The settings of the session's tenant; the defaults when never set."""
    return _from_row(session.exec(select(StoredTenantSettings)).first())


def settings_of_tenant(session: Session, tenant_id: str) -> TenantSettings:
    """For system jobs (the purge): the settings of `tenant_id`."""
    row = session.exec(
        select(StoredTenantSettings).where(col(StoredTenantSettings.tenant_id) == tenant_id)
    ).first()
    return _from_row(row)


class TenantSettingsIn(BaseModel):
    """The whole settings document (PUT replaces it; an omitted field takes its default)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "time_zone": "Europe/Stockholm",
                    "financial_year_end": "04-30",
                    "verification_required": True,
                    "rights_request_retention_months": 36,
                    "third_party_review_categories": ["note", "meeting"],
                }
            ]
        },
    )

    time_zone: str = Field(
        default=DEFAULT_TIME_ZONE,
        max_length=64,
        description="An IANA time zone name, e.g. `Europe/Stockholm`.",
    )
    financial_year_end: str = Field(
        default=DEFAULT_FINANCIAL_YEAR_END,
        max_length=5,
        description="`MM-DD`: the last day of the financial year, used for sales documents "
        "without their own `financial_year_end` (Bokföringslagen 7 kap. 2 §).",
        examples=["12-31", "04-30", "08-31"],
    )
    verification_required: StrictBool = Field(
        default=True, description="New rights requests await verification of identity."
    )
    rights_request_retention_months: JsonInt = Field(
        default=DEFAULT_RIGHTS_REQUEST_RETENTION_MONTHS,
        ge=1,
        le=MAX_RIGHTS_REQUEST_RETENTION_MONTHS,
        description="Months a completed rights request is kept after its completion (the "
        "controller's accountability record, Art 5(2)); then the purge deletes it "
        "(Art 5(1)(e)).",
    )
    third_party_review_categories: Annotated[list[Category], Field(max_length=len(Category))] = (
        Field(
            default=[Category(c) for c in DEFAULT_THIRD_PARTY_REVIEW_CATEGORIES],
            description="Record categories that may carry other people's data (a note's "
            "opinion of a colleague, a meeting's participants): their records are reviewed in "
            "a rights request before anything is released through it (Art 15(4)). May be "
            "empty.",
        )
    )

    @field_validator("third_party_review_categories")
    @classmethod
    def _once_each(cls, value: list[Category]) -> list[Category]:
        return list(dict.fromkeys(value))

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _known_zones():
            raise ValueError("not an IANA time zone name (e.g. `Europe/Stockholm`)")
        return value

    @field_validator("financial_year_end")
    @classmethod
    def _month_day(cls, value: str) -> str:
        match = _MONTH_DAY.fullmatch(value)
        if match is None:
            raise ValueError("expected `MM-DD`, e.g. `12-31`")
        month, day = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError("the month must be 01 to 12")
        if not 1 <= day <= calendar.monthrange(2024, month)[1]:  # 2024: February has 29
            raise ValueError("no such day in that month")
        return value


class TenantSettingsPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "time_zone": "Europe/Stockholm",
                "financial_year_end": "04-30",
                "verification_required": True,
                "rights_request_retention_months": 36,
                "third_party_review_categories": ["note", "meeting"],
                "version": 1,
                "is_default": False,
            }
        }
    )

    time_zone: str
    financial_year_end: str
    verification_required: bool
    rights_request_retention_months: int
    third_party_review_categories: list[Category]
    version: int = Field(description="The ETag; 0 while the defaults apply.")
    is_default: bool = Field(description="Never set: the defaults apply.")


def to_public(settings: TenantSettings) -> TenantSettingsPublic:
    return TenantSettingsPublic(
        time_zone=settings.time_zone,
        financial_year_end=settings.financial_year_end,
        verification_required=settings.verification_required,
        rights_request_retention_months=settings.rights_request_retention_months,
        third_party_review_categories=[Category(c) for c in settings.third_party_review_categories],
        version=settings.version,
        is_default=settings.version == 0,
    )


def replace_settings(
    session: Session,
    body: TenantSettingsIn,
    *,
    actor: str,
    if_match: str | None,
    now: datetime,
) -> TenantSettings:
    """Replace the tenant's settings; `If-Match` (checked under the row lock) guards
    lost updates; the defaults have version 0. A new financial-year end that would
    shorten a hold on a record held today is refused (409)."""
    # Imported here: the holds read these settings (`app.retention.holds` imports this).
    from app.retention.holds import shortened_by_settings

    stored = session.exec(select(StoredTenantSettings).with_for_update()).first()
    check_if_match(if_match, stored.version if stored is not None else 0)
    values = body.model_dump(mode="json")
    new = TenantSettings(
        **{**values, "third_party_review_categories": tuple(body.third_party_review_categories)}
    )
    shortened = shortened_by_settings(session, _from_row(stored), new, now=now)
    if shortened:
        raise Conflict(
            f"The new financial year would shorten the retention of {shortened} held "
            "record(s) (Bokföringslagen 7 kap. 2 §): they are kept by the financial year "
            "they were recorded under. Give new sales documents their own "
            "`financial_year_end`, or change the setting once nothing it shortens is held."
        )
    values = {**values, "updated_by": actor, "updated_at": now}
    if stored is None:
        # Two first PUTs at once: the loser's insert fails on the tenant's unique key in
        # its savepoint, and it goes through `If-Match` against the winner's row.
        try:
            with session.begin_nested():
                session.add(StoredTenantSettings(**values))
            return tenant_settings(session)
        except IntegrityError:
            stored = session.exec(select(StoredTenantSettings).with_for_update()).one()
            check_if_match(if_match, stored.version)
    for key, value in values.items():
        setattr(stored, key, value)
    session.flush()
    return tenant_settings(session)
