"""The access report as the GDPR API's key/children tree.

The Helsinki specification leaves the keys to the service ("a technical identifier ...
if feasible, a database column name") and makes every value a string. The tree holds
what the access report holds about the person: the subject with its identifiers, its
records by category, each with its fields, and its objections to purposes. Keys are the
API's field names in upper case; a list becomes a group of nodes named in the singular
(`PARTICIPANTS` → `PARTICIPANT`); `null` fields are left out.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.interop.schemas import Node
from app.rights.schemas import AccessReport
from app.subjects.categories import DATA_MODELS, Category

ROOT = "SUBJECT"
# The group of each category's records, in the order of `Category`.
GROUPS: dict[Category, str] = {
    Category.contact: "CONTACTS",
    Category.organisation: "ORGANISATIONS",
    Category.note: "NOTES",
    Category.meeting: "MEETINGS",
    Category.sales_document: "SALES_DOCUMENTS",
    Category.network: "NETWORK_RECORDS",
}
SUBJECT_FIELDS = ("id", "status", "created_at", "emails", "phones", "external_refs")
SUBJECT_FLAGS = ("restricted", "marketing_objection", "notice_given_at")
RECORD_FIELDS = ("id", "source", "origin", "restricted", "created_at", "updated_at")


def profile_tree(
    report: AccessReport,
    *,
    awaiting_review: int = 0,
    rights_request_id: uuid.UUID | None = None,
    due_at: datetime | None = None,
) -> Node:
    """The tree of one subject's access report. `awaiting_review` records were left out
    of it until they are reviewed for other people's data (Art 15(4)); the tree then
    says how many, under which rights request, and by when the rest is answered."""
    document = report.model_dump(mode="json")
    subject = document["subject"]
    children = [node for name in SUBJECT_FIELDS if (node := _node(name, subject.get(name)))]
    children += [node for name in SUBJECT_FLAGS if (node := _node(name, subject.get(name)))]
    for category in Category:
        records = [r for r in document["records"] if r["category"] == category.value]
        if records:
            children.append(
                Node(key=GROUPS[category], children=[_record(category, r) for r in records])
            )
    # The person's objections to purposes (Art 21(1)), with their grounds and the outcome.
    if objections := _node("objections", document["objections"]):
        children.append(objections)
    if awaiting_review:
        children.append(
            Node(
                key="AWAITING_REVIEW",
                children=[
                    n
                    for n in (
                        _node("records", awaiting_review),
                        _node("rights_request_id", str(rights_request_id)),
                        _node("due_at", due_at.isoformat() if due_at else None),
                    )
                    if n
                ],
            )
        )
    return Node(key=ROOT, children=children)


def _record(category: Category, record: dict[str, Any]) -> Node:
    data = record.get("data") or {}
    # The category's fields in their documented order, then any other stored field.
    names = [
        *DATA_MODELS[category].model_fields,
        *sorted(set(data) - set(DATA_MODELS[category].model_fields)),
    ]
    children = [node for name in RECORD_FIELDS if (node := _node(name, record.get(name)))]
    children += [node for name in names if (node := _node(name, data.get(name)))]
    return Node(key=category.value.upper(), children=children)


def _node(name: str, value: Any) -> Node | None:
    """A field as a node: text for a scalar, a group for a list or an object; None for
    `null` and for an empty list (nothing to show)."""
    key = name.upper()
    if value is None:
        return None
    if isinstance(value, bool):
        return Node(key=key, value="true" if value else "false")
    if isinstance(value, list):
        item = _singular(key)
        nodes = [n for v in value if (n := _node(item, v))]
        return Node(key=key, children=nodes) if nodes else None
    if isinstance(value, dict):
        nodes = [n for k, v in value.items() if (n := _node(str(k), v))]
        return Node(key=key, children=nodes) if nodes else None
    return Node(key=key, value=str(value))


def _singular(key: str) -> str:
    """`EMAILS` → `EMAIL`, `EXTERNAL_REFS` → `EXTERNAL_REF`; otherwise `<KEY>_ITEM`."""
    return key[:-1] if key.endswith("S") and len(key) > 1 else f"{key}_ITEM"
