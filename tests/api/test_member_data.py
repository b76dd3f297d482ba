"""A member's consent history and data export (DSGVO Art. 7, 15, 20)."""

from __future__ import annotations

from collections.abc import Callable

from lifeline.config import Settings
from lifeline.delivery import worker
from lifeline.members import MemberStore
from tests.api.conftest import Headers, KeyMaker
from tests.api.helpers import NOTICE, TestClient, assert_error, member_body


def test_consents_of_a_member_made_by_the_api_and_an_import(
    api: TestClient, admin: Headers
) -> None:
    made = api.post(
        "/v1/members",
        json=member_body(phone="+4915123456789", email="e@example.org"),
        headers=admin,
    )
    member_id = made.json()["id"]
    history = api.get(f"/v1/members/{member_id}/consents", headers=admin).json()
    assert history["member_id"] == member_id
    assert [(c["action"], c["channel"], c["via"]) for c in history["consents"]] == [
        ("confirmed", "email", "api"), ("confirmed", "sms", "api"),
    ]  # fmt: skip
    assert history["consents"][0]["details"] == {"source": "import"}
    assert history["consents"][0]["at"].startswith("2026-11-01T10:00:00")
    rows = b'{"email": "b@example.org", "consent": {"given_at": "2026-10-01T08:00:00Z", ' \
           b'"source": "paper form"}}\n'  # fmt: skip
    report = api.post("/v1/members/import", content=rows, headers=admin | {
        "Content-Type": "application/x-ndjson"}).json()  # fmt: skip
    assert report["created"] == 1
    found = MemberStore(api.app.state.redis).find("demo-bkk", "email", "b@example.org")  # type: ignore[attr-defined]
    assert found is not None
    imported = api.get(f"/v1/members/{found.id}/consents", headers=admin).json()["consents"]
    assert [(c["via"], c["details"]["source"]) for c in imported] == [("import", "paper form")]


def test_export_holds_member_consents_and_deliveries(
    api: TestClient, admin: Headers, publisher: Headers, settings: Settings
) -> None:
    member_id = api.post("/v1/members", json=member_body(), headers=admin).json()["id"]
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]
    worker.run(settings, burst=True)
    export = api.get(f"/v1/members/{member_id}/export", headers=admin).json()
    assert export["tenant"] == "demo-bkk"
    assert export["member"]["email"] == "erika.mustermann@example.org"
    assert [c["action"] for c in export["consents"]] == ["confirmed"]
    assert export["telegram_chat"] is None
    [delivery] = export["deliveries"]
    assert (delivery["notice_id"], delivery["channel"], delivery["state"]) == (
        notice_id, "email", "sent",
    )  # fmt: skip
    assert delivery["headline"] == NOTICE["headline"]["de"]


def test_unknown_member_and_other_roles(
    api: TestClient, admin: Headers, make_key: KeyMaker
) -> None:
    for path in ("/v1/members/99/consents", "/v1/members/99/export"):
        assert_error(api.get(path, headers=admin), 404, "not_found", "99")
        assert api.get(path, headers=make_key("support")).status_code == 403


def test_erasing_a_member_erases_the_history(
    api: TestClient, admin: Headers, make_settings: Callable[..., Settings]
) -> None:
    member_id = api.post("/v1/members", json=member_body(), headers=admin).json()["id"]
    assert api.delete(f"/v1/members/{member_id}", headers=admin).status_code == 204
    client = api.app.state.redis  # type: ignore[attr-defined]
    assert client.keys(f"ll:t:demo-bkk:consents:{member_id}") == []
