"""Other people's data in an answer (Art 15(4)): reviewed per record, applied to all
that the request releases.

A copy of one's data "shall not adversely affect the rights and freedoms of others"
(Art 15(4), recital 63). A staff note may hold an opinion about a colleague; a meeting
lists other participants by name. The EDPB Guidelines 01/2022 (§§ 169-173) ask the
controller to weigh those rights record by record and not to refuse all information on
that ground: release what can be released, take out what cannot.

So, for one rights request:

- the records of the subjects it covers in a category that may carry others' data
  (the tenant's `third_party_review_categories`, by default `note` and `meeting`: a
  note's free text about the relationship, a meeting's participants) each need a decision before
  anything is released through the request: `release`, `redact` (named data fields
  taken out) or `withhold` (the whole record). Any other record of those subjects may be
  decided on too;
- everything released through the request — the access report (JSON and HTML), the
  export (JSON and CSV) and the letters — applies the decisions through one object,
  `Release`; while a decision is missing, releasing answers `409`;
- the answer says that information was withheld or taken out, and why (Art 12(4) and
  15(4)): `ReportReview` in the report, counted and named by record id;
- decisions are recorded (who and when; each one audited) and fixed once the request is
  completed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from app.core.errors import Conflict, UnprocessableContent
from app.core.pagination import PageParams, encode_cursor
from app.requests.models import ReviewDecision, RightsRequest
from app.requests.schemas import (
    RequestStatus,
    ReviewDecisionCreate,
    ReviewDecisionKind,
    ReviewItem,
    ReviewState,
)
from app.requests.service import covered_subjects, get_request
from app.retention.settings import tenant_settings
from app.rights.schemas import ReportRedaction, ReportReview
from app.subjects.categories import DATA_MODELS, Category
from app.subjects.models import Record
from app.subjects.schemas import RecordPublic

REVIEW_ARTICLE = {"sv": "artikel 15.4 i dataskyddsförordningen", "en": "GDPR Art 15(4)"}


class ReviewPending(Conflict):
    """Records that may carry other people's data are not decided yet."""

    slug = "review-pending"
    title = "Third-party review pending"

    def __init__(self, request_id: uuid.UUID, pending: int):
        super().__init__(
            f"{pending} record(s) that may carry other people's data are not reviewed yet "
            "(Art 15(4)): decide on each in the request's review before releasing."
        )
        self.extensions = {
            "pending": pending,
            "review": f"/v1/rights-requests/{request_id}/review",
        }


@dataclass(frozen=True)
class Release:
    """The decisions of one request on the records of the subjects being released."""

    rights_request_id: uuid.UUID
    # Record ids as canonical strings: the export compares them to ids read as text.
    withheld: frozenset[str] = frozenset()
    redacted: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def keeps(self, record_id: uuid.UUID | str) -> bool:
        """Whether the record is released at all."""
        return str(record_id) not in self.withheld

    def data(self, record_id: uuid.UUID | str, data: dict[str, Any] | None) -> Any:
        """The record's data as released: the redacted fields taken out."""
        taken = self.redacted.get(str(record_id))
        if not taken or data is None:
            return data
        return {name: value for name, value in data.items() if name not in taken}

    def record(self, record: RecordPublic) -> RecordPublic | None:
        """The record as released, or `None` when it is withheld."""
        if not self.keeps(record.id):
            return None
        if str(record.id) not in self.redacted:
            return record
        return record.model_copy(update={"data": self.data(record.id, record.data)})

    def report(self, lang: str) -> ReportReview:
        """What the answer says was withheld or taken out, and why."""
        return ReportReview(
            rights_request_id=self.rights_request_id,
            article=REVIEW_ARTICLE[lang],
            withheld_records=len(self.withheld),
            redacted=[
                ReportRedaction(record_id=uuid.UUID(record_id), fields=list(fields))
                for record_id, fields in sorted(self.redacted.items())
            ],
        )


def _decided(request_id: uuid.UUID) -> Any:
    return select(ReviewDecision.record_id).where(ReviewDecision.rights_request_id == request_id)


def review_categories(session: Session) -> list[str]:
    """The tenant's categories that may carry other people's data."""
    return list(tenant_settings(session).third_party_review_categories)


def _undecided(
    session: Session, request_id: uuid.UUID, subject_ids: Sequence[uuid.UUID]
) -> Any | None:
    """Where-clauses of the subjects' records that need a decision and have none; None:
    nothing to decide."""
    categories = review_categories(session)
    if not subject_ids or not categories:
        return None
    return (
        col(Record.subject_id).in_(subject_ids),
        col(Record.category).in_(categories),
        col(Record.id).not_in(_decided(request_id)),
    )


def _pending(session: Session, request_id: uuid.UUID, subject_ids: Sequence[uuid.UUID]) -> int:
    clauses = _undecided(session, request_id, subject_ids)
    if clauses is None:
        return 0
    return int(session.exec(select(func.count(col(Record.id))).where(*clauses)).one())


def pending_for(session: Session, request: RightsRequest) -> int:
    """Records of the subjects the request covers still to decide."""
    return _pending(session, request.id, [s.id for s in covered_subjects(session, request)])


