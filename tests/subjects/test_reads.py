"""The fast reads (`app.subjects.reads`) answer as the general path does, in every state
of a subject and record, and are scoped to the tenant like any other query."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from app.core import db
from app.core.db import new_read_session
from app.core.errors import AppError
from app.subjects import reads, service
from tests.conftest import CONTACT, TEST_HASH_SECRET, Api, FrozenClock
from tests.notices.helpers import publish_template
from tests.readers import READERS, read_on

GROUNDS = "Jag vill inte att mina uppgifter analyseras."


def _outcome(call: Callable[[], Any]) -> Any:
    """The call's answer, or the refusal it raised (type, status, detail)."""
    try:
        return call()
    except AppError as exc:
        return (type(exc).__name__, exc.status, exc.detail)


@pytest.fixture(params=READERS)
def reader(request: pytest.FixtureRequest) -> str:
    """Which reader the fast reads run on: in a thread, or awaited on an event loop."""
    return str(request.param)


def _both_subject(api: Api, sid: str, reader: str) -> tuple[Any, Any]:
    subject_id = uuid.UUID(sid)
    with new_read_session(api.engine, api.tenant) as session:
        general = _outcome(
            lambda: service.subject_view(
                session, service.get_subject(session, subject_id), hash_secret=TEST_HASH_SECRET
            )
        )
    fast = _outcome(
        lambda: read_on(
            reader,
            api.engine,
            api.tenant,
            lambda r: reads.read_subject(r, subject_id, hash_secret=TEST_HASH_SECRET),
        )
    )
    return general, fast


def _both_record(api: Api, rid: str, reader: str) -> tuple[Any, Any]:
    record_id = uuid.UUID(rid)
    with new_read_session(api.engine, api.tenant) as session:
        general = _outcome(
            lambda: service.RecordPublic.model_validate(
                service.get_record_for_processing(session, record_id)
            )
        )
    fast = _outcome(
        lambda: read_on(reader, api.engine, api.tenant, lambda r: reads.read_record(r, record_id))
    )
    return general, fast


def test_a_subject_reads_the_same_in_every_state(api: Api, clock: FrozenClock, reader: str) -> None:
    publish_template(api)
    made = {
        "plain": api.create_subject(
            emails=["plain@example.se", "plain.two@example.se"],
            phones=["070-111 22 33"],
            external_refs=[{"system": "crm", "id": "C-1"}, {"system": "erp", "id": "E-1"}],
            records=[CONTACT],
        ),
        "bare": api.create_subject(),
        "restricted": api.create_subject(emails=["restricted@example.se"]),
        "objecting": api.create_subject(emails=["objecting@example.se"]),
        "shares_objected_email": api.create_subject(phones=["070-999 88 77"]),
        "purposes": api.create_subject(emails=["purposes@example.se"]),
        "rejected": api.create_subject(emails=["rejected@example.se"]),
        "erased": api.create_subject(emails=["erased@example.se"], records=[CONTACT]),
        "noticed": api.create_subject(emails=["noticed@example.se"]),
        "merged": api.create_subject(emails=["merged@example.se"]),
    }
    sid = {name: subject["id"] for name, subject in made.items()}
    ok = [
        api.post(f"/v1/subjects/{sid['restricted']}/restriction", json={"reason": "Disputed"}),
        api.post(f"/v1/subjects/{sid['objecting']}/marketing-objection"),
        # An objected phone of an erased subject comes back on another subject.
        api.post(f"/v1/subjects/{sid['erased']}/marketing-objection"),
        api.post(f"/v1/subjects/{sid['purposes']}/objections",
                 json={"purpose": "customer-analysis", "grounds": GROUNDS}),
        api.post(f"/v1/subjects/{sid['noticed']}/notice-given",
                 json={"channel": "email", "given_at": clock().isoformat(), "notice_version": 1}),
        api.post(f"/v1/subjects/{sid['plain']}/merge", json={"subject_ids": [sid["merged"]]}),
    ]  # fmt: skip
    objection = api.post(
        f"/v1/subjects/{sid['rejected']}/objections",
        json={"purpose": "customer-analysis", "grounds": GROUNDS},
    ).json()["id"]
    ok.append(
        api.post(
            f"/v1/objections/{objection}/decide",
            json={"outcome": "rejected", "reasons": "Needed to establish a legal claim."},
        )
    )
    assert all(r.status_code < 300 for r in ok), [r.text for r in ok if r.status_code >= 300]
    assert api.post(f"/v1/subjects/{sid['erased']}/erasure").status_code == 200
    # The erased subject's email on a live subject: objecting through its suppression.
    sid["returns"] = api.create_subject(emails=["erased@example.se"])["id"]

    for name, subject_id in [*sid.items(), ("unknown", str(uuid.uuid4()))]:
        general, fast = _both_subject(api, subject_id, reader)
        assert fast == general, name
    # The states are really there (else the comparison proves little).
    views = {name: _both_subject(api, s, reader)[1] for name, s in sid.items()}
    assert views["restricted"].restricted and views["objecting"].marketing_objection
    assert views["returns"].marketing_objection and views["erased"].status == "erased"
    assert views["purposes"].restricted_purposes == ["customer-analysis"]
    assert views["rejected"].restricted_purposes == []
    assert views["merged"][:2] == ("SubjectMerged", 308)
    assert views["noticed"].notice_given_at is not None
    assert [r.id for r in views["plain"].external_refs] == ["C-1", "E-1"]
    assert views["plain"].emails[:2] == ["plain@example.se", "plain.two@example.se"]
    assert "merged@example.se" in views["plain"].emails  # the duplicate's, joined in


