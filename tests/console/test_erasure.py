"""The erasure in the console: the plan is the erasure service's dry run (nothing changes
by reading it), the confirmation is explicit and bound to the plan that was read, and the
erasure is the API's own — the same report, audited as `subject.erase`."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tests.conftest import CONTACT, INVOICE_2024, NOTE, Api
from tests.console.conftest import Console, audit_rows

_PLAN = re.compile(r'name="plan" value="([0-9a-f]+)"')


def held_person(api: Api) -> dict[str, Any]:
    return api.create_subject(
        emails=["asa.oberg@example.se"],
        records=[copy.deepcopy(r) for r in (CONTACT, INVOICE_2024, NOTE)],
    )


def plan_of(page: str) -> str:
    match = _PLAN.search(page)
    assert match, "no plan fingerprint on the page"
    return match.group(1)


def confirm(console: Console, sid: str, plan: str, **extra: str) -> Any:
    form = {"confirm_read": "yes", "confirm_word": "ERASE", "plan": plan, **extra}
    return console.post(f"/console/subjects/{sid}/erasure", form)


def test_plan_says_what_goes_what_stays_why_and_until_when(api: Api, console: Console) -> None:
    sid = held_person(api)["id"]
    before = api.row_counts()
    page = console.get(f"/console/subjects/{sid}/erasure")
    assert page.status_code == 200
    html = page.text
    assert "Plan (nothing has changed yet)" in html
    assert "Erased (2)" in html and "Kept (1)" in html
    assert "Required by law" in html and "Bokföringslagen (1999:1078) 7 kap. 2 §" in html
    assert '<time datetime="2031-12-31">31 December 2031</time>' in html
    assert "Invoice F-2024-1 2024-03-15" in html
    dry = api.post(f"/v1/subjects/{sid}/erasure?dry_run=true").json()
    for item in dry["erased"] + dry["kept"]:
        assert item["id"][-8:] in html  # every record of the service's plan is on the page
    assert api.row_counts() == {**before, "audit_event": before["audit_event"] + 1}
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"


def test_a_legal_hold_is_shown_with_its_reason_and_end(api: Api, console: Console) -> None:
    sid = held_person(api)["id"]
    placed = api.post(
        "/v1/legal-holds",
        json={"subject_id": sid, "reason": "Case T 1234-26", "ends_at": "2028-01-31T12:00:00Z"},
    )
    assert placed.status_code == 201, placed.text
    page = console.get(f"/console/subjects/{sid}/erasure").text
    assert "Erased (0)" in page and "Kept (3)" in page
    assert "Legal hold:</strong> Case T 1234-26" in page
    assert '<time datetime="2031-12-31">' in page  # the invoice: the later of its holds


def test_confirmation_needs_the_tick_and_the_word(api: Api, console: Console) -> None:
    sid = held_person(api)["id"]
    plan = plan_of(console.get(f"/console/subjects/{sid}/erasure").text)
    no_tick = console.post(
        f"/console/subjects/{sid}/erasure", {"confirm_word": "ERASE", "plan": plan}
    )
    assert no_tick.status_code == 422
    assert 'id="confirm_read-error"' in no_tick.text
    wrong_word = confirm(console, sid, plan, confirm_word="erase it")
    assert wrong_word.status_code == 422
    assert 'aria-describedby="confirm_word-error"' in wrong_word.text
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    assert not any(r["action"] == "subject.erase" for r in audit_rows(api.engine, api.tenant))


def test_a_plan_that_changed_since_it_was_read_erases_nothing(api: Api, console: Console) -> None:
    sid = held_person(api)["id"]
    plan = plan_of(console.get(f"/console/subjects/{sid}/erasure").text)
    api.post("/v1/legal-holds", json={"subject_id": sid, "reason": "Authority request"})
    changed = confirm(console, sid, plan)
    assert changed.status_code == 409
    assert "The plan has changed since you read it." in changed.text
    assert "Authority request" in changed.text  # the new plan, to read again
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"
    new_plan = plan_of(changed.text)
    assert new_plan != plan
    assert confirm(console, sid, new_plan).status_code == 303


def test_erasure_is_the_apis_and_its_report_is_shown(api: Api, console: Console) -> None:
    sid = held_person(api)["id"]
    plan = plan_of(console.get(f"/console/subjects/{sid}/erasure").text)
    done = confirm(console, sid, plan)
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/subjects/{sid}/erasure"
    page = console.follow(done)
    assert "The subject is erased: 2 records erased, 1 kept." in page.text
    assert "Erasure report for subject" in page.text
    assert "31 December 2031" in page.text
    assert 'name="confirm_word"' not in page.text  # nothing left to confirm
    report = api.post(f"/v1/subjects/{sid}/erasure").json()  # erasing again: the report
    assert report["status"] == "erased" and report["counts"] == {"erased": 2, "kept": 1}
    assert report["kept"][0]["until"] == "2031-12-31"
    erased = [r for r in audit_rows(api.engine, api.tenant) if r["action"] == "subject.erase"]
    assert erased[0]["actor"] == "desk-person-1" and str(erased[0]["subject_id"]) in (
        sid,
        sid.replace("-", ""),
    )
    # Confirming again changes nothing and leads to the report.
    again = confirm(console, sid, plan)
    assert again.status_code == 303
    subject_page = console.get(f"/console/subjects/{sid}").text
    assert "Kept until 31 December 2031" in subject_page
    assert "asa.oberg@example.se" not in subject_page


def test_erasure_needs_rights_write_and_the_tenants_subject(
    api: Api, other_api: Api, console: Console, console_client: Callable[..., Console]
) -> None:
    sid = held_person(api)["id"]
    reader = console_client(scopes=["subjects:read", "rights:read"])
    assert reader.get(f"/console/subjects/{sid}/erasure").status_code == 403
    assert confirm(reader, sid, "0" * 32).status_code == 403
    assert confirm(console, sid, "0" * 32, csrf_token="forged").status_code == 403
    foreign = held_person(other_api)["id"]
    assert console.get(f"/console/subjects/{foreign}/erasure").status_code == 404
    assert confirm(console, foreign, "0" * 32).status_code == 404
    assert other_api.get(f"/v1/subjects/{foreign}").json()["status"] == "active"
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "active"


def test_swedish_confirmation_word(api: Api, console_client: Callable[..., Console]) -> None:
    sid = held_person(api)["id"]
    swedish = console_client(lang="sv")
    page = swedish.get(f"/console/subjects/{sid}/erasure").text
    assert "Skriv RADERA för att bekräfta" in page
    done = confirm(swedish, sid, plan_of(page), confirm_word="radera")
    assert done.status_code == 303
    assert api.get(f"/v1/subjects/{sid}").json()["status"] == "erased"