def review_state(session: Session, request_id: uuid.UUID, *, page: PageParams) -> ReviewState:
    """The records to review (and those decided), in record id order, one page."""
    request = get_request(session, request_id)
    subject_ids = [s.id for s in covered_subjects(session, request)]
    categories = review_categories(session)
    items: list[ReviewItem] = []
    next_cursor = None
    if subject_ids:
        statement = select(Record).where(
            col(Record.subject_id).in_(subject_ids),
            or_(
                col(Record.category).in_(categories),
                col(Record.id).in_(_decided(request.id)),
            ),
        )
        if page.after is not None:
            statement = statement.where(col(Record.id) > page.after)
        records = list(session.exec(statement.order_by(col(Record.id)).limit(page.limit + 1)))
        if len(records) > page.limit:
            records = records[: page.limit]
            next_cursor = encode_cursor(records[-1].id)
        taken = {
            d.record_id: d
            for d in session.exec(
                select(ReviewDecision).where(
                    ReviewDecision.rights_request_id == request.id,
                    col(ReviewDecision.record_id).in_([r.id for r in records]),
                )
            )
        }
        items = [_item(record, taken.get(record.id), categories) for record in records]
    pending = _pending(session, request.id, subject_ids)
    return ReviewState(
        rights_request_id=request.id,
        categories=categories,
        pending=pending,
        complete=pending == 0,
        items=items,
        next_cursor=next_cursor,
    )


def _item(record: Record, decision: ReviewDecision | None, categories: Sequence[str]) -> ReviewItem:
    return ReviewItem(
        record=RecordPublic.model_validate(record),
        review_required=record.category in categories,
        decision=ReviewDecisionKind(decision.decision) if decision else None,
        fields=list(decision.fields) if decision else [],
        decided_at=decision.decided_at if decision else None,
        decided_by=decision.decided_by if decision else None,
    )


def decide(
    session: Session,
    request_id: uuid.UUID,
    body: ReviewDecisionCreate,
    *,
    actor: str,
    now: datetime,
) -> tuple[ReviewItem, RightsRequest]:
    """Record the decision on one record (replacing an earlier one). The request is
    locked, so two decisions on one request are taken one after the other."""
    request = get_request(session, request_id, lock=True)
    if request.status == RequestStatus.completed:
        raise Conflict("The request is completed: its review can no longer change.")
    record = session.get(Record, body.record_id)
    covered = {s.id for s in covered_subjects(session, request)}
    if record is None or record.subject_id not in covered:
        # Unknown, another tenant's, or another person's record: the same answer.
        raise UnprocessableContent(
            "The record is not a record of a subject this request covers.",
            errors=[{"loc": ["body", "record_id"], "msg": "not covered by this request"}],
        )
    if body.decision is ReviewDecisionKind.redact:
        _check_fields(Category(record.category), body.fields)
    decision = session.exec(
        select(ReviewDecision).where(
            ReviewDecision.rights_request_id == request.id,
            ReviewDecision.record_id == record.id,
        )
    ).first()
    if decision is None:
        decision = ReviewDecision(
            rights_request_id=request.id,
            record_id=record.id,
            decision=body.decision.value,
            fields=list(body.fields),
            decided_by=actor,
            decided_at=now,
        )
        session.add(decision)
    else:
        decision.decision = body.decision.value
        decision.fields = list(body.fields)
        decision.decided_by = actor
        decision.decided_at = now
    session.flush()
    return _item(record, decision, review_categories(session)), request


def _check_fields(category: Category, fields: Sequence[str]) -> None:
    known = DATA_MODELS[category].model_fields
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise UnprocessableContent(
            f"`fields` must name data fields of the category `{category.value}`: "
            f"{', '.join(sorted(known))}.",
            errors=[
                {"loc": ["body", "fields", fields.index(name)], "msg": "not a field"}
                for name in unknown
            ],
        )


def release_for(
    session: Session, request: RightsRequest, subject_ids: Sequence[uuid.UUID]
) -> Release:
    """The decisions that apply to releasing the given subjects' data through the
    request; `ReviewPending` (409) while a record that needs a decision has none."""
    pending = _pending(session, request.id, subject_ids)
    if pending:
        raise ReviewPending(request.id, pending)
    return decisions(session, request, subject_ids)


def release_now(
    session: Session, request: RightsRequest, subject_ids: Sequence[uuid.UUID]
) -> tuple[Release, int]:
    """What the request may release at once, for a caller that cannot wait for the
    review (an answer given in the same call, e.g. through the GDPR API): the decisions
    taken so far, and every record still awaiting a decision withheld — it is answered
    once reviewed (Art 15(4); EDPB Guidelines 01/2022 §§ 169-173: release what can be
    released). Also the number of records withheld for that reason."""
    release = decisions(session, request, subject_ids)
    clauses = _undecided(session, request.id, subject_ids)
    if clauses is None:
        return release, 0
    waiting = [str(record_id) for record_id in session.exec(select(Record.id).where(*clauses))]
    if not waiting:
        return release, 0
    withheld = release.withheld | frozenset(waiting)
    return replace(release, withheld=withheld), len(waiting)


def decisions(
    session: Session, request: RightsRequest, subject_ids: Sequence[uuid.UUID]
) -> Release:
    """The request's decisions on the records of the given subjects, pending or not."""
    rows = session.exec(
        select(ReviewDecision)
        .join(Record, col(Record.id) == col(ReviewDecision.record_id))
        .where(
            ReviewDecision.rights_request_id == request.id,
            col(Record.subject_id).in_(subject_ids),
        )
    ).all()
    return Release(
        rights_request_id=request.id,
        withheld=frozenset(
            str(d.record_id) for d in rows if d.decision == ReviewDecisionKind.withhold
        ),
        redacted={
            str(d.record_id): tuple(d.fields)
            for d in rows
            if d.decision == ReviewDecisionKind.redact
        },
    )
