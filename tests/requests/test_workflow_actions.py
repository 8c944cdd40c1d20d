"""What the workflow allows on a request as it stands (`service.allowed_actions`): the
console shows exactly these actions, and each is what the operation itself accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.requests.models import RightsRequest
from app.requests.schemas import Outcome
from app.requests.service import WorkflowAction, allowed_actions, completion_outcomes
from tests.conftest import Api, FrozenClock

pytestmark = pytest.mark.clock("2026-02-10T10:00:00Z")


def request_row(**values: Any) -> RightsRequest:
    base: dict[str, Any] = {"type": "access", "status": "open", "time_zone": "Europe/Stockholm"}
    return RightsRequest(**{**base, **values})


def test_awaiting_verification_allows_verify_review_and_only_a_refusal() -> None:
    row = request_row(status="awaiting_verification", pause_reason="verification")
    assert allowed_actions(row) == [
        WorkflowAction.verify,
        WorkflowAction.review,
        WorkflowAction.complete,
    ]
    assert completion_outcomes(row) == [Outcome.refused]


def test_open_allows_asking_extending_and_completing() -> None:
    assert allowed_actions(request_row(type="erasure")) == [
        WorkflowAction.ask_information,
        WorkflowAction.extend,
        WorkflowAction.complete,
    ]


def test_awaiting_information_allows_receiving_it_not_asking_again() -> None:
    row = request_row(
        type="erasure", pause_reason="information", paused_since=datetime(2026, 2, 3, tzinfo=UTC)
    )
    actions = allowed_actions(row)
    assert WorkflowAction.information_received in actions
    assert WorkflowAction.ask_information not in actions


def test_two_months_of_extension_are_the_most() -> None:
    assert WorkflowAction.extend in allowed_actions(request_row(extension_months=1))
    assert WorkflowAction.extend not in allowed_actions(request_row(extension_months=2))


def test_completed_allows_nothing() -> None:
    assert allowed_actions(request_row(status="completed", outcome="fulfilled")) == []


def test_the_operations_accept_what_is_allowed_and_refuse_the_rest(
    api: Api, clock: FrozenClock
) -> None:
    subject = api.create_subject()
    created = api.post(
        "/v1/rights-requests",
        json={
            "type": "erasure",
            "subject_id": subject["id"],
            "received_at": "2026-02-10T09:00:00Z",
        },
    ).json()
    rid = created["id"]
    # Not allowed while awaiting verification: the API refuses it too.
    extend = {"months": 1, "reason": "Many systems.", "informed_at": "2026-02-10T09:30:00Z"}
    assert api.post(f"/v1/rights-requests/{rid}/extend", json=extend).status_code == 409
    verified = api.post(
        f"/v1/rights-requests/{rid}/verify",
        json={"method": "email_confirmation", "verified_at": "2026-02-10T09:10:00Z"},
    )
    assert verified.status_code == 200
    assert api.post(f"/v1/rights-requests/{rid}/extend", json=extend).status_code == 200
    again = {**extend, "months": 2}
    assert api.post(f"/v1/rights-requests/{rid}/extend", json=again).status_code == 409
