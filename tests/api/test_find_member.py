"""Finding one member (issue 12.8): the insurer's member number, exact lookups (no listing),
an import that says which member each row became, and what one member was sent."""

from __future__ import annotations

from lifeline.config import Settings
from lifeline.delivery import worker
from tests.api.conftest import Headers
from tests.api.helpers import NOTICE, TestClient, assert_error, member_body


def test_external_id_is_unique_per_tenant_and_changeable(api: TestClient, admin: Headers) -> None:
    made = api.post("/v1/members", json=member_body(external_id="A123456789"), headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["external_id"] == "A123456789"
    again = member_body(email="other@example.org", external_id="A123456789")
    assert_error(api.post("/v1/members", json=again, headers=admin), 409, "conflict",
                 "external_id")  # fmt: skip
    bad = member_body(email="x@example.org", external_id="has space")
    assert_error(api.post("/v1/members", json=bad, headers=admin), 422, "invalid_input",
                 "external_id")  # fmt: skip
    member_id = made.json()["id"]
    changed = api.patch(f"/v1/members/{member_id}", json={"external_id": "B1"}, headers=admin)
    assert changed.json()["external_id"] == "B1"
    assert api.get("/v1/members", params={"external_id": "A123456789"},
                   headers=admin).json() == {"members": []}  # fmt: skip
    found = api.get("/v1/members", params={"external_id": "B1"}, headers=admin).json()
    assert [m["id"] for m in found["members"]] == [member_id]


def test_exact_lookups_by_each_field_and_none_lists_all(api: TestClient, admin: Headers) -> None:
    body = member_body(email="Erika@Example.org", phone="+4915123456789",
                       telegram_chat_id=4242, external_id="K-1")  # fmt: skip
    member_id = api.post("/v1/members", json=body, headers=admin).json()["id"]
    for params in ({"email": "erika@example.org"}, {"email": "ERIKA@example.org"},
                   {"phone": "0151 23456789"}, {"phone": "+4915123456789"},
                   {"telegram_chat_id": "4242"}, {"external_id": "K-1"}):  # fmt: skip
        answer = api.get("/v1/members", params=params, headers=admin)
        assert answer.status_code == 200, (params, answer.text)
        assert [m["id"] for m in answer.json()["members"]] == [member_id], params
    assert api.get("/v1/members", params={"email": "nobody@example.org"},
                   headers=admin).json() == {"members": []}  # fmt: skip
    assert api.get("/v1/members", params={"phone": "not a number"},
                   headers=admin).json() == {"members": []}  # fmt: skip
    assert_error(api.get("/v1/members", headers=admin), 422, "invalid_input", "exactly one")
    both = {"email": "erika@example.org", "external_id": "K-1"}
    assert_error(api.get("/v1/members", params=both, headers=admin), 422, "invalid_input")


def test_import_says_which_member_each_row_became(api: TestClient, admin: Headers) -> None:
    existing = api.post("/v1/members", json=member_body(email="old@example.org"),
                        headers=admin).json()["id"]  # fmt: skip
    csv = ("email,external_id,consent_given_at,consent_source\n"
           "new@example.org,N-1,2026-10-01T08:00:00Z,form\n"
           "broken,N-2,2026-10-01T08:00:00Z,form\n"
           "old@example.org,O-1,2026-10-01T08:00:00Z,form\n")  # fmt: skip
    report = api.post("/v1/members/import", content=csv.encode(),
                      headers=admin | {"Content-Type": "text/csv"}).json()  # fmt: skip
    rows = {m["row"]: m for m in report["members"]}
    assert sorted(rows) == [2, 4]  # row 3 failed; the header is row 1
    assert rows[2]["created"] is True
    assert (rows[4]["id"], rows[4]["created"]) == (existing, False)
    found = api.get("/v1/members", params={"external_id": "N-1"}, headers=admin).json()
    assert found["members"][0]["id"] == rows[2]["id"]


def test_deliveries_of_one_member_after_a_notice(
    api: TestClient, admin: Headers, publisher: Headers, settings: Settings
) -> None:
    both = member_body(phone="+4915123456789", email="m@example.org")
    member_id = api.post("/v1/members", json=both, headers=admin).json()["id"]
    other = api.post("/v1/members", json=member_body(email="o@example.org", topics=["service"]),
                     headers=admin).json()["id"]  # fmt: skip
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]
    worker.run(settings, burst=True)
    resolve_id = api.post(f"/v1/notices/{notice_id}/resolve", headers=publisher).json()["id"]
    worker.run(settings, burst=True)
    got = api.get(f"/v1/members/{member_id}/deliveries", headers=admin).json()["deliveries"]
    assert [(d["notice_id"], d["stage"], d["channel"], d["state"]) for d in got] == [
        (resolve_id, "resolve", "email", "sent"), (resolve_id, "resolve", "sms", "sent"),
        (notice_id, "alert", "email", "sent"), (notice_id, "alert", "sms", "sent"),
    ]  # fmt: skip
    assert api.get(f"/v1/members/{other}/deliveries", headers=admin).json()["deliveries"] == []
    assert_error(api.get("/v1/members/99/deliveries", headers=admin), 404, "not_found")
