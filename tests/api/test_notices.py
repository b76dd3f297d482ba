"""``/v1/notices``: posting queues exactly one planning job; progress is read per channel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.delivery import records
from lifeline.notices import NoticeStore
from tests.api.conftest import Headers, KeyMaker
from tests.api.helpers import NOTICE, TestClient, assert_error, plan_jobs


def test_post_accepts_stores_and_queues_one_plan_job(
    api: TestClient, publisher: Headers, rq_client: redis.Redis
) -> None:
    response = api.post("/v1/notices", json=NOTICE, headers=publisher)

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted == {"id": accepted["id"], "status": "active", "replayed": False}
    assert response.headers["Location"] == f"/v1/notices/{accepted['id']}"
    assert plan_jobs(rq_client) == 1
    shown = api.get(response.headers["Location"], headers=publisher).json()
    assert shown["headline"] == NOTICE["headline"]
    assert shown["planning"] == "queued"


def test_idempotency_key_replays_the_first_notice(
    api: TestClient, publisher: Headers, rq_client: redis.Redis, redis_client: redis.Redis
) -> None:
    headers = publisher | {"Idempotency-Key": "incident-2026-11-29"}

    first = api.post("/v1/notices", json=NOTICE, headers=headers)
    again = api.post("/v1/notices", json=NOTICE, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.json() == {"id": first.json()["id"], "status": "active", "replayed": True}
    assert again.headers["Location"] == first.headers["Location"]
    assert len(NoticeStore(redis_client).list("demo-bkk")) == 1
    assert plan_jobs(rq_client) == 1


def test_idempotency_key_with_another_body_is_a_conflict(
    api: TestClient, publisher: Headers, rq_client: redis.Redis, redis_client: redis.Redis
) -> None:
    headers = publisher | {"Idempotency-Key": "k-1"}
    api.post("/v1/notices", json=NOTICE, headers=headers)
    size = redis_client.dbsize()

    response = api.post("/v1/notices", json=NOTICE | {"severity": "critical"}, headers=headers)

    assert_error(response, 409, "conflict", "Idempotency-Key")
    assert redis_client.dbsize() == size
    assert plan_jobs(rq_client) == 1


def test_idempotency_key_longer_than_255_is_refused(
    api: TestClient, publisher: Headers, rq_client: redis.Redis
) -> None:
    response = api.post(
        "/v1/notices", json=NOTICE, headers=publisher | {"Idempotency-Key": "k" * 256}
    )

    assert_error(response, 422, "invalid_input", "header.Idempotency-Key")
    assert plan_jobs(rq_client) == 0


NO_RECEIPTS = {"delivered": 0, "undeliverable": 0}
"""Progress fields of providers' delivery receipts, none yet (tests/web/test_receipts.py)."""


def test_get_shows_progress_per_channel(
    api: TestClient, publisher: Headers, redis_client: redis.Redis
) -> None:
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]
    # What the planner and the batch jobs record, written the way they write it.
    for kind, total in (("telegram", 3), ("email", 2), ("sms", 0)):
        records.set_total(redis_client, "demo-bkk", notice_id, kind, total)
    counts, reasons = records.counts_key, records.reasons_key
    redis_client.hset(counts("demo-bkk", notice_id, "telegram"), mapping={"sent": 1, "failed": 1})
    redis_client.hset(reasons("demo-bkk", notice_id, "telegram"), "bot was blocked", 1)
    redis_client.hset(counts("demo-bkk", notice_id, "email"), mapping={"sent": 1, "skipped": 1})
    NoticeStore(redis_client).mark("demo-bkk", notice_id, plan="done")

    shown = api.get(f"/v1/notices/{notice_id}", headers=publisher).json()

    assert shown["planning"] == "done"
    assert shown["progress"] == {
        "telegram": {"total": 3, "sent": 1, "failed": 1, "skipped": 0, "pending": 1,
                     "complete": False, "rate": 0.0, "eta_seconds": None,
                     "failure_reasons": {"bot was blocked": 1}, **NO_RECEIPTS},
        "email": {"total": 2, "sent": 1, "failed": 0, "skipped": 1, "pending": 0,
                  "complete": True, "rate": 0.0, "eta_seconds": 0.0, "failure_reasons": {},
                  **NO_RECEIPTS},
        "sms": {"total": 0, "sent": 0, "failed": 0, "skipped": 0, "pending": 0,
                "rate": 0.0, "eta_seconds": 0.0,
                "complete": True, "failure_reasons": {}, **NO_RECEIPTS},
    }  # fmt: skip
    assert shown["complete"] is False

    redis_client.hincrby(counts("demo-bkk", notice_id, "telegram"), "sent", 1)
    shown = api.get(f"/v1/notices/{notice_id}", headers=publisher).json()
    assert shown["complete"] is True


def test_not_complete_before_planning_is_done(api: TestClient, publisher: Headers) -> None:
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]

    shown = api.get(f"/v1/notices/{notice_id}", headers=publisher).json()

    assert all(p["pending"] == 0 for p in shown["progress"].values())
    assert shown["complete"] is False
    assert not any(p["complete"] for p in shown["progress"].values())


