"""An objection to direct marketing belongs to the person, not to a row (Art 21(3)).

A subject with any suppressed email or phone is objecting — whether the identifier was
there at creation (a re-import), added later (also through a contact record), or shared
with another subject — and every check of it, by id or by any identifier, says no.
"""

from __future__ import annotations

import copy
import threading

import pytest

from tests.conftest import CONTACT, Api


def verdicts(api: Api, **body: list[str]) -> list[tuple[bool, str | None]]:
    response = api.post("/v1/marketing/check", json=body, scopes=["marketing:check"])
    assert response.status_code == 200, response.text
    return [(r["allowed"], r["reason"]) for r in response.json()["results"]]


def subject_of(api: Api, sid: str) -> dict[str, object]:
    response = api.get(f"/v1/subjects/{sid}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_reimport_after_erasure_is_refused_by_id_and_reads_objecting(api: Api) -> None:
    first = api.create_subject(emails=["kund@example.se"], phones=["0705550199"])
    assert api.post(f"/v1/subjects/{first['id']}/marketing-objection").status_code == 200
    assert api.post(f"/v1/subjects/{first['id']}/erasure").status_code == 200

    again = api.create_subject(emails=["KUND@example.se"])
    assert again["marketing_objection"] is True
    assert subject_of(api, again["id"])["marketing_objection"] is True
    assert verdicts(api, subject_ids=[again["id"]]) == [(False, "objection")]
    # The phone of the erased subject comes back through a later import, too.
    third = api.create_subject(emails=["someone.else@example.se"], phones=["+46 70 555 01 99"])
    assert third["marketing_objection"] is True
    assert verdicts(api, emails=["someone.else@example.se"], subject_ids=[third["id"]]) == [
        (False, "objection"),
        (False, "objection"),
    ]


def test_a_duplicate_sharing_a_phone_objects_too(api: Api) -> None:
    a = api.create_subject(emails=["a@example.se"], phones=["070-555 01 99"])
    b = api.create_subject(emails=["b@example.se"], phones=["+46705550199"])
    c = api.create_subject(emails=["b@example.se"])  # shares only B's email
    assert api.post(f"/v1/subjects/{a['id']}/marketing-objection").status_code == 200

    for sid in (b["id"], c["id"]):
        assert subject_of(api, sid)["marketing_objection"] is True
    assert (
        verdicts(api, emails=["b@example.se"], subject_ids=[a["id"], b["id"], c["id"]])
        == [(False, "objection")] * 4
    )
    found = api.post("/v1/subjects/search", json={"email": "b@example.se"}).json()["items"]
    assert {s["marketing_objection"] for s in found} == {True}


def test_an_identifier_added_later_is_suppressed_and_a_suppressed_one_makes_an_objector(
    api: Api,
) -> None:
    objector = api.create_subject(emails=["objector@example.se"])
    assert api.post(f"/v1/subjects/{objector['id']}/marketing-objection").status_code == 200
    # Added later to the objecting subject, through a contact record.
    contact = copy.deepcopy(CONTACT)
    contact["data"]["email"] = "objector.new@example.se"
    contact["data"]["phone"] = "+46701112233"
    api.add_record(objector["id"], contact)
    assert (
        verdicts(api, emails=["objector.new@example.se"], phones=["0701112233"])
        == [(False, "objection")] * 2
    )

    # A subject that had nothing to do with it gains a suppressed phone: it now objects.
    other = api.create_subject(emails=["other@example.se"])
    assert verdicts(api, subject_ids=[other["id"]]) == [(True, None)]
    contact["data"]["email"] = "other@example.se"
    contact["data"]["phone"] = "070-111 22 33"
    api.add_record(other["id"], contact)
    assert subject_of(api, other["id"])["marketing_objection"] is True
    assert (
        verdicts(api, emails=["other@example.se"], subject_ids=[other["id"]])
        == [(False, "objection")] * 2
    )


def test_a_punycode_or_trunk_zero_spelling_does_not_bypass_an_objection(api: Api) -> None:
    subject = api.create_subject(emails=["kund@exämple.se"], phones=["+46705550199"])
    assert api.post(f"/v1/subjects/{subject['id']}/marketing-objection").status_code == 200
    assert (
        verdicts(
            api, emails=["kund@xn--exmple-cua.se", "KUND@EXÄMPLE.SE"], phones=["+460705550199"]
        )
        == [(False, "objection")] * 3
    )
    again = api.create_subject(emails=["kund@xn--exmple-cua.se"])
    assert again["emails"] == ["kund@exämple.se"]
    assert again["marketing_objection"] is True


def test_an_erased_subjects_check_by_id_still_says_objection(api: Api) -> None:
    subject = api.create_subject(emails=["gone@example.se"])
    assert api.post(f"/v1/subjects/{subject['id']}/marketing-objection").status_code == 200
    assert api.post(f"/v1/subjects/{subject['id']}/erasure").status_code == 200
    assert verdicts(api, subject_ids=[subject["id"]]) == [(False, "objection")]


@pytest.mark.parametrize("trial", range(20))
def test_two_subjects_sharing_an_email_object_at_the_same_moment(api: Api, trial: int) -> None:
    shared = f"shared-{trial}@example.se"
    ids = [api.create_subject(emails=[shared, f"own-{i}-{trial}@example.se"])["id"] for i in (1, 2)]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def object_(sid: str) -> None:
        barrier.wait()
        statuses.append(api.post(f"/v1/subjects/{sid}/marketing-objection").status_code)

    threads = [threading.Thread(target=object_, args=(sid,)) for sid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    assert (
        verdicts(
            api,
            emails=[shared, f"own-1-{trial}@example.se", f"own-2-{trial}@example.se"],
            subject_ids=ids,
        )
        == [(False, "objection")] * 5
    )
