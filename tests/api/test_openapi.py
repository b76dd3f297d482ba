"""The OpenAPI document tells the truth (issue 10.13), and the live API survives being fuzzed
against it (schemathesis, every check): no server error, no request past 10 s, no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.cli.embedded_redis import free_port
from tests import reaper
from tests.api.helpers import TestClient, assert_error
from tests.processes import wait_healthy


@pytest.fixture
def schema(api: TestClient) -> dict[str, Any]:
    return dict(api.get("/openapi.json").json())


def test_a_405_names_every_method_of_the_path(api: TestClient, admin: dict[str, str]) -> None:
    for method, path, allowed in [
        ("OPTIONS", "/v1/faq/sick-note", "DELETE, GET, PUT"),
        ("PUT", "/v1/notices", "GET, POST"),
        ("OPTIONS", "/v1/members/5", "DELETE, GET, PATCH"),
        ("GET", "/v1/notices/preview", "POST"),
        ("PATCH", "/v1/members/import", "POST"),
    ]:
        response = api.request(method, path, headers=admin)
        assert_error(response, 405, "method_not_allowed", method)
        assert response.headers["Allow"] == allowed, (method, path)


def test_minimums_and_non_nullable_fields_are_declared(schema: dict[str, Any]) -> None:
    parts = schema["components"]["schemas"]
    headline = parts["NoticeIn"]["properties"]["headline"]
    assert headline["minProperties"] == 1
    assert headline["additionalProperties"]["minLength"] == 1
    patch = parts["MemberPatch"]["properties"]
    for name in ("language", "topics", "consent"):
        assert "null" not in json.dumps(patch[name]), name  # may be left out, not nulled
    assert patch["topics"]["minItems"] == 1
    assert "null" in json.dumps(patch["email"])  # null removes a contact
    key = parts["KeyIn"]["properties"]
    assert key["roles"]["minItems"] == 1
    assert key["label"]["minLength"] == 1


def test_idempotency_key_and_error_answers_are_declared(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    for path in (
        "/v1/notices",
        "/v1/notices/{notice_id}/updates",
        "/v1/notices/{notice_id}/resolve",
    ):
        names = [p["name"] for p in paths[path]["post"].get("parameters", [])]
        assert "Idempotency-Key" in names, path
    for path, operations in paths.items():
        for method, operation in operations.items():
            answers = operation["responses"]
            if "401" in answers:
                assert "429" in answers, (method, path)  # failed logins are limited
            if path.startswith("/v1/"):
                assert {"401", "403", "503"} <= answers.keys(), (method, path)


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_the_live_api_survives_its_own_schema(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis
) -> None:
    config = tmp_path / "lifeline.toml"
    outbox = tmp_path / "outbox"
    config.write_text(
        f"""
[redis]
url = "{redis_url}"

[api]
auth_failures_per_minute = 1000000  # the fuzzer tries wrong keys on purpose

[[tenants]]
id = "demo-bkk"
name = "Demo BKK"
topics = ["outages", "service"]

[tenants.channels.email]
provider = "outbox"
path = "{outbox}"

[tenants.channels.sms]
provider = "outbox"
path = "{outbox}"
""",
        encoding="utf-8",
    )
    key = apikeys.create(redis_client, "demo-bkk", {"admin"}, "fuzzer")
    port = free_port()
    log = tmp_path / "api.log"
    env = {"LIFELINE_CONFIG": str(config), "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        server = reaper.spawn(
            [sys.executable, "-m", "lifeline", "api", "--port", str(port)],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        har = tmp_path / "fuzz.har"
        fuzz = reaper.run(
            [
                str(Path(sys.executable).parent / "schemathesis"), "run", f"{base}/openapi.json",
                "--checks", "all", "-H", f"Authorization: Bearer {key}",
                "--max-time", "120", "--workers", "1", "--seed", "20261201",
                "--request-timeout", "10", "--report", "har", "--report-har-path", str(har),
                "--generation-database", "none", "--output-sanitize", "true",
            ],
            timeout=360, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=tmp_path, env=env,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    report = fuzz.stdout.decode(errors="replace")
    assert har.exists(), report[-3000:]
    entries = json.loads(har.read_text())["log"]["entries"]
    assert len(entries) > 500, report[-3000:]
    server_errors = [e for e in entries if e["response"]["status"] >= 500]
    slow = [e for e in entries if e["time"] > 10_000]
    assert server_errors == [], [
        (e["request"]["method"], e["request"]["url"]) for e in server_errors[:3]
    ]
    assert slow == [], [(e["request"]["url"], e["time"]) for e in slow[:3]]
    assert "Traceback" not in log.read_text(errors="replace")
