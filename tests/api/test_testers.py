"""The tester flag of members in the API and in imports (issue 13.2, the member side)."""

from __future__ import annotations

from tests.api.conftest import Headers
from tests.api.helpers import TestClient, member_body


def test_tester_in_the_api_and_in_imports(api: TestClient, admin: Headers) -> None:
    made = api.post("/v1/members", json=member_body(tester=True), headers=admin).json()
    assert made["tester"] is True
    plain = api.post("/v1/members", json=member_body(email="p@example.org"), headers=admin).json()
    assert plain["tester"] is False
    changed = api.patch(f"/v1/members/{made['id']}", json={"tester": False}, headers=admin)
    assert changed.json()["tester"] is False
    assert api.patch(f"/v1/members/{made['id']}", json={"tester": None},
                     headers=admin).status_code == 422  # fmt: skip
    csv = ("email,tester,consent_given_at,consent_source\n"
           "c1@example.org,true,2026-10-01T08:00:00Z,form\n"
           "p@example.org,,2026-10-01T08:00:00Z,form\n")  # fmt: skip
    report = api.post("/v1/members/import", content=csv.encode(),
                      headers=admin | {"Content-Type": "text/csv"}).json()  # fmt: skip
    assert report["failed"] == 0, report
    rows = {m["row"]: m["id"] for m in report["members"]}
    assert api.get(f"/v1/members/{rows[2]}", headers=admin).json()["tester"] is True
    # an empty cell changes nothing
    assert api.get(f"/v1/members/{rows[3]}", headers=admin).json()["tester"] is False