def test_list_active_first_then_newest(
    api: TestClient, publisher: Headers, redis_client: redis.Redis
) -> None:
    ids = [api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"] for _ in range(3)]
    NoticeStore(redis_client).mark("demo-bkk", ids[2], status="resolved")

    listed = api.get("/v1/notices", headers=publisher).json()["notices"]
    limited = api.get("/v1/notices", params={"limit": 1}, headers=publisher).json()["notices"]

    assert [n["id"] for n in listed] == [ids[1], ids[0], ids[2]]
    assert [n["status"] for n in listed] == ["active", "active", "resolved"]
    assert set(listed[0]["progress"]) == {"telegram", "email", "sms"}
    assert len(limited) == 1


@pytest.mark.parametrize("limit", [0, 201, "many"])
def test_list_limit_out_of_range(api: TestClient, publisher: Headers, limit: object) -> None:
    response = api.get("/v1/notices", params={"limit": limit}, headers=publisher)

    assert_error(response, 422, "invalid_input", "query.limit")


def test_support_may_read_but_not_post(
    api: TestClient, publisher: Headers, make_key: KeyMaker, rq_client: redis.Redis
) -> None:
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]
    support = make_key("support")

    assert api.get(f"/v1/notices/{notice_id}", headers=support).status_code == 200
    assert api.get("/v1/notices", headers=support).status_code == 200
    response = api.post("/v1/notices", json=NOTICE, headers=support)

    assert_error(response, 403, "forbidden", "publisher")
    assert plan_jobs(rq_client) == 1


def test_another_tenants_notice_is_not_found(
    api: TestClient, publisher: Headers, make_key: KeyMaker
) -> None:
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]
    other = make_key("publisher", tenant="other-kk")

    response = api.get(f"/v1/notices/{notice_id}", headers=other)

    assert_error(response, 404, "not_found", str(notice_id))
    assert api.get("/v1/notices", headers=other).json() == {"notices": []}


def test_unknown_notice_is_not_found(api: TestClient, publisher: Headers) -> None:
    assert_error(api.get("/v1/notices/999", headers=publisher), 404, "not_found", "999")


def test_preview_renders_every_channel_and_stores_nothing(
    api: TestClient, publisher: Headers, redis_client: redis.Redis, rq_client: redis.Redis
) -> None:
    size = redis_client.dbsize()

    response = api.post("/v1/notices/preview", json=NOTICE, headers=publisher)

    assert response.status_code == 200, response.text
    preview = response.json()
    assert set(preview) == {"telegram", "email", "sms"}
    assert set(preview["email"]) == {"de", "en"}
    assert "Online-Filiale" in preview["email"]["de"]["subject"]
    assert preview["sms"]["de"]["segments"] >= 1
    # What the SMS left out, per language (issue 10.12); the contract's JSON carries it.
    assert all(isinstance(e["dropped"], list) for e in preview["sms"].values())
    assert redis_client.dbsize() == size
    assert plan_jobs(rq_client) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topics": ["weather"]}, "topics"),
        ({"services": ["teleportation"]}, "services"),
        # '⚠' is not in the GSM alphabet: 67 characters per SMS part, 3 parts allowed.
        ({"headline": {"de": "⚠ Störung " + "x" * 180, "en": "Outage"}}, "headline.de"),
    ],
)
def test_preview_and_post_run_the_tenants_checks(
    api: TestClient,
    publisher: Headers,
    redis_client: redis.Redis,
    rq_client: redis.Redis,
    change: dict[str, object],
    field: str,
) -> None:
    size = redis_client.dbsize()

    for path in ("/v1/notices/preview", "/v1/notices"):
        response = api.post(path, json=NOTICE | change, headers=publisher)
        error = assert_error(response, 422, "invalid_input", f"{field}:")
        assert error["details"][0]["field"] == field

    assert redis_client.dbsize() == size
    assert plan_jobs(rq_client) == 0


def test_channel_the_tenant_lacks_is_refused(
    api: TestClient, make_key: KeyMaker, rq_client: redis.Redis
) -> None:
    other = make_key("publisher", tenant="other-kk")

    response = api.post("/v1/notices", json=NOTICE, headers=other)

    assert_error(response, 422, "invalid_input", "channels:", "telegram")
    assert plan_jobs(rq_client) == 0


@pytest.mark.parametrize("cursor", ["email:" + "9" * 25, "email:-1", "fax:0", "email:"])
def test_a_failures_cursor_out_of_range_is_refused(
    api: TestClient, publisher: Headers, cursor: str
) -> None:
    # Issue 10.4: a 25-digit offset reached Redis and came back as a 500.
    notice_id = api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"]
    response = api.get(
        f"/v1/notices/{notice_id}/failures", params={"cursor": cursor}, headers=publisher
    )
    assert_error(response, 422, "invalid_input", "query.cursor")


def test_notice_ids_tell_a_tenant_nothing_about_the_others(
    api: TestClient, publisher: Headers, make_key: KeyMaker
) -> None:
    # Issue 10.15: with one counter for all tenants, ids gave away how much others posted.
    other = make_key("publisher", tenant="other-kk")
    email_only = NOTICE | {"channels": ["email"]}
    ids = [api.post("/v1/notices", json=NOTICE, headers=publisher).json()["id"] for _ in range(3)]
    theirs = api.post("/v1/notices", json=email_only, headers=other).json()["id"]
    assert ids == [1, 2, 3]
    assert theirs == 1
    assert api.get(f"/v1/notices/{ids[2]}", headers=other).status_code == 404


def test_preview_with_a_broken_template_names_it(
    make_settings: Callable[..., Settings], make_key: KeyMaker, tmp_path: Path
) -> None:
    # Issue 10.5: the template's file and line, as a 422, not a 500.
    folder = tmp_path / "templates" / "de"
    folder.mkdir(parents=True)
    (folder / "telegram.html.j2").write_text("<b>{{ notice.headline }}</b>\n{{ missing() }}\n")
    settings = make_settings(templates_dir=str(tmp_path / "templates"))
    with TestClient(create_app(settings)) as api:
        response = api.post("/v1/notices/preview", json=NOTICE, headers=make_key("publisher"))
    assert_error(response, 422, "invalid_input", "telegram.html.j2:2")
