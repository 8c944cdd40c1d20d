"""`If-Match` is read for its syntax before anything else (RFC 9110 §13.1.1): a value
that is not `*` or a list of entity tags is a malformed request (400), and nothing is
read or changed; a well-formed stale one is 412 as before."""

from __future__ import annotations

import pytest

from tests.conftest import Api

NOTE = {"category": "note", "source": "crm", "origin": "provided", "data": {"text": "a"}}


@pytest.mark.parametrize(
    "value", ["1", "null", '"1', "W/1", '"a"b"', "", " ", '"1" "2"', "x" * 2000]
)
def test_a_malformed_if_match_is_400_on_every_conditional_write(api: Api, value: str) -> None:
    subject = api.create_subject()
    sid = subject["id"]
    record = api.add_record(sid, NOTE)
    calls = [
        ("POST", f"/v1/subjects/{sid}/records", NOTE),
        ("DELETE", f"/v1/records/{record['id']}", None),
        ("PATCH", f"/v1/records/{record['id']}", {"data": {"text": "b"}}),
        ("POST", f"/v1/subjects/{sid}/restriction", {"reason": "x"}),
        ("PUT", "/v1/tenant-settings", {"time_zone": "Europe/Stockholm"}),
    ]
    for method, url, body in calls:
        headers = {**api.headers(), "If-Match": value}
        if method == "PATCH" and url.startswith("/v1/records"):
            headers["Content-Type"] = "application/merge-patch+json"
        response = api.client.request(method, url, json=body, headers=headers)
        assert response.status_code == 400, (method, url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "If-Match" in response.json()["detail"]
    # Nothing changed.
    assert api.get(f"/v1/subjects/{sid}").json()["version"] == subject["version"]
    assert api.get(f"/v1/records/{record['id']}").json()["data"] == {"text": "a"}
    assert len(api.get(f"/v1/subjects/{sid}/records").json()["items"]) == 1


@pytest.mark.parametrize("value", ['"1"', 'W/"1"', ' "7", "1" ', "*"])
def test_well_formed_values_are_read_as_entity_tags(api: Api, value: str) -> None:
    sid = api.create_subject()["id"]
    response = api.post(f"/v1/subjects/{sid}/records", json=NOTE, headers={"If-Match": value})
    assert response.status_code == 201, response.text


def test_a_stale_well_formed_tag_is_still_412(api: Api) -> None:
    sid = api.create_subject()["id"]
    response = api.post(f"/v1/subjects/{sid}/records", json=NOTE, headers={"If-Match": '"9"'})
    assert response.status_code == 412


def test_the_document_states_the_syntax(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    params = spec["paths"]["/v1/records/{record_id}"]["patch"]["parameters"]
    (if_match,) = [p for p in params if p["name"] == "If-Match"]
    schemas = if_match["schema"].get("anyOf", [if_match["schema"]])
    assert any("pattern" in s for s in schemas)
