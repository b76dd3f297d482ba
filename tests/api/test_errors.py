"""Bad input and bad credentials: the right 4xx in the error shape, and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import RedisConfig, Settings
from tests.api.conftest import Headers, KeyMaker
from tests.api.helpers import NOTICE, TestClient, assert_error, plan_jobs


@pytest.fixture
def unchanged(
    publisher: Headers, redis_client: redis.Redis, rq_client: redis.Redis
) -> Iterator[None]:
    """After the test: the same keys in Redis as before it (the key made), no planning job;
    only a failed authentication leaves its count (``ll:authfail:<address>``)."""
    before = set(redis_client.scan_iter())
    yield
    assert {k for k in redis_client.scan_iter() if not k.startswith("ll:authfail:")} == before
    assert plan_jobs(rq_client) == 0


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (NOTICE | {"colour": "red"}, ["body.colour: unknown field"]),
        (
            NOTICE | {"severity": "apocalyptic"},
            ["body.severity: Input should be 'minor', 'major' or 'critical'"],
        ),
        (
            {k: v for k, v in NOTICE.items() if k != "headline"},
            ["headline: required unless a scenario is named"],
        ),
        (NOTICE | {"headline": {"de": "  "}, "body": {}}, ["body.headline.de"]),
        (NOTICE | {"headline": {"fr": "Panne"}, "body": {}}, ["body.headline.fr"]),
        (NOTICE | {"topics": ["outages", "outages"]}, ["body.topics"]),
        (NOTICE | {"expires_at": "2020-01-01T00:00:00Z"}, ["body.expires_at", "future"]),
        (NOTICE | {"expires_at": "2030-01-01T00:00:00"}, ["body.expires_at", "timezone"]),
        (NOTICE | {"channels": ["pigeon"]}, ["body.channels[0]"]),
        # Several problems at once are all named in one message.
        (NOTICE | {"severity": "x", "services": "app"}, ["body.severity", "body.services"]),
        ([NOTICE], ["body"]),
    ],
)
def test_invalid_notice_bodies(
    api: TestClient, publisher: Headers, body: Any, mentions: list[str]
) -> None:
    response = api.post("/v1/notices", json=body, headers=publisher)

    error = assert_error(response, 422, "invalid_input", *mentions)
    assert error["details"]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "raw",
    [b'{"severity": "major",', b"{'severity': 'major'}", b"\xff\xfe", b'{"a": "\x00"}', b"{}{"],
)
def test_malformed_json(api: TestClient, publisher: Headers, raw: bytes) -> None:
    headers = publisher | {"Content-Type": "application/json"}

    response = api.post("/v1/notices", content=raw, headers=headers)

    assert_error(response, 400, "malformed_json", "malformed JSON: ", "(at character ")


@pytest.mark.usefixtures("unchanged")
def test_json_without_content_type(api: TestClient, publisher: Headers) -> None:
    response = api.post("/v1/notices", content=b"{}", headers=publisher)

    assert_error(response, 422, "invalid_input", "body:", "application/json")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ll_not-a-key", "Bearer ", "Basic dXNlcjpwYXNz", "ll_no-scheme"],
)
def test_missing_or_unknown_key(api: TestClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    for response in (
        api.post("/v1/notices", json=NOTICE, headers=headers),
        api.get("/v1/notices/1", headers=headers),
        api.post("/v1/members", json={}, headers=headers),
    ):
        assert_error(response, 401, "unauthorized", "API key")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key(api: TestClient, redis_client: redis.Redis, rq_client: redis.Redis) -> None:
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"})
    apikeys.revoke(redis_client, "demo-bkk", apikeys.digest(key))

    response = api.post("/v1/notices", json=NOTICE, headers={"Authorization": f"Bearer {key}"})

    assert_error(response, 401, "unauthorized", "revoked")
    assert plan_jobs(rq_client) == 0


def test_support_key_posting_a_notice(
    api: TestClient, make_key: KeyMaker, redis_client: redis.Redis, rq_client: redis.Redis
) -> None:
    support = make_key("support")
    before = set(redis_client.scan_iter())

    response = api.post("/v1/notices", json=NOTICE, headers=support)

    assert_error(response, 403, "forbidden", "publisher")
    assert set(redis_client.scan_iter()) == before
    assert plan_jobs(rq_client) == 0


def test_key_of_a_tenant_no_longer_configured(
    api: TestClient, make_key: KeyMaker, rq_client: redis.Redis
) -> None:
    gone = make_key("admin", tenant="gone-kk")

    for response in (
        api.post("/v1/notices", json=NOTICE, headers=gone),
        api.get("/v1/notices", headers=gone),
    ):
        assert_error(response, 403, "forbidden", "gone-kk")
    assert plan_jobs(rq_client) == 0


def test_unknown_route_and_method(api: TestClient, publisher: Headers) -> None:
    assert_error(api.get("/v1/nothing-here"), 404, "not_found", "/v1/nothing-here")
    response = api.put("/v1/notices", json=NOTICE, headers=publisher)
    assert_error(response, 405, "method_not_allowed", "PUT")
    assert "POST" in response.headers["Allow"]


def test_non_numeric_id(api: TestClient, publisher: Headers) -> None:
    response = api.get("/v1/notices/abc", headers=publisher)

    assert_error(response, 422, "invalid_input", "path.notice_id")


def test_redis_down_is_503_with_retry_after(settings: Settings) -> None:
    down = settings.model_copy(update={"redis": RedisConfig(url="redis://127.0.0.1:1/0")})
    key = {"Authorization": "Bearer ll_anything"}

    with TestClient(create_app(down)) as api:
        responses = [
            api.post("/v1/notices", json=NOTICE, headers=key),
            api.get("/v1/notices/1", headers=key),
            api.get("/readyz"),
        ]
        alive = api.get("/healthz")

    for response in responses:
        assert_error(response, 503, "unavailable", "retry")
        assert int(response.headers["Retry-After"]) > 0
    assert alive.status_code == 200


def test_unexpected_failure_is_500_without_traceback(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    with TestClient(app, raise_server_exceptions=False) as api:
        response = api.get("/boom")

    error = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in error["message"]
