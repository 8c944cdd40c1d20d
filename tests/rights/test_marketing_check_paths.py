"""The marketing check answers the same on its fast path and its general path.

A check of up to `SMALL_LIST` items (the CRM screen, one email) takes the fast path: its
own worker thread. A larger batch takes the general one: the shared pool; from
`SPLIT_FROM` emails and phones on PostgreSQL its lookup is split in two halves on two
connections (tested here with the limit lowered). The statements are the same for every
size: each list is one JSON parameter. Every kind of input — objection, objection of an
erased subject, restriction, erased, merged, unknown, invalid, and other spellings of
each — is checked alone, in small batches and in large ones, in random orders and with
repeats, and must get the same verdict everywhere, the one the scenario says.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rights import marketing
from app.rights.marketing import SMALL_LIST
from tests.conftest import Api

Verdict = tuple[bool, str | None, str | None]  # allowed, reason, error
Item = tuple[str, str]  # ("emails" | "phones" | "subject_ids", value)


def _check(api: Api, items: list[Item]) -> list[Verdict]:
    body: dict[str, list[str]] = {"emails": [], "phones": [], "subject_ids": []}
    for kind, value in items:
        body[kind].append(value)
    response = api.post("/v1/marketing/check", json=body)
    assert response.status_code == 200, response.text
    answers = {kind: iter([]) for kind in body}  # results come emails, phones, ids
    results = response.json()["results"]
    counts = [len(body[kind]) for kind in body]
    start = 0
    for kind, count in zip(body, counts, strict=True):
        answers[kind] = iter(results[start : start + count])
        start += count
    verdicts = []
    for kind, value in items:
        result: dict[str, Any] = next(answers[kind])
        assert result["value"] == value
        verdicts.append((result["allowed"], result["reason"], result["error"]))
    return verdicts


@pytest.fixture
def population(api: Api) -> dict[Item, Verdict]:
    """Items of every kind with the verdict the scenario gives them."""
    allowed = api.create_subject(emails=["ada@example.se"], phones=["+46701000001"])
    objecting = api.create_subject(emails=["bo@example.se"], phones=["+46701000002"])
    assert api.post(f"/v1/subjects/{objecting['id']}/marketing-objection").status_code == 200
    restricted = api.create_subject(emails=["cia@example.se"], phones=["+46701000003"])
    restriction = {"reason": "Accuracy contested"}
    assert api.post(f"/v1/subjects/{restricted['id']}/restriction", json=restriction).is_success
    erased = api.create_subject(emails=["dan@example.se"], phones=["+46701000004"])
    assert api.post(f"/v1/subjects/{erased['id']}/erasure").status_code == 200
    objected_then_erased = api.create_subject(emails=["eva@example.se"], phones=["+46701000005"])
    assert api.post(f"/v1/subjects/{objected_then_erased['id']}/marketing-objection").is_success
    assert api.post(f"/v1/subjects/{objected_then_erased['id']}/erasure").status_code == 200
    duplicate = api.create_subject(emails=["fia@example.se"])
    merged = api.post(
        f"/v1/subjects/{allowed['id']}/merge", json={"subject_ids": [duplicate["id"]]}
    )
    assert merged.status_code == 200, merged.text
    yes: Verdict = (True, None, None)
    return {
        ("emails", "ada@example.se"): yes,
        ("emails", " ADA@Example.SE "): yes,
        ("phones", "+46701000001"): yes,
        ("phones", "070-100 00 01"): yes,
        ("subject_ids", allowed["id"]): yes,
        ("emails", "fia@example.se"): yes,  # moved to the subject it was merged into
        ("subject_ids", duplicate["id"]): yes,  # answers for that subject
        ("emails", "bo@example.se"): (False, "objection", None),
        ("phones", "0701000002"): (False, "objection", None),
        ("subject_ids", objecting["id"]): (False, "objection", None),
        ("emails", "cia@example.se"): (False, "restricted", None),
        ("phones", "+46701000003"): (False, "restricted", None),
        ("subject_ids", restricted["id"]): (False, "restricted", None),
        ("emails", "dan@example.se"): yes,  # erased: its identifiers are gone
        ("subject_ids", erased["id"]): (False, "erased", None),
        ("emails", "eva@example.se"): (False, "objection", None),  # the objection stays
        ("phones", "+46 70 100 00 05"): (False, "objection", None),
        ("subject_ids", objected_then_erased["id"]): (False, "objection", None),
        ("emails", "nobody@example.se"): yes,  # unknown identifiers may be used
        ("phones", "+46701999999"): yes,
        ("subject_ids", str(uuid.UUID(int=7))): (False, "unknown_subject", None),
        ("emails", "not-an-email"): (False, None, "not a valid email address"),
        ("phones", "12"): (False, None, "not a valid phone number"),
        ("subject_ids", "not-a-uuid"): (False, None, "not a valid subject id"),
    }


def test_each_item_alone_gets_the_scenarios_verdict(
    api: Api, population: dict[Item, Verdict]
) -> None:
    for item, expected in population.items():
        assert _check(api, [item]) == [expected], item


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_small_and_large_batches_answer_like_single_items(
    api: Api, population: dict[Item, Verdict], data: st.DataObject
) -> None:
    _mixed_batch(api, population, data)


@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_split_lookup_answers_like_single_items(
    api: Api,
    population: dict[Item, Verdict],
    monkeypatch: pytest.MonkeyPatch,
    data: st.DataObject,
) -> None:
    # Every batch of two or more distinct valid emails and phones is split (on
    # PostgreSQL), so the halves fall between any two items of the scenario.
    monkeypatch.setattr(marketing, "SPLIT_FROM", 2)
    _mixed_batch(api, population, data)


def _mixed_batch(api: Api, population: dict[Item, Verdict], data: st.DataObject) -> None:
    items = list(population)
    drawn = data.draw(st.lists(st.sampled_from(items), min_size=1, max_size=3 * len(items)))
    # Filler that is unknown, so that a batch crosses from the fast path into the
    # general one; the drawn items stay where they were drawn.
    fill = data.draw(st.integers(min_value=0, max_value=3 * SMALL_LIST))
    filler: list[Item] = [("emails", f"filler{i}@example.se") for i in range(fill)]
    position = data.draw(st.integers(min_value=0, max_value=len(drawn)))
    batch = drawn[:position] + filler + drawn[position:]
    verdicts = _check(api, batch)
    expected = [population[item] for item in drawn]
    assert verdicts[:position] + verdicts[position + fill :] == expected
    assert set(verdicts[position : position + fill]) <= {(True, None, None)}
