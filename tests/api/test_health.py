"""``/healthz``, ``/readyz`` and the OpenAPI document."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from lifeline.api import create_app
from lifeline.config import RedisConfig, Settings
from tests.api.helpers import TestClient, assert_error


def test_healthz(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_persistence(api: TestClient, redis_client: redis.Redis) -> None:
    response = api.get("/readyz")

    assert response.status_code == 200, response.text
    ready = response.json()
    assert ready["status"] == "ready"
    aof = redis_client.config_get("appendonly")["appendonly"]
    assert any("AOF" in w for w in ready["warnings"]) == (aof != "yes")


@pytest.fixture
def no_config_url(redis_url: str, redis_client: redis.Redis) -> Iterator[str]:
    """The test database as a user that may not run CONFIG, as on managed Redis."""
    user, password = f"lifeline-test-{secrets.token_hex(4)}", secrets.token_hex(16)
    try:
        redis_client.acl_setuser(
            user,
            enabled=True,
            passwords=[f"+{password}"],
            keys=["*"],
            channels=["*"],
            commands=["+@all", "-config"],
        )
    except redis.ResponseError as exc:
        pytest.skip(f"cannot create an ACL user here: {exc}")
    yield redis_url.replace("redis://", f"redis://{user}:{password}@", 1)
    redis_client.acl_deluser(user)


def test_readyz_when_config_is_refused(settings: Settings, no_config_url: str) -> None:
    limited = settings.model_copy(update={"redis": RedisConfig(url=no_config_url)})

    with TestClient(create_app(limited)) as api:
        response = api.get("/readyz")

    assert response.status_code == 200, response.text
    assert any("cannot check" in w for w in response.json()["warnings"])


def test_openapi_documents_routes_errors_and_bearer(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()

    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/v1/")
    ]
    assert {(path, method) for path, method, _ in operations} >= {
        ("/v1/notices", "post"),
        ("/v1/notices", "get"),
        ("/v1/notices/preview", "post"),
        ("/v1/notices/{notice_id}", "get"),
        ("/v1/notices/{notice_id}/updates", "post"),
        ("/v1/notices/{notice_id}/resolve", "post"),
        ("/v1/notices/{notice_id}/failures", "get"),
        ("/v1/members", "post"),
        ("/v1/members/import", "post"),
        ("/v1/members/{member_id}", "get"),
        ("/v1/members/{member_id}", "patch"),
        ("/v1/members/{member_id}", "delete"),
    }
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        assert op.get("security") == [{"HTTPBearer": []}], (path, method)
        assert {"401", "403", "503"} <= set(op["responses"]), (path, method)
        assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
    assert api.get("/docs").status_code == 200


# --- issue 10.3: a Redis that accepts connections and never answers ------------------------


@pytest.fixture
def frozen_redis_url() -> Iterator[str]:
    """A TCP server that accepts connections and never says a word: a frozen Redis."""
    server = socket.create_server(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.timeout(60)
def test_a_frozen_redis_gets_503_within_seconds_not_a_hang(
    settings: Settings, frozen_redis_url: str
) -> None:
    frozen = settings.model_copy(update={"redis": RedisConfig(url=frozen_redis_url)})
    key = {"Authorization": "Bearer ll_" + "x" * 43}
    with TestClient(create_app(frozen)) as api:
        started = time.monotonic()
        ready = api.get("/readyz")
        ready_took = time.monotonic() - started
        started = time.monotonic()
        listing = api.get("/v1/notices", headers=key)
        listing_took = time.monotonic() - started
    for response in (ready, listing):
        assert_error(response, 503, "unavailable", "retry")
        assert int(response.headers["Retry-After"]) > 0
    # Bounds, not speed: before, /readyz did not answer within 60 s and requests took 30 s.
    assert ready_took < 2.0
    assert listing_took < 8.0


def test_every_answer_has_a_request_id_and_keeps_a_sane_one(api: TestClient) -> None:
    made = api.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    kept = api.get("/healthz", headers={"X-Request-ID": "proxy-abc-123"})
    assert kept.headers["x-request-id"] == "proxy-abc-123"
    odd = api.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"
