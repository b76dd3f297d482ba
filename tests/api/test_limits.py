"""The request body cap: announced (Content-Length) and streamed (chunked) bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from starlette.types import Message, Scope

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import ApiConfig, Settings
from tests.api.helpers import NOTICE, TestClient, assert_error, member_body, plan_jobs

LIMIT = 1024
IMPORT_LIMIT = 8192


@pytest.fixture
def small(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    """An API that takes bodies up to 1 KiB, imports up to 8 KiB."""
    api = ApiConfig(max_body_bytes=LIMIT, import_max_body_bytes=IMPORT_LIMIT)
    with TestClient(create_app(settings.model_copy(update={"api": api}))) as client:
        yield client


@pytest.fixture
def admin_key(redis_client: redis.Redis) -> dict[str, str]:
    """Headers of an admin key (allowed everything, so only the size can be refused)."""
    return {"Authorization": f"Bearer {apikeys.create(redis_client, 'demo-bkk', {'admin'})}"}


def padded_notice(size: int) -> bytes:
    """A valid notice JSON padded with spaces to ``size`` bytes."""
    raw = json.dumps(NOTICE).encode()
    return raw + b" " * (size - len(raw))


def chunks(data: bytes, size: int = 256) -> Iterator[bytes]:
    """A generator body: httpx sends it chunked, without Content-Length."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_body_at_the_limit_is_read(small: TestClient, admin_key: dict[str, str]) -> None:
    headers = admin_key | {"Content-Type": "application/json"}

    response = small.post("/v1/notices", content=padded_notice(LIMIT), headers=headers)

    assert response.status_code == 202, response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_limit_is_refused_unread(
    small: TestClient,
    admin_key: dict[str, str],
    redis_client: redis.Redis,
    rq_client: redis.Redis,
    chunked: bool,
) -> None:
    before = set(redis_client.scan_iter())
    data = padded_notice(LIMIT + 1)
    headers = admin_key | {"Content-Type": "application/json"}

    response = small.post("/v1/notices", content=chunks(data) if chunked else data, headers=headers)

    assert_error(response, 413, "payload_too_large", str(LIMIT))
    assert set(redis_client.scan_iter()) == before
    assert plan_jobs(rq_client) == 0


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_imports_have_their_own_limit(
    small: TestClient, admin_key: dict[str, str], redis_client: redis.Redis, chunked: bool
) -> None:
    row = json.dumps(member_body(telegram_chat_id=1)).encode()
    fits = row + b"\n" * (IMPORT_LIMIT - len(row))
    too_big = fits + b"\n"
    headers = admin_key | {"Content-Type": "application/x-ndjson"}

    before = set(redis_client.scan_iter())
    refused = small.post(
        "/v1/members/import", content=chunks(too_big) if chunked else too_big, headers=headers
    )
    assert_error(refused, 413, "payload_too_large", str(IMPORT_LIMIT))
    assert set(redis_client.scan_iter()) == before

    accepted = small.post(
        "/v1/members/import", content=chunks(fits) if chunked else fits, headers=headers
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["created"] == 1


async def test_streaming_stops_at_the_first_chunk_over_the_limit(settings: Settings) -> None:
    """Straight over ASGI, so the body really arrives in pieces; the rest is never read."""
    app = create_app(settings.model_copy(update={"api": ApiConfig(max_body_bytes=LIMIT)}))
    pieces = [b"x" * 512] * 10
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": pieces[read - 1], "more_body": read < len(pieces)}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/notices",
        "raw_path": b"/v1/notices",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    try:
        await app(scope, receive, send)
    finally:
        app.state.redis.close()
        app.state.rq_redis.close()

    assert sent[0]["status"] == 413
    assert read == 3  # 1536 bytes: the third chunk crossed 1024, the other seven were not read
