"""Endpoints of retention: the statutory rules in force."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.deps import SessionDep, requires
from app.core.errors import problem_responses
from app.retention.schemas import RetentionRuleList, RetentionRulePublic
from app.retention.service import all_rules

router = APIRouter(tags=["retention"])


@router.get(
    "/retention-rules",
    response_model=RetentionRuleList,
    summary="Statutory retention rules",
    operation_id="listRetentionRules",
    dependencies=[requires("rights:read")],
    responses=problem_responses(401, 403, 422),
)
def list_retention_rules(session: SessionDep) -> RetentionRuleList:
    """The statutory retention rules in force — data with their legal reference, not
    code: which records each covers and until when they must be kept. The built-in rule
    is Bokföringslagen (1999:1078) 7 kap. 2 §: invoices, and orders that serve as
    verifications, are kept until 31 December of the seventh year after the year in
    which their financial year ended.

    Requires scope `rights:read`.
    """
    return RetentionRuleList(
        items=[RetentionRulePublic.model_validate(rule) for rule in all_rules(session)]
    )
