"""Structured logs (issue 12): a real worker's JSON lines parse one by one, carry the notice
and job they belong to, and hold no member's address."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.members import MemberData, MemberStore
from tests.api.helpers import TestClient
from tests.processes import Fleet, wait_until
from tests.providers.smtp import SmtpServer

pytestmark = pytest.mark.slow

NOTICE = {
    "severity": "major",
    "headline": {"de": "Störung der App", "en": "App outage"},
    "services": ["app"],
    "topics": ["outages"],
    "channels": ["email", "sms"],
}


def test_worker_json_lines_carry_the_notice_and_no_address(
    redis_client: redis.Redis,
    write_config: Callable[..., Path],
    fleet: Callable[[Path], Fleet],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    config = write_config(batch_size=10)
    settings = load_settings(config, env={})
    emails = [f"person{i}@example.org" for i in range(30)]
    phones = [f"+49151{40000000 + i}" for i in range(30)]
    rows = [MemberData(language="de", topics=("outages",), email=e, phone=p)
            for e, p in zip(emails, phones, strict=True)]  # fmt: skip
    # Two addresses the SMTP relay refuses: their failure reasons go through the log path.
    smtp_server.rejected[emails[0]] = f"550 5.1.1 <{emails[0]}>: User unknown"
    MemberStore(redis_client).upsert_many("demo-bkk", rows)
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"})
    group = fleet(config)
    group.start(None, "--log-format", "json")
    with TestClient(create_app(settings)) as api:
        api.headers["Authorization"] = f"Bearer {key}"
        notice_id = api.post("/v1/notices", json=NOTICE).json()["id"]
        wait_until(lambda: api.get(f"/v1/notices/{notice_id}").json()["complete"],
                   timeout=60, what="the notice delivered")  # fmt: skip
    group.stop()
    text = group.logs()
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= p.keys() for p in parsed)
    ours = [p for p in parsed if p.get("notice_id") == notice_id]
    assert ours, "no line names the notice"
    assert all(p["tenant"] == "demo-bkk" and p.get("job_id") for p in ours)
    for address in (*emails, *phones):
        assert address not in text
    assert not re.search(r"[\w.+-]+@example\.org", text)
    assert not re.search(r"\+49151\d{6,}", text)
