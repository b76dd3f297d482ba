"""Redis behind Sentinel (issue 12.4): the store, RQ and a worker's asyncio client find the
master through a real redis-sentinel, and keep working after a fail-over to the replica."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from lifeline.cli.embedded_redis import free_port
from lifeline.core.errors import StoreUnavailable
from lifeline.db import connect, connect_async, connect_rq, ensure_reachable
from lifeline.db.sentinel import parse
from lifeline.members import MemberData, MemberStore
from tests import reaper

SERVICE = "lifeline-main"


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def sentinel_url(tmp_path: Path) -> Iterator[tuple[str, int, int, int]]:
    """A master, its replica and one Sentinel watching them; (URL, master, replica, sentinel
    ports)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs Debian's redis-server (.ci/run installs it)")
    master, replica, watcher = free_port(), free_port(), free_port()
    common = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
    processes = [
        reaper.spawn([binary, "--port", str(master), "--dir", str(tmp_path), *common],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        reaper.spawn([binary, "--port", str(replica), "--dir", str(tmp_path), *common,
                      "--replicaof", "127.0.0.1", str(master), "--dbfilename", "replica.rdb"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]  # fmt: skip
    until(lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up",
          "the replica to sync")  # fmt: skip
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {watcher}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master} 1\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 5000\n"
    )
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes.append(reaper.spawn([binary, str(conf), "--sentinel"], **quiet))
    until(lambda: len(redis.Redis(port=watcher).sentinel_slaves(SERVICE)) == 1,
          "the Sentinel to see the replica")  # fmt: skip
    yield f"redis+sentinel://127.0.0.1:{watcher}/{SERVICE}/0", master, replica, watcher
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=10)


def test_url_parts() -> None:
    found = parse("rediss+sentinel://app:pw@s1:26379,s2:26380/main/3?ssl_ca_certs=/ca.pem"
                  "&sentinel_password=sp")  # fmt: skip
    assert found.sentinels == [("s1", 26379), ("s2", 26380)]
    assert (found.service, found.db, found.username, found.password) == ("main", 3, "app", "pw")
    assert found.tls
    assert found.options == {"ssl_ca_certs": "/ca.pem"}
    assert found.sentinel_password == "sp"
    for bad in (
        "redis+sentinel://s1:26379",
        "redis+sentinel://s1/main",
        "redis+sentinel://s1:1/m/x",
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - each names its own problem
            parse(bad)


def test_clients_find_the_master_and_follow_a_failover(
    sentinel_url: tuple[str, int, int, int],
) -> None:
    url, master, replica, watcher = sentinel_url
    ensure_reachable(url)
    members = MemberStore(connect(url, patient=True))
    given = datetime(2026, 11, 1, tzinfo=UTC)
    data = MemberData(language="de", topics=("outages",), email="s@example.org",
                      consent_given_at=given, consent_source="import")  # fmt: skip
    created = members.create("demo-bkk", data)
    assert redis.Redis(port=master).exists(f"ll:t:demo-bkk:m:{created.id}")
    assert connect_rq(url, patient=True).ping()

    def failover() -> bool:
        # A Sentinel takes a replica for promotable only once it has its INFO: try again.
        return bool(redis.Redis(port=watcher).sentinel_failover(SERVICE))

    until(failover, "the Sentinel to start a fail-over")

    def moved() -> bool:
        address = redis.Redis(port=watcher).sentinel_get_master_addr_by_name(SERVICE)
        return isinstance(address, tuple) and address[1] == replica

    until(moved, "the fail-over")
    until(lambda: redis.Redis(port=replica).info("replication")["role"] == "master",
          "the replica to be master")  # fmt: skip
    until(lambda: redis.Redis(port=master).info("replication")["role"] == "slave",
          "the old master to follow it")  # fmt: skip
    # The same client, without a restart: its next write lands on the new master.
    second = members.create("demo-bkk", MemberData(language="en", topics=("outages",),
                                                   email="t@example.org"))  # fmt: skip
    assert redis.Redis(port=replica).exists(f"ll:t:demo-bkk:m:{second.id}")
    assert members.find("demo-bkk", "email", "s@example.org") == created

    async def worker_side() -> str | None:
        client = connect_async(url)
        try:
            await client.set("ll:sentinel-probe", "ok")
            value = await client.get("ll:sentinel-probe")
            return str(value) if value is not None else None
        finally:
            await client.aclose()

    assert asyncio.run(worker_side()) == "ok"
    assert redis.Redis(port=replica).get("ll:sentinel-probe") == b"ok"


def test_no_sentinel_is_a_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="cannot reach Redis"):
        ensure_reachable(f"redis+sentinel://127.0.0.1:{free_port()}/{SERVICE}", timeout=0.5)
    with pytest.raises(StoreUnavailable, match="name the Sentinel service"):
        ensure_reachable("redis+sentinel://127.0.0.1:26379")