def test_another_tenants_subject_and_record_are_not_found(
    api: Api, other_api: Api, reader: str
) -> None:
    subject = other_api.create_subject(emails=["foreign@example.se"], records=[CONTACT])
    record = other_api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]["id"]
    general, fast = _both_subject(api, subject["id"], reader)
    assert fast == general and fast[:2] == ("NotFound", 404)
    general, fast = _both_record(api, record, reader)
    assert fast == general and fast[:2] == ("NotFound", 404)
    assert api.get(f"/v1/subjects/{subject['id']}").status_code == 404
    assert api.get(f"/v1/records/{record}").status_code == 404


def test_a_record_reads_the_same_restricted_or_not(api: Api, reader: str) -> None:
    subject = api.create_subject(emails=["records@example.se"], records=[CONTACT, CONTACT])
    listed = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"]
    rid = listed[0]["id"]
    general, fast = _both_record(api, rid, reader)
    assert fast == general and fast.id == uuid.UUID(rid)
    answer = api.get(f"/v1/records/{rid}")
    assert answer.status_code == 200 and answer.json()["data"] == CONTACT["data"]
    assert answer.headers["etag"] == f'"{answer.json()["version"]}"'
    restricted = api.post(
        f"/v1/subjects/{subject['id']}/restriction", json={"reason": "Accuracy contested"}
    )
    assert restricted.status_code < 300, restricted.text
    for record_id in (rid, listed[1]["id"], str(uuid.uuid4())):
        general, fast = _both_record(api, record_id, reader)
        assert fast == general, record_id
    assert _both_record(api, rid, reader)[1][:2] == ("Locked", 423)


@pytest.mark.parametrize("read", ["subject", "record"])
def test_every_table_a_fast_read_reaches_is_filtered_by_tenant(
    api: Api, read: str, reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = api.create_subject(emails=["scoped@example.se"], records=[CONTACT])
    record = api.get(f"/v1/subjects/{subject['id']}/records").json()["items"][0]["id"]
    seen: list[str] = []
    compiled_read = db._compiled_read

    def capture(statement: Any, dialect: Any) -> Any:
        compiled = compiled_read(statement, dialect)
        seen.append(compiled.sql)  # what the reader sends to the driver
        return compiled

    monkeypatch.setattr(db, "_compiled_read", capture)
    if read == "subject":
        read_on(
            reader,
            api.engine,
            api.tenant,
            lambda r: reads.read_subject(r, uuid.UUID(subject["id"]), hash_secret=TEST_HASH_SECRET),
        )
    else:
        read_on(reader, api.engine, api.tenant, lambda r: reads.read_record(r, uuid.UUID(record)))
    tables = ("subject", "subject_identifier", "external_ref", "objection", "marketing_suppression",
              "record")  # fmt: skip
    queried = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert queried
    for sql in queried:
        for table in tables:
            if f" {table} " in f" {sql} ".replace("\n", " ") or f"{table}." in sql:
                assert f"{table}.tenant_id" in sql, (table, sql)
