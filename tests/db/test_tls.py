"""Redis for production: TLS (``rediss://``) and AUTH (a user and password in the URL), against
a real redis-server started with TLS (issue 10.16)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from lifeline.cli.embedded_redis import free_port
from lifeline.core.errors import StoreUnavailable
from lifeline.db import connect, connect_async, connect_rq, ensure_reachable
from lifeline.members import MemberData, MemberStore
from tests import reaper
from tests.providers.smtp import self_signed_cert

PASSWORD = "tls-s3cret"


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server speaking only TLS, with an ACL user; its rediss:// URL."""
    binary = shutil.which("redis-server")
    pair = self_signed_cert(tmp_path)
    if binary is None or pair is None:
        pytest.skip("needs Debian's redis-server and openssl")
    cert, key = pair
    port = free_port()
    acl = tmp_path / "users.acl"
    acl.write_text(f"user lifeline on >{PASSWORD} ~* &* +@all\nuser default off\n")
    server = reaper.spawn(
        [binary, "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert),
         "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no",
         "--aclfile", str(acl), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"rediss://lifeline:{PASSWORD}@127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None:
                err = server.stderr.read().decode() if server.stderr else ""
                if "TLS" in err or "tls" in err:
                    pytest.skip(f"this redis-server has no TLS: {err.strip()[:200]}")
                pytest.fail(f"redis-server with TLS did not start: {err[-500:]}")
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)
    if server.stderr:
        server.stderr.close()


def test_the_store_the_queue_and_the_workers_speak_tls_with_auth(tls_redis: str) -> None:
    members = MemberStore(connect(tls_redis))
    data = MemberData(
        language="de", topics=("outages",), email="tls@example.org",
        consent_given_at=datetime(2026, 11, 1, tzinfo=UTC), consent_source="import",
    )  # fmt: skip
    created = members.create("demo-bkk", data)
    assert members.find("demo-bkk", "email", "tls@example.org") == created
    assert connect_rq(tls_redis, patient=True).ping()

    async def worker_side() -> str | None:
        client = connect_async(tls_redis)
        try:
            await client.set("ll:tls-probe", "ok")
            value = await client.get("ll:tls-probe")
            return str(value) if value is not None else None
        finally:
            await client.aclose()

    assert asyncio.run(worker_side()) == "ok"
    ensure_reachable(tls_redis)


def test_a_wrong_password_is_named_without_the_password(tls_redis: str) -> None:
    wrong = tls_redis.replace(PASSWORD, "not-the-password")
    with pytest.raises(StoreUnavailable) as caught:
        ensure_reachable(wrong)
    assert "not-the-password" not in str(caught.value)
    assert "rediss://lifeline:***@127.0.0.1" in str(caught.value)


def test_plain_text_to_a_tls_port_is_refused(tls_redis: str) -> None:
    plain = tls_redis.replace("rediss://", "redis://", 1).split("?", 1)[0]
    with pytest.raises(StoreUnavailable):
        ensure_reachable(plain)
