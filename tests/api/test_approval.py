"""Four-eyes approval (issue 13.1): a notice the tenant's policy names waits and sends
nothing; the proposer cannot approve it, another person can (delivery starts) or can reject
it (it never goes out); a pending one lapses; every step is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.delivery import worker
from lifeline.members import MemberData, MemberStore
from lifeline.notices.store import notice_key
from tests.api.helpers import NOTICE, TestClient, assert_error, plan_jobs
from tests.delivery.test_fanout import outbox_lines

T = "demo-bkk"
CRITICAL = NOTICE | {"severity": "critical", "channels": ["email"]}
Headers = dict[str, str]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """demo-bkk: critical notices, or any reaching 5 members or more, wait for approval."""
    return make_settings(approval={"severities": ["critical"], "min_audience": 5})


def key(client: redis.Redis, label: str, role: str = "publisher") -> Headers:
    return {"Authorization": f"Bearer {apikeys.create(client, T, {role}, label)}"}


def members(client: redis.Redis, n: int) -> None:
    rows = [MemberData(language="de", topics=("outages",), email=f"m{i}@example.org")
            for i in range(n)]  # fmt: skip
    MemberStore(client).upsert_many(T, rows)


def post(api: TestClient, headers: Headers, body: dict[str, Any] = CRITICAL) -> dict[str, Any]:
    answer = api.post("/v1/notices", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def test_a_critical_notice_waits_until_a_second_person_approves_it(
    api: TestClient, settings: Settings, redis_client: redis.Redis, rq_client: redis.Redis
) -> None:
    members(redis_client, 3)
    paul, paul_again, maria = (key(redis_client, "Paul"), key(redis_client, "Paul"),
                               key(redis_client, "Maria"))  # fmt: skip
    accepted = post(api, paul)
    notice_id = accepted["id"]

    assert accepted["status"] == "pending_approval"
    assert plan_jobs(rq_client) == 0
    worker.run(settings, burst=True)
    assert outbox_lines(settings, "email") == []  # nothing sent while it waits
    shown = api.get(f"/v1/notices/{notice_id}", headers=maria).json()
    assert shown["status"] == "pending_approval"
    assert shown["approval"]["state"] == "pending"
    assert shown["approval"]["proposed_by"] == "Paul"
    assert shown["approval"]["reason"] == "severity critical"
    preview = api.get(f"/v1/notices/{notice_id}/preview", headers=maria)
    assert NOTICE["headline"]["de"] in preview.json()["email"]["de"]["subject"]
    # The proposer cannot approve it: neither with the same key nor with another key of theirs.
    for headers in (paul, paul_again):
        refused = api.post(f"/v1/notices/{notice_id}/approve", headers=headers)
        assert_error(refused, 403, "forbidden", "proposed by 'Paul'", "another person")
    update = api.post(f"/v1/notices/{notice_id}/updates", json={"body": {"de": "x"}},
                      headers=paul)  # fmt: skip
    assert_error(update, 409, "conflict", "never sent", "pending approval")
    assert plan_jobs(rq_client) == 0

    approved = api.post(f"/v1/notices/{notice_id}/approve", json={"note": "checked"},
                        headers=maria)  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "active"
    assert approved.json()["approval"]["decided_by"] == "Maria"
    worker.run(settings, burst=True)
    assert sorted(str(line["to"]) for line in outbox_lines(settings, "email")) == [
        f"m{i}@example.org" for i in range(3)
    ]
    again = api.post(f"/v1/notices/{notice_id}/approve", headers=key(redis_client, "Olga"))
    assert_error(again, 409, "conflict", "already approved")

    log = api.get("/v1/audit", headers=key(redis_client, "Anna", "admin")).json()["entries"]
    steps = [(e["action"], e["key_label"]) for e in reversed(log)]
    assert steps == [("notice.post", "Paul"), ("notice.approve", "Maria")]
    assert log[0]["details"]["note"] == "checked"


def test_a_rejected_notice_never_sends(
    api: TestClient, settings: Settings, redis_client: redis.Redis, rq_client: redis.Redis
) -> None:
    members(redis_client, 3)
    paul, maria = key(redis_client, "Paul"), key(redis_client, "Maria")
    notice_id = post(api, paul)["id"]

    rejected = api.post(f"/v1/notices/{notice_id}/reject", headers=maria)

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    late = api.post(f"/v1/notices/{notice_id}/approve", headers=key(redis_client, "Olga"))
    assert_error(late, 409, "conflict", "already rejected")
    worker.run(settings, burst=True)
    assert plan_jobs(rq_client) == 0
    assert outbox_lines(settings, "email") == []
    log = api.get("/v1/audit", headers=key(redis_client, "Anna", "admin")).json()["entries"]
    assert [e["action"] for e in reversed(log)] == ["notice.post", "notice.reject"]


def test_a_pending_notice_lapses_and_cannot_be_approved_then(
    api: TestClient, settings: Settings, redis_client: redis.Redis
) -> None:
    members(redis_client, 1)
    paul, maria = key(redis_client, "Paul"), key(redis_client, "Maria")
    notice_id = post(api, paul)["id"]
    expires = api.get(f"/v1/notices/{notice_id}", headers=paul).json()["approval"]["expires_at"]
    assert expires  # thirty minutes from now by default; let them pass:
    redis_client.hset(notice_key(T, notice_id), "approval_until", "1")

    assert api.get(f"/v1/notices/{notice_id}", headers=paul).json()["status"] == "expired"
    refused = api.post(f"/v1/notices/{notice_id}/approve", headers=maria)
    assert_error(refused, 409, "conflict", "lapsed")
    worker.run(settings, burst=True)
    assert outbox_lines(settings, "email") == []


def test_a_large_audience_waits_and_a_small_one_does_not(
    api: TestClient, settings: Settings, redis_client: redis.Redis
) -> None:
    paul = key(redis_client, "Paul")
    members(redis_client, 4)
    minor = NOTICE | {"channels": ["email"]}
    assert post(api, paul, minor)["status"] == "active"  # 4 < 5
    members(redis_client, 6)  # m0…m5: m4 and m5 are new
    waiting = post(api, paul, minor)
    assert waiting["status"] == "pending_approval"
    reason = api.get(f"/v1/notices/{waiting['id']}", headers=paul).json()["approval"]["reason"]
    assert reason == "audience of 6 members (policy: from 5)"
    # A drill reaches the testers only, so it is judged by their number.
    drill = post(api, paul, minor | {"status": "exercise"})
    assert drill["status"] == "active"


def test_pending_and_rejected_notices_are_not_public(
    api: TestClient, redis_client: redis.Redis
) -> None:
    paul, maria = key(redis_client, "Paul"), key(redis_client, "Maria")
    waiting = post(api, paul)["id"]
    rejected = post(api, paul)["id"]
    api.post(f"/v1/notices/{rejected}/reject", headers=maria)

    page = api.get(f"/t/{T}?lang=de").text
    feed = api.get(f"/t/{T}/feed.atom").text
    assert NOTICE["headline"]["de"] not in page
    assert f"notice:{waiting}" not in feed
    assert f"notice:{rejected}" not in feed
    api.post(f"/v1/notices/{waiting}/approve", headers=maria)
    assert NOTICE["headline"]["de"] in api.get(f"/t/{T}?lang=de").text


def test_without_a_policy_nothing_waits(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    with TestClient(create_app(make_settings())) as client:
        paul = key(redis_client, "Paul")
        notice = post(client, paul)
        assert notice["status"] == "active"
        answer = client.post(f"/v1/notices/{notice['id']}/approve", headers=key(redis_client, "M"))
        assert_error(answer, 409, "conflict", "does not need approval")


def test_support_keys_cannot_approve(api: TestClient, redis_client: redis.Redis) -> None:
    notice_id = post(api, key(redis_client, "Paul"))["id"]
    answer = api.post(f"/v1/notices/{notice_id}/approve", headers=key(redis_client, "S", "support"))
    assert_error(answer, 403, "forbidden")
