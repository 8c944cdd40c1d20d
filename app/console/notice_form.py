"""The privacy notice as an HTML form: from the posted fields to the document that
`PUT /v1/privacy-notice` takes, and validation errors back to the fields they concern.

The form names each field by its path in the document (`sv.controller.name`,
`en.purposes.2.code`, `sv.categories.note.retention.rules`), so a validation error's
`loc` is the name of the field it belongs to. The domain's own validation decides
(`NoticeDocument`, `app.notices.validation` through `app.notices.service`); nothing
here judges a notice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import ValidationError

from app.console.errors import ConsoleBadRequest
from app.console.forms import FormData
from app.notices.schemas import Right
from app.notices.validation import LANGS
from app.subjects.categories import Category

# A row of a repeated section: `sv.purposes.0.code`.
_ROW = re.compile(r"^(sv|en)\.(purposes|recipients|transfers)\.(\d+)\.([a-z_]+)$")
_ROW_FIELDS = {
    "purposes": ("code", "title", "description", "legal_basis", "legitimate_interest"),
    "recipients": ("category", "description", "names"),
    "transfers": ("country", "recipient", "mechanism", "safeguard", "safeguard_copy"),
}
# Blank rows offered for adding one more item to each repeated section.
BLANK_ROWS = 1

# The notice is the console's one large form: two languages of up to 50 purposes,
# recipients and transfers, texts of up to 4,000 characters (Swedish letters take three
# bytes each once encoded). It is read with these limits instead of the console's usual
# 64 KiB and 500 fields; the service's body limit still applies first.
MAX_NOTICE_FORM_BYTES = 512 * 1024
MAX_NOTICE_FIELDS = 3000


async def read_notice_form(request: Request) -> FormData:
    """The posted notice form, with the notice's limits, cached where `read_form` looks
    (`request.state.console_form`) so that the CSRF check reads the same form. List it
    before `verify_csrf` in the route's dependencies."""
    cached: FormData | None = getattr(request.state, "console_form", None)
    if cached is not None:
        return cached
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise ConsoleBadRequest()
    body = await request.body()
    if len(body) > MAX_NOTICE_FORM_BYTES:
        raise ConsoleBadRequest()
    try:
        items = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_NOTICE_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise ConsoleBadRequest() from None
    if any("\x00" in key or "\x00" in value for key, value in items):
        raise ConsoleBadRequest()
    form = FormData(items)
    request.state.console_form = form
    return form


def _text(form: FormData, name: str) -> str:
    return form.get(name, "")


