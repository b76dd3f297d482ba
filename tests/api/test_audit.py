"""The audit log (issue 12.7): each admin action once, with the key's label and the client
address; newest first, filtered, paged, bounded; admins only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.audit import Actor, AuditLog
from lifeline.config import Settings
from lifeline.core.vocabulary import AUDIT_ACTIONS
from tests.api.conftest import Headers
from tests.api.helpers import NOTICE, TestClient, member_body

FAQ = {"question": {"de": "Frage?"}, "answer": {"de": "Antwort."}, "keywords": ["x"]}
SCENARIO = {"severity": "minor", "headline": {"de": "Übung", "en": "Drill"}}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """demo-bkk, whose critical notices wait for a second person."""
    return make_settings(approval={"severities": ["critical"]})


def key_of(client: redis.Redis, label: str, *roles: str) -> tuple[Headers, str]:
    key = apikeys.create(client, "demo-bkk", set(roles), label)
    found = apikeys.lookup(client, key)
    assert found is not None
    return {"Authorization": f"Bearer {key}"}, found.id


def audit(api: TestClient, headers: Headers, **params: Any) -> dict[str, Any]:
    answer = api.get("/v1/audit", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_each_admin_action_once_with_label_and_address(
    api: TestClient, redis_client: redis.Redis
) -> None:
    admin, admin_id = key_of(redis_client, "Anna Admin", "admin")
    crisis, crisis_id = key_of(redis_client, "Krisenstab Paul", "publisher")
    replay = {"Idempotency-Key": "post-1"}
    notice_id = api.post("/v1/notices", json=NOTICE, headers=crisis | replay).json()["id"]
    api.post("/v1/notices", json=NOTICE, headers=crisis | replay)  # replayed: no new action
    api.post(f"/v1/notices/{notice_id}/updates", json={"body": {"de": "Neu."}}, headers=crisis)
    api.post(f"/v1/notices/{notice_id}/resolve", headers=crisis)
    member_id = api.post("/v1/members", json=member_body(), headers=admin).json()["id"]
    api.patch(f"/v1/members/{member_id}", json={"language": "en"}, headers=admin)
    rows = b'{"email": "b@example.org", "consent": {"given_at": "2026-10-01T08:00:00Z", ' \
           b'"source": "form"}}\n'  # fmt: skip
    api.post("/v1/members/import", content=rows,
             headers=admin | {"Content-Type": "application/x-ndjson"})  # fmt: skip
    api.delete(f"/v1/members/{member_id}", headers=admin)
    api.put("/v1/faq/sick-note", json=FAQ, headers=admin)
    api.delete("/v1/faq/sick-note", headers=admin)
    made = api.post("/v1/keys", json={"label": "new", "roles": ["support"]}, headers=admin)
    new_id = made.json()["id"]
    rotated = api.post(f"/v1/keys/{new_id}/rotate", headers=admin).json()["id"]
    api.delete(f"/v1/keys/{rotated}", headers=admin)
    second, _ = key_of(redis_client, "Krisenstab Maria", "publisher")
    critical = NOTICE | {"severity": "critical"}
    for decision in ("approve", "reject"):
        waiting = api.post("/v1/notices", json=critical, headers=crisis).json()["id"]
        api.post(f"/v1/notices/{waiting}/{decision}", headers=second)
    api.put("/v1/scenarios/drill", json=SCENARIO, headers=crisis)
    api.post("/v1/scenarios/drill/approve", headers=second)
    api.delete("/v1/scenarios/drill", headers=crisis)
    api.get(f"/v1/notices/{notice_id}", headers=crisis)  # reading is not an action

    entries = audit(api, admin)["entries"]
    counts = Counter(e["action"] for e in entries)
    # every action, each once (three notices posted: one plain, two waiting)
    assert counts == dict.fromkeys(AUDIT_ACTIONS, 1) | {"notice.post": 3}
    assert entries[0]["action"] == "scenario.delete"  # newest first
    by_action = {e["action"]: e for e in entries}
    post = next(e for e in reversed(entries) if e["action"] == "notice.post")
    assert (post["key_id"], post["key_label"]) == (crisis_id, "Krisenstab Paul")
    assert post["address"] == "testclient"
    assert post["target"] == str(notice_id)
    assert by_action["member.delete"]["key_label"] == "Anna Admin"
    assert by_action["member.delete"]["key_id"] == admin_id
    assert by_action["member.import"]["details"]["created"] == "1"
    assert by_action["member.change"]["details"]["fields"] == "language"
    assert by_action["notice.approve"]["key_label"] == "Krisenstab Maria"
    assert by_action["scenario.approve"]["key_label"] == "Krisenstab Maria"
    posts = [e["details"] for e in entries if e["action"] == "notice.post"]
    assert [p.get("approval") for p in posts] == ["severity critical"] * 2 + [None]


def test_filters_pages_and_roles(api: TestClient, redis_client: redis.Redis) -> None:
    admin, _ = key_of(redis_client, "Anna", "admin")
    log = AuditLog(redis_client, "demo-bkk", retention_days=30)
    actor = Actor("k1", "someone", "10.0.0.1")
    for i in range(250):
        log.record("faq.put" if i % 2 else "faq.delete", actor, f"entry-{i}")
    first = audit(api, admin, limit=100)
    assert len(first["entries"]) == 100
    second = audit(api, admin, limit=100, cursor=first["next_cursor"])
    third = audit(api, admin, limit=100, cursor=second["next_cursor"])
    targets = [e["target"] for p in (first, second, third) for e in p["entries"]]
    assert targets == [f"entry-{i}" for i in reversed(range(250))]
    assert third["next_cursor"] is None
    puts = audit(api, admin, action="faq.put", limit=50)
    assert {e["action"] for e in puts["entries"]} == {"faq.put"}
    assert len(puts["entries"]) == 50
    future = audit(api, admin, since="2999-01-01T00:00:00Z")
    assert future["entries"] == []
    assert api.get("/v1/audit", params={"action": "nope"}, headers=admin).status_code == 422
    assert api.get("/v1/audit", params={"cursor": "x"}, headers=admin).status_code == 422
    support, _ = key_of(redis_client, "Sue", "support")
    assert api.get("/v1/audit", headers=support).status_code == 403


def test_a_filter_that_matches_little_still_answers_a_bounded_page(
    api: TestClient, redis_client: redis.Redis
) -> None:
    admin, _ = key_of(redis_client, "Anna", "admin")
    log = AuditLog(redis_client, "demo-bkk", retention_days=30)
    actor = Actor("k1", "someone", "10.0.0.1")
    log.record("key.revoke", actor, "old")
    for i in range(1200):
        log.record("faq.put", actor, f"e{i}")
    page = audit(api, admin, action="key.revoke", limit=10)
    assert page["entries"] == []  # scanned 100 entries (10 pages' worth), found none yet
    while page["next_cursor"]:
        page = audit(api, admin, action="key.revoke", limit=10, cursor=page["next_cursor"])
        if page["entries"]:
            break
    assert [e["target"] for e in page["entries"]] == ["old"]
