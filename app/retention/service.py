"""The retention rules in force: the built-in ones and a tenant's own.

Built-in rules are seeded by migrations with their legal reference; an inactive
built-in rule is a *template* (Preskriptionslag (1981:130) 2 §) that a tenant enables by
copying it as its own rule under its own code (`PUT /v1/retention-rules/{code}` with
the template's fields and `active: true`)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.core.errors import Conflict, NotFound, UnprocessableContent
from app.core.schema_rules import equals, given, not_given, rules, when
from app.retention.models import RetentionRule, TenantRetentionRule
from app.retention.rules import BASIS_CATEGORIES, EVERY_CATEGORY, Action, Basis, RuleLike
from app.retention.schemas import RetentionRulePublic
from app.subjects.categories import Category, SalesDocumentKind

# A tenant's own rule code: a lower-case slug, the key of the rule in URLs and notices.
RULE_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{2,63}$"
_RULE_CODE = re.compile(RULE_CODE_PATTERN)


def check_rule_code(code: str) -> None:
    """422 unless `code` is a rule code (3 to 64 of `a-z`, `0-9`, `-`, not starting with `-`)."""
    if not _RULE_CODE.fullmatch(code):
        raise UnprocessableContent(
            "The rule code is not valid.",
            errors=[{"loc": ["path", "code"], "msg": f"must match {RULE_CODE_PATTERN}"}],
        )


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
    """A tenant's own rule: `keep` (a hold) or `delete_after` (a maximum), for any
    category, with the basis its period counts from (`app.retention.rules` says how)."""

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
                    "action": "keep",
                    "basis": "financial_year_end",
                    "years": 10,
                    "months": 0,
                    "active": True,
                },
                {
                    "reference": "GDPR Art 5(1)(e); IT security log policy 2.3",
                    "title_sv": "IP-adresser raderas tolv månader efter senaste användning.",
                    "title_en": "IP addresses are deleted twelve months after last seen.",
                    "category": "network",
                    "action": "delete_after",
                    "basis": "last_seen",
                    "months": 12,
                },
            ],
            **rules(
                # The period is longer than zero: without a year, at least a month.
                when({"not": given("years", {"minimum": 1})}, given("months", {"minimum": 1})),
                # Each basis counts from something only some categories have.
                *(
                    when(
                        {"anyOf": [equals("basis", [basis]), not_given("basis")]}
                        if basis == Basis.financial_year_end
                        else equals("basis", [basis]),
                        equals("category", sorted(categories)),
                    )
                    for basis, categories in BASIS_CATEGORIES.items()
                    if categories != EVERY_CATEGORY
                ),
                # Kinds are those of sales documents.
                when(
                    {"not": equals("category", ["sales_document"])},
                    {
                        "properties": {
                            "kinds": {"maxItems": 0},
                            "verification_kinds": {"maxItems": 0},
                        }
                    },
                ),
            ),
        },
    )

    reference: Annotated[str, Field(min_length=1, max_length=300)] = Field(
        description="The legal (or contractual) source of the rule."
    )
    title_sv: Annotated[str, Field(min_length=1, max_length=300)]
    title_en: Annotated[str, Field(min_length=1, max_length=300)]
    category: Category
    kinds: list[SalesDocumentKind] = Field(
        default=[], description="Sales documents only: the kinds covered; empty: every kind."
    )
    verification_kinds: list[SalesDocumentKind] = Field(
        default=[],
        description="Kinds covered only when `is_verification` is true: orders and invoices "
        "(a quote is never a verification), each also in `kinds`.",
        json_schema_extra={"items": {"enum": ["order", "invoice"]}, "uniqueItems": True},
    )
    action: Action = Field(
        default=Action.keep,
        description="`keep`: a hold until the period's last day; `delete_after`: a maximum, "
        "deleted by the purge from the day after, unless a hold covers the record.",
    )
    basis: Basis = Field(
        default=Basis.financial_year_end,
        description="What the period counts from: `financial_year_end` and `document_date` "
        "(sales documents), `last_seen` (network), `created_at`, `relationship_end` (any).",
    )
    years: Annotated[int, Field(ge=0, le=100)] = 0
    months: Annotated[int, Field(ge=0, le=1200)] = 0
    active: StrictBool = True

    @model_validator(mode="after")
    def _consistent(self) -> RetentionRuleIn:
        if self.years * 12 + self.months <= 0:
            raise ValueError("the period (`years` and/or `months`) must be longer than zero")
        if self.category.value not in BASIS_CATEGORIES[self.basis]:
            fits = sorted(BASIS_CATEGORIES[self.basis])
            raise ValueError(f"basis `{self.basis.value}` applies only to {', '.join(fits)}")
        if self.category != Category.sales_document and (self.kinds or self.verification_kinds):
            raise ValueError("`kinds` and `verification_kinds` are for sales documents only")
        if not set(self.verification_kinds) <= set(self.kinds):
            raise ValueError("`verification_kinds` must be among `kinds`")
        if SalesDocumentKind.quote in self.verification_kinds:
            raise ValueError("a quote is never a verification")
        return self


def put_rule(
    session: Session, code: str, body: RetentionRuleIn, *, actor: str
) -> TenantRetentionRule:
    """Create or replace the tenant's rule `code`; built-in codes are refused (409)."""
    check_rule_code(code)
    if session.get(RetentionRule, code) is not None:
        raise Conflict(
            "A built-in rule cannot be changed by a tenant; copy it under a code of your own."
        )
    rule = session.exec(select(TenantRetentionRule).where(TenantRetentionRule.code == code)).first()
    values = {**body.model_dump(mode="json"), "updated_by": actor}
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
    """Remove the tenant's rule `code`; built-in codes are refused (409), unknown 404."""
    check_rule_code(code)
    if session.get(RetentionRule, code) is not None:
        raise Conflict("A built-in statutory rule cannot be removed by a tenant.")
    rule = session.exec(select(TenantRetentionRule).where(TenantRetentionRule.code == code)).first()
    if rule is None:
        raise NotFound("No retention rule of this tenant with this code.")
    session.delete(rule)


def rule_public(rule: RuleLike) -> RetentionRulePublic:
    """A rule as the API and the console show it: its fields, and whether it is built in."""
    return RetentionRulePublic.model_validate(
        {
            **{f: getattr(rule, f) for f in RetentionRuleIn.model_fields},
            "code": rule.code,
            "built_in": isinstance(rule, RetentionRule),
        }
    )
