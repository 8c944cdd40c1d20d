"""No lost update and no 500 under races, on PostgreSQL (where requests really overlap).

Each race is run 20 times with two threads released together by a barrier; the
outcomes are counted and must be exactly the expected ones every time.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import NOTE, Api
from tests.notices.helpers import publish, template_document

TRIALS = 20


@pytest.fixture
def pg(api: Api) -> Api:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("races are run where requests really overlap: PostgreSQL")
    return api


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; their results in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def history_versions(api: Api, record_id: str) -> list[int]:
    with api.engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT version FROM record_history WHERE record_id = :r ORDER BY id"),
                {"r": uuid.UUID(record_id)},
            ).scalars()
        )


def test_two_patches_from_the_same_version_one_wins_the_other_gets_412(pg: Api) -> None:
    outcomes: Counter[tuple[int, ...]] = Counter()
    for _ in range(TRIALS):
        record = pg.add_record(pg.create_subject()["id"], NOTE)
        url = f"/v1/records/{record['id']}"
        answers = together(
            *(
                lambda text=text, url=url: pg.patch(
                    url, json={"data": {"text": text}}, headers={"If-Match": '"1"'}
                )
                for text in ("first", "second")
            )
        )
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
        winner = next(a for a in answers if a.status_code == 200)
        assert pg.get(url).json()["data"] == winner.json()["data"]
        assert history_versions(pg, record["id"]) == [2]
    assert outcomes == {(200, 412): TRIALS}


def test_two_patches_without_if_match_are_both_applied_one_after_the_other(pg: Api) -> None:
    outcomes: Counter[tuple[int, ...]] = Counter()
    for _ in range(TRIALS):
        subject = pg.create_subject()
        record = pg.add_record(
            subject["id"],
            {
                "category": "organisation",
                "origin": "provided",
                "source": "crm",
                "data": {"department": "Finance", "manager": "Karin"},
            },
        )
        url = f"/v1/records/{record['id']}"
        answers = together(
            lambda url=url: pg.patch(url, json={"data": {"department": "Sales"}}),
            lambda url=url: pg.patch(url, json={"data": {"manager": "Per"}}),
        )
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
        final = pg.get(url)
        assert final.json()["data"] == {"department": "Sales", "manager": "Per"}
        assert final.headers["etag"] == '"3"'
        assert history_versions(pg, record["id"]) == [2, 3]
    assert outcomes == {(200, 200): TRIALS}


def test_patch_racing_delete_never_500(pg: Api) -> None:
    outcomes: Counter[tuple[int, int]] = Counter()
    for _ in range(TRIALS):
        record = pg.add_record(pg.create_subject()["id"], NOTE)
        url = f"/v1/records/{record['id']}"
        patched, deleted = together(
            lambda url=url: pg.patch(url, json={"data": {"text": "changed"}}),
            lambda url=url: pg.delete(url),
        )
        outcomes[(patched.status_code, deleted.status_code)] += 1
        assert pg.get(url).status_code == 404
    # Either order is fine; nothing else is.
    assert set(outcomes) <= {(200, 204), (404, 204)}
    assert sum(outcomes.values()) == TRIALS


def test_concurrent_deletes_one_204_then_404(pg: Api) -> None:
    outcomes: Counter[tuple[int, ...]] = Counter()
    for _ in range(TRIALS):
        record = pg.add_record(pg.create_subject()["id"], NOTE)
        url = f"/v1/records/{record['id']}"
        answers = together(lambda url=url: pg.delete(url), lambda url=url: pg.delete(url))
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
    assert outcomes == {(204, 404): TRIALS}


def test_releasing_a_hold_twice_200_then_409(pg: Api) -> None:
    outcomes: Counter[tuple[int, ...]] = Counter()
    for _ in range(TRIALS):
        subject = pg.create_subject()
        hold = pg.post("/v1/legal-holds", json={"subject_id": subject["id"], "reason": "Claim"})
        url = f"/v1/legal-holds/{hold.json()['id']}/release"
        answers = together(lambda url=url: pg.post(url), lambda url=url: pg.post(url))
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
    assert outcomes == {(200, 409): TRIALS}


def test_first_concurrent_puts_of_a_retention_rule_never_500(pg: Api) -> None:
    outcomes: Counter[tuple[int, ...]] = Counter()
    body = {
        "reference": "Customer contract section 12",
        "title_sv": "Order bevaras i tio år.",
        "title_en": "Orders are kept for ten years.",
        "category": "sales_document",
        "kinds": ["order"],
        "years": 10,
    }
    for trial in range(TRIALS):
        url = f"/v1/retention-rules/contract-{trial}"
        answers = together(
            lambda url=url: pg.client.put(url, json={**body, "years": 10}, headers=pg.headers()),
            lambda url=url: pg.client.put(url, json={**body, "years": 11}, headers=pg.headers()),
        )
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
        listed = [
            r
            for r in pg.get("/v1/retention-rules").json()["items"]
            if r["code"] == f"contract-{trial}"
        ]
        assert len(listed) == 1
    assert outcomes == {(200, 200): TRIALS}


def test_first_concurrent_publications_of_the_notice_never_500(pg: Api) -> None:
    """Two first publications without `If-Match`: one becomes version 1; the other is
    answered as the later publication it turned out to be — 428, since it has not read
    the version that now exists (RFC 6585 §3). A 412 would claim a stale tag it never
    sent; a 200 would overwrite a notice unseen."""
    body = template_document()
    outcomes: Counter[tuple[int, ...]] = Counter()
    for _ in range(TRIALS):
        tenant = Api(client=pg.client, tenant=f"t-{uuid.uuid4().hex[:12]}", engine=pg.engine)
        answers = together(
            *(
                lambda tenant=tenant: tenant.client.put(
                    "/v1/privacy-notice", json=body, headers=tenant.headers()
                )
                for _ in range(2)
            )
        )
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
        assert tenant.get("/v1/privacy-notice").json()["version"] == 1
    assert outcomes == {(200, 428): TRIALS}


def test_concurrent_publications_from_the_same_version_one_wins_the_other_gets_412(
    pg: Api,
) -> None:
    body = template_document()
    outcomes: Counter[tuple[int, ...]] = Counter()
    for _ in range(TRIALS):
        tenant = Api(client=pg.client, tenant=f"t-{uuid.uuid4().hex[:12]}", engine=pg.engine)
        assert publish(tenant, body).status_code == 200
        answers = together(
            *(lambda tenant=tenant: publish(tenant, body, if_match='"1"') for _ in range(2))
        )
        outcomes[tuple(sorted(a.status_code for a in answers))] += 1
        assert tenant.get("/v1/privacy-notice").json()["version"] == 2
    assert outcomes == {(200, 412): TRIALS}
