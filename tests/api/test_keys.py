"""``/v1/keys``: a tenant's admins list, create, rotate and revoke its API keys (issue 10.7),
and failed authentications are limited per address (issue 10.8)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from lifeline.access import apikeys
from lifeline.core import defaults
from tests.api.conftest import Headers, KeyMaker
from tests.api.helpers import TestClient, assert_error


def bearer(key: str) -> Headers:
    return {"Authorization": f"Bearer {key}"}


def create(api: TestClient, admin: Headers, **body: object) -> dict[str, object]:
    response = api.post(
        "/v1/keys", json={"label": "crisis desk", "roles": ["publisher"]} | body, headers=admin
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_created_key_is_shown_once_and_works(api: TestClient, admin: Headers) -> None:
    created = create(api, admin)
    key = str(created["key"])
    assert key.startswith("ll_")
    assert api.get("/v1/notices", headers=bearer(key)).status_code == 200
    listed = api.get("/v1/keys", headers=admin).json()["keys"]
    mine = next(k for k in listed if k["id"] == created["id"])
    assert mine["label"] == "crisis desk"
    assert mine["roles"] == ["publisher"]
    assert mine["last_used_at"] is not None
    assert key not in str(listed)
    assert set(mine) == {"id", "label", "roles", "created_at", "last_used_at", "expires_at",
                         "expired"}  # fmt: skip


def test_a_revoked_key_stops_working(api: TestClient, admin: Headers) -> None:
    created = create(api, admin)
    assert api.delete(f"/v1/keys/{created['id']}", headers=admin).status_code == 204
    assert_error(api.get("/v1/notices", headers=bearer(str(created["key"]))), 401, "unauthorized")
    assert_error(api.delete(f"/v1/keys/{created['id']}", headers=admin), 404, "not_found")


def test_a_rotated_key_is_replaced_by_one_with_the_same_grant(
    api: TestClient, admin: Headers
) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    old = create(api, admin, roles=["publisher", "support"], expires_at=later.isoformat())
    response = api.post(f"/v1/keys/{old['id']}/rotate", headers=admin)
    assert response.status_code == 201, response.text
    new = response.json()
    assert (new["label"], new["roles"]) == (old["label"], old["roles"])
    assert datetime.fromisoformat(new["expires_at"]) == later
    assert api.get("/v1/notices", headers=bearer(new["key"])).status_code == 200
    assert api.get("/v1/notices", headers=bearer(str(old["key"]))).status_code == 401


def test_an_expired_key_is_refused_and_listed_as_expired(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    created = create(api, admin, expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    key = str(created["key"])
    # An hour passes: the expiry as stored, moved into the past.
    redis_client.hset(f"ll:apikey:{apikeys.digest(key)}", "expires", int(time.time()) - 1)
    assert_error(api.get("/v1/notices", headers=bearer(key)), 401, "unauthorized", "expired")
    listed = api.get("/v1/keys", headers=admin).json()["keys"]
    assert next(k for k in listed if k["id"] == created["id"])["expired"] is True
    assert_error(api.post(f"/v1/keys/{created['id']}/rotate", headers=admin), 409, "conflict")


def test_last_use_is_written_at_most_once_a_minute(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    key = str(create(api, admin)["key"])
    stored = f"ll:apikey:{apikeys.digest(key)}"
    api.get("/v1/notices", headers=bearer(key))
    first = redis_client.hget(stored, "used")
    redis_client.hset(stored, "used", int(time.time()) - 30)
    api.get("/v1/notices", headers=bearer(key))
    assert redis_client.hget(stored, "used") == str(int(time.time()) - 30)  # not yet a minute
    redis_client.hset(stored, "used", int(time.time()) - 61)
    api.get("/v1/notices", headers=bearer(key))
    assert int(redis_client.hget(stored, "used") or 0) >= int(first or 0)


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"label": "x", "roles": []}, "body.roles"),
        ({"label": "x", "roles": ["root"]}, "body.roles"),
        ({"label": "x", "roles": ["admin", "admin"]}, "body.roles"),
        ({"label": "", "roles": ["admin"]}, "body.label"),
        ({"label": "x", "roles": ["admin"], "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
    ],
)
def test_a_bad_key_request_is_a_422(
    api: TestClient, admin: Headers, body: dict[str, object], mentions: str
) -> None:
    assert_error(api.post("/v1/keys", json=body, headers=admin), 422, "invalid_input", mentions)


def test_only_admins_of_the_tenant_manage_its_keys(
    api: TestClient, admin: Headers, make_key: KeyMaker
) -> None:
    created = create(api, admin)
    publisher, other_admin = make_key("publisher"), make_key("admin", tenant="other-kk")
    assert_error(api.get("/v1/keys", headers=publisher), 403, "forbidden")
    assert str(created["id"]) not in str(api.get("/v1/keys", headers=other_admin).json())
    assert_error(api.delete(f"/v1/keys/{created['id']}", headers=other_admin), 404, "not_found")


def test_failed_authentications_get_429_past_the_limit(
    api: TestClient, publisher: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lifeline.access.throttle")
    wrong = [bearer(f"ll_wrong{i:040d}") for i in range(defaults.AUTH_FAILURES_PER_WINDOW + 5)]
    statuses = [api.get("/v1/notices", headers=h).status_code for h in wrong]
    limit = defaults.AUTH_FAILURES_PER_WINDOW
    assert statuses == [401] * limit + [429] * 5
    refused = api.get("/v1/notices", headers=wrong[0])
    assert_error(refused, 429, "too_many_requests")
    assert 0 < int(refused.headers["Retry-After"]) <= defaults.AUTH_FAILURE_WINDOW_SECONDS
    # A valid key from the same address still works: only failures are held up.
    assert api.get("/v1/notices", headers=publisher).status_code == 200
    warnings = [r for r in caplog.records if "failed API authentications" in r.getMessage()]
    assert len(warnings) == 1
