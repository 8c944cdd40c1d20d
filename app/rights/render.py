"""Documents a person reads (Art 12(1)), rendered with Jinja2 from the package's templates.

One environment for every such document (the readable access report here; the letters
of `app.requests.letters` build on it): templates are package data in
`app/rights/templates/` and `app/requests/templates/` (letters under `letters/`), so a
letter can use the access report's parts; `.html` templates are autoescaped (every
value is text, never markup: a note reading `<script>` shows as those characters),
`.txt` templates are not; an undefined name is an error
(`StrictUndefined`), so a misspelt label fails the tests instead of printing nothing.

Labels come from `app.rights.labels` in the person's language (`sv` or `en`); dates are
written out in that language ("25 november 2026", "25 November 2026") with a small table
of month names — two languages and one date style do not warrant a locale library — and
instants are shown in the tenant's time zone, named once in the document.

The readable access report renders the very `AccessReport` object the JSON answer is
made from: one computation, two renderings, the same content.
"""

from __future__ import annotations

import functools
import typing
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime

from app.notices.schemas import Lang
from app.rights.labels import FIELD_VALUES, FIELDS, MONTHS, TEXT, VALUES
from app.rights.schemas import AccessReport
from app.subjects.categories import DATA_MODELS, Category
from app.subjects.schemas import ExternalRefPublic, RecordPublic

if TYPE_CHECKING:
    import jinja2

HTML = "text/html; charset=utf-8"
# The readable documents load nothing and run nothing: no scripts, no external
# resources, only the document's own inline style.
HTML_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the people-facing documents (Jinja2 is loaded with the
    first document rendered, not by every serving process)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("app.rights", "templates"),
                jinja2.PackageLoader("app.requests", "templates"),
            ]
        ),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml"),
            disabled_extensions=("txt",),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def labels(lang: Lang) -> dict[str, str]:
    """The document texts (`TEXT`) in `lang`."""
    return {key: words[lang] for key, words in TEXT.items()}


@dataclass(frozen=True)
class Formatter:
    """Writes values for a person: dates in words, instants in the tenant's zone."""

    lang: Lang
    zone: ZoneInfo

    def date(self, value: date | str) -> str:
        """`2026-11-25` → "25 november 2026" (sv), "25 November 2026" (en)."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if isinstance(value, datetime):
            return self.datetime(value)
        return f"{value.day} {MONTHS[self.lang][value.month - 1]} {value.year}"

    def datetime(self, value: datetime | str) -> str:
        """An instant on the tenant's clock: "25 november 2026 kl. 13.00" (sv, as
        Svenska skrivregler write the time), "25 November 2026, 13:00" (en)."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(self.zone)
        day = self.date(local.date())
        if self.lang == "sv":
            return f"{day} kl. {local.hour:02d}.{local.minute:02d}"
        return f"{day}, {local.hour:02d}:{local.minute:02d}"

    def yes_no(self, value: bool) -> str:
        return TEXT["yes" if value else "no"][self.lang]

    def value(self, kind: str, code: str) -> str:
        """The words for a coded value; the code itself for one without words."""
        words = VALUES.get(kind, {}).get(str(code))
        return words[self.lang] if words else str(code)

    def values(self, kind: str, codes: Iterable[str]) -> list[str]:
        return [self.value(kind, code) for code in codes]

    def refs(self, refs: Iterable[ExternalRefPublic]) -> list[str]:
        """External references as "system: id"."""
        return [f"{ref.system}: {ref.id}" for ref in refs]

    def data(self, record: RecordPublic) -> list[tuple[str, list[str]]]:
        """A record's data fields as (label, values) in the category's field order."""
        if record.data is None:
            return []
        category = str(record.category)
        kinds = _field_kinds(category)
        names = list(FIELDS.get(category, {}))
        ordered = [n for n in names if n in record.data] + sorted(
            n for n in record.data if n not in names
        )
        out = []
        for name in ordered:
            label = FIELDS.get(category, {}).get(name, {}).get(self.lang, name)
            raw = record.data[name]
            items = raw if isinstance(raw, list) else [raw]
            values = [
                self._data_value(category, name, kinds.get(name), item)
                for item in items
                if item is not None
            ]
            out.append((label, values))
        return out

    def _data_value(self, category: str, name: str, kind: str | None, value: Any) -> str:
        if isinstance(value, bool):
            return self.yes_no(value)
        if kind is not None and isinstance(value, str):
            try:
                return self.datetime(value) if kind == "datetime" else self.date(value)
            except ValueError:
                return value  # stored before the field was validated as it is now
        coded = FIELD_VALUES.get((category, name))
        if coded is not None:
            return self.value(coded, value)
        return str(value)


@functools.cache
def _field_kinds(category: str) -> dict[str, str]:
    """The data fields of `category` that hold a date or an instant."""
    try:
        model = DATA_MODELS[Category(category)]
    except ValueError:
        return {}
    kinds = {}
    for name, field in model.model_fields.items():
        types = set(_types(field.annotation))
        if AwareDatetime in types or any(issubclass(t, datetime) for t in types):
            kinds[name] = "datetime"
        elif any(issubclass(t, date) for t in types):
            kinds[name] = "date"
    return kinds


def _types(annotation: Any) -> Iterable[type]:
    if isinstance(annotation, type):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _types(arg)


def grouped_records(report: AccessReport) -> list[tuple[str, list[RecordPublic]]]:
    """The records by category, in the categories' order, each in the report's order."""
    order = {category.value: index for index, category in enumerate(Category)}
    groups: dict[str, list[RecordPublic]] = {}
    for record in report.records:
        groups.setdefault(str(record.category), []).append(record)
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


@dataclass(frozen=True)
class ReportView:
    """One access report as the templates' parts (`_access_report.html`) show it.

    `anchor` prefixes the ids of its elements, so that a letter holding the reports of
    several subjects (duplicates) links each table of contents to its own sections.
    """

    report: AccessReport
    records_by_category: list[tuple[str, list[RecordPublic]]]
    purpose_codes: frozenset[str]
    anchor: str = ""

    def field_label(self, record_id: uuid.UUID, name: str) -> str:
        """The label of a data field of one of the report's records, in its language."""
        category = next((str(r.category) for r in self.report.records if r.id == record_id), "")
        words = FIELDS.get(category, {}).get(name)
        return words[self.report.lang] if words else name

    def redacted_labels(self, record: RecordPublic) -> list[str]:
        """The labels of the fields the request's review took out of `record` (Art
        15(4)); none outside a request."""
        review = self.report.third_party_review
        if review is None:
            return []
        for redaction in review.redacted:
            if redaction.record_id == record.id:
                return [self.field_label(record.id, name) for name in redaction.fields]
        return []


def report_view(report: AccessReport, *, anchor: str = "") -> ReportView:
    return ReportView(
        report=report,
        records_by_category=grouped_records(report),
        purpose_codes=frozenset(p.code for p in report.purposes or []),
        anchor=anchor,
    )


def access_report_html(report: AccessReport, *, zone: ZoneInfo) -> str:
    """The access report as a complete HTML document in the report's language."""
    fmt = Formatter(lang=report.lang, zone=zone)
    return (
        environment()
        .get_template("access_report.html")
        .render(
            view=report_view(report),
            lang=report.lang,
            t=labels(report.lang),
            fmt=fmt,
            zone_name=str(zone.key),
        )
    )