def _codes(value: str) -> list[str]:
    """`a, b c` -> `["a", "b", "c"]`: purpose codes typed into one field."""
    return [part for part in re.split(r"[\s,]+", value) if part]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _pruned(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty texts, so that a required field answers "required" and an optional one
    takes its default."""
    return {k: v for k, v in values.items() if v != ""}


def _group(form: FormData, prefix: str, names: Iterable[str]) -> dict[str, Any]:
    return _pruned({name: _text(form, f"{prefix}.{name}") for name in names})


def _rows(form: FormData, lang: str, section: str) -> list[dict[str, Any]]:
    found: dict[int, dict[str, str]] = {}
    for key, _ in form.items:
        match = _ROW.fullmatch(key)
        if match and match[1] == lang and match[2] == section and match[4] in _ROW_FIELDS[section]:
            found.setdefault(int(match[3]), {})[match[4]] = _text(form, key)
    rows: list[dict[str, Any]] = []
    for index in sorted(found):
        row = found[index]
        if not any(value.strip() for value in row.values()):
            continue  # a blank row left for adding: not an item
        if section == "recipients":
            rows.append({**_pruned(row), "names": _lines(row.get("names", ""))})
        else:
            rows.append(_pruned(row))
    return rows


def _text_of(form: FormData, lang: str) -> dict[str, Any]:
    prefix = lang
    categories: dict[str, Any] = {}
    for category in Category:
        at = f"{prefix}.categories.{category.value}"
        description = _text(form, f"{at}.description")
        purposes = _codes(_text(form, f"{at}.purposes"))
        rules = [r for r in form.getlist(f"{at}.retention.rules") if r]
        criteria = _text(form, f"{at}.retention.criteria")
        if not (description.strip() or purposes or rules or criteria.strip()):
            continue  # not described at all: the validation names it as missing
        categories[category.value] = _pruned(
            {
                "description": description,
                "purposes": purposes,
                "retention": _pruned({"rules": rules, "criteria": criteria}),
            }
        )
    rights = [
        {"right": right.value, "description": description}
        for right in Right
        if (description := _text(form, f"{prefix}.rights.{right.value}")).strip()
    ]
    text: dict[str, Any] = {
        "controller": _group(
            form, f"{prefix}.controller", ("name", "organisation_number", "address", "contact")
        ),
        "dpo": _group(form, f"{prefix}.dpo", ("kind", "name", "contact")),
        "purposes": _rows(form, lang, "purposes"),
        "categories": categories,
        "recipients": _rows(form, lang, "recipients"),
        "transfers_outside_eea": form.get(f"{prefix}.transfers_outside_eea") == "true",
        "transfers": _rows(form, lang, "transfers"),
        "sources": _text(form, f"{prefix}.sources"),
        "provision_requirement": _text(form, f"{prefix}.provision_requirement"),
        "rights": rights,
        "objection_right": _group(
            form, f"{prefix}.objection_right", ("general", "direct_marketing")
        ),
        "consent_withdrawal": _text(form, f"{prefix}.consent_withdrawal"),
        "complaint": _group(
            form, f"{prefix}.complaint", ("authority", "url", "address", "description")
        ),
        "automated_decision_making": {
            "used": form.get(f"{prefix}.automated_decision_making.used") == "true",
            **_group(
                form,
                f"{prefix}.automated_decision_making",
                ("description", "logic", "significance"),
            ),
        },
    }
    return _pruned(text)


def document_from_form(form: FormData) -> dict[str, Any]:
    """The posted form as a notice document (not yet validated)."""
    return {lang: _text_of(form, lang) for lang in LANGS}


@dataclass
class FieldErrors:
    """Validation errors by field path, in the order they were found."""

    by_path: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_path)

    def at(self, path: str) -> list[str]:
        return self.by_path.get(path, [])


def field_path(document: dict[str, Any], loc: Iterable[str | int]) -> str:
    """The form field (or the group of fields) an error's `loc` concerns.

    A right is named by its code rather than its place in the list; an error about one
    purpose code or retention rule of a category, or one recipient name, belongs to the
    field that holds them all.
    """
    parts = [p for p in loc if p != "body"]
    if len(parts) >= 3 and parts[1] == "rights" and isinstance(parts[2], int):
        rights = document.get(str(parts[0]), {}).get("rights", [])
        if parts[2] < len(rights):
            parts = [parts[0], "rights", rights[parts[2]]["right"]]
    if len(parts) >= 4 and parts[1] == "categories" and isinstance(parts[-1], int):
        parts = parts[:-1]
    if len(parts) >= 5 and parts[1] == "recipients" and parts[3] == "names":
        parts = parts[:4]
    return ".".join(str(p) for p in parts)


def errors_from_validation(
    document: dict[str, Any],
    exc: ValidationError,
    message: Callable[[str, str], str],
) -> FieldErrors:
    """Pydantic's errors by field; `message(type, msg)` words each one for the reader."""
    errors = FieldErrors()
    for error in exc.errors(include_url=False, include_input=False):
        errors.add(field_path(document, error["loc"]), message(error["type"], error["msg"]))
    return errors


def errors_from_issues(document: dict[str, Any], issues: Iterable[dict[str, Any]]) -> FieldErrors:
    """The domain validation's `errors` (`{"loc", "msg"}`) by field."""
    errors = FieldErrors()
    for issue in issues:
        errors.add(field_path(document, issue.get("loc", [])), str(issue.get("msg", "")))
    return errors


def value_at(document: Any, path: str) -> Any:
    """The value at `sv.controller.name` in a (possibly incomplete) document, else `""`."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return ""
        if current is None:
            return ""
    return current


def right_description(document: Any, lang: str, right: str) -> str:
    for item in value_at(document, f"{lang}.rights") or []:
        if isinstance(item, dict) and item.get("right") == right:
            return str(item.get("description", ""))
    return ""


def row_count(document: Any, lang: str, section: str) -> int:
    """Rows to show for a repeated section: the items in either language, plus blanks."""
    counts = [len(value_at(document, f"{other}.{section}") or []) for other in LANGS]
    return max([*counts, 0]) + BLANK_ROWS


def field_id(path: str) -> str:
    """An HTML id for a field path (`sv.controller.name` -> `f-sv-controller-name`)."""
    return "f-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
