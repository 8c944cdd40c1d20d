"""The retention rules in force: the built-in statutory ones and a tenant's own."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound
from app.retention.models import RetentionRule, TenantRetentionRule
from app.retention.rules import RuleLike
from app.subjects.categories import SalesDocumentKind


def active_rules(session: Session) -> list[RuleLike]:
    """Built-in rules and, in a tenant session, the tenant's own (active ones)."""
    return [rule for rule in all_rules(session) if rule.active]


def all_rules(session: Session) -> list[RuleLike]:
    built_in = session.exec(select(RetentionRule).order_by(col(RetentionRule.code))).all()
    own = session.exec(select(TenantRetentionRule).order_by(col(TenantRetentionRule.code))).all()
    return [*built_in, *own]


def rules_of_tenant(session: Session, tenant_id: str) -> list[RuleLike]:
    """For system jobs: the active built-in rules and those of `tenant_id`."""
    built_in = session.exec(select(RetentionRule).where(col(RetentionRule.active))).all()
    own = session.exec(
        select(TenantRetentionRule).where(
            col(TenantRetentionRule.tenant_id) == tenant_id, col(TenantRetentionRule.active)
        )
    ).all()
    return [*built_in, *own]


class RetentionRuleIn(BaseModel):
    """A tenant's own rule. Rules compute from a document's financial year, so they
    cover sales documents: `until` = 31 December of (financial year end's year + years)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "Customer contract §12: orders kept 10 years",
                    "title_sv": "Order bevaras i tio år enligt avtal.",
                    "title_en": "Orders are kept for ten years under the contract.",
                    "category": "sales_document",
                    "kinds": ["order"],
                    "verification_kinds": [],
                    "basis": "financial_year_end",
                    "years": 10,
                    "active": True,
                }
            ]
        },
    )

    reference: Annotated[str, Field(min_length=1, max_length=300)]
    title_sv: Annotated[str, Field(min_length=1, max_length=300)]
    title_en: Annotated[str, Field(min_length=1, max_length=300)]
    category: Literal["sales_document"]
    kinds: Annotated[list[SalesDocumentKind], Field(min_length=1)]
    verification_kinds: list[SalesDocumentKind] = []
    basis: Literal["financial_year_end"] = "financial_year_end"
    years: Annotated[int, Field(ge=1, le=30)]
    active: StrictBool = True

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRuleIn:
        if not set(self.verification_kinds) <= set(self.kinds):
            raise ValueError("`verification_kinds` must be among `kinds`")
        if SalesDocumentKind.quote in self.verification_kinds:
            raise ValueError("a quote is never a verification")
        return self


def put_rule(
    session: Session, code: str, body: RetentionRuleIn, *, actor: str
) -> TenantRetentionRule:
    """Create or replace the tenant's rule `code`; built-in codes are refused (409)."""
    if session.get(RetentionRule, code) is not None:
        raise Conflict("A built-in statutory rule cannot be changed by a tenant.")
    rule = session.exec(select(TenantRetentionRule).where(TenantRetentionRule.code == code)).first()
    values = {
        **body.model_dump(mode="json"),
        "kinds": [k.value for k in body.kinds],
        "verification_kinds": [k.value for k in body.verification_kinds],
        "updated_by": actor,
    }
    if rule is None:
        # Two first PUTs of one code at the same moment: the loser's insert fails on the
        # unique key inside its savepoint, and it replaces the winner's rule instead.
        try:
            with session.begin_nested():
                rule = TenantRetentionRule(code=code, **values)
                session.add(rule)
            return rule
        except IntegrityError:
            rule = session.exec(
                select(TenantRetentionRule)
                .where(TenantRetentionRule.code == code)
                .with_for_update()
            ).one()
    for key, value in values.items():
        setattr(rule, key, value)
    session.flush()
    return rule


def delete_rule(session: Session, code: str) -> None:
    if session.get(RetentionRule, code) is not None:
        raise Conflict("A built-in statutory rule cannot be removed by a tenant.")
    rule = session.exec(select(TenantRetentionRule).where(TenantRetentionRule.code == code)).first()
    if rule is None:
        raise NotFound("No retention rule of this tenant with this code.")
    session.delete(rule)
