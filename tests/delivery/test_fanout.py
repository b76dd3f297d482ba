"""Fan-out end to end in one process: publish → plan → batches → outbox, via a real RQ worker."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
import redis
from rq import Queue

from lifeline import delivery
from lifeline.channels.outbox import OutboxConfig
from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS
from lifeline.db import connect_rq
from lifeline.delivery import context, records, worker
from lifeline.members import MemberData, MemberStore
from lifeline.notices import NoticeStore
from lifeline.notices.schemas import NoticeIn

T = "demo-bkk"
NOTICE = {
    "severity": "major",
    "headline": {"de": "Störung der App", "en": "App outage"},
    "body": {"de": "Bitte Papier nutzen.", "en": "Please use paper."},
    "services": ["app", "eau"],
    "topics": ["outages"],
}


def seed(client: redis.Redis, n: int) -> list[MemberData]:
    rows = []
    for i in range(n):
        rows.append(
            MemberData(
                language="en" if i % 3 == 0 else "de",
                topics=("outages",) if i % 5 else ("outages", "service"),
                telegram_chat_id=1000 + i if i % 2 == 0 else None,
                email=f"m{i}@example.org" if i % 3 != 1 else None,
                phone=f"+49151{10000000 + i}" if i % 4 == 0 or i % 3 == 1 else None,
                consent_given_at=datetime(2026, 11, 1, tzinfo=UTC),
                consent_source="test",
            )
        )
    MemberStore(client).upsert_many(T, rows)
    return rows


def outbox_lines(settings: Settings, kind: str) -> list[dict[str, object]]:
    config = settings.tenants[0].channels.configured()[kind]
    assert isinstance(config, OutboxConfig)
    path = config.path / T / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def publish(settings: Settings, client: redis.Redis, body: Mapping[str, object]) -> int:
    notice, created = delivery.publish(
        tenant=settings.tenants[0],
        body=NoticeIn.model_validate(body),
        store=NoticeStore(client),
        plan_queue=Queue(defaults.QUEUE_PLAN, connection=connect_rq(settings.redis.url)),
    )
    assert created
    return notice.id


def test_every_subscriber_gets_it_once_per_channel_in_their_language(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(worker={"batch_size": 7})
    rows = seed(redis_client, 60)
    notice_id = publish(settings, redis_client, NOTICE)
    worker.run(settings, burst=True)

    expected = {
        "telegram": {str(r.telegram_chat_id): r.language for r in rows if r.telegram_chat_id},
        "email": {r.email: r.language for r in rows if r.email},
        "sms": {r.phone: r.language for r in rows if r.phone},
    }
    progress = records.progress(redis_client, T, notice_id, CHANNEL_KINDS)
    for kind, wanted in expected.items():
        lines = outbox_lines(settings, kind)
        assert Counter(line["to"] for line in lines) == Counter(wanted.keys())
        assert {line["to"]: line["language"] for line in lines} == wanted
        got = progress[kind]
        assert (got.total, got.sent, got.failed, got.pending) == (len(wanted), len(wanted), 0, 0)
    english = next(line for line in outbox_lines(settings, "email") if line["language"] == "en")
    assert "App outage" in str(english["subject"])


def test_running_the_jobs_again_sends_nothing_twice(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(worker={"batch_size": 5})
    seed(redis_client, 20)
    notice_id = publish(settings, redis_client, NOTICE)
    worker.run(settings, burst=True)
    first = {kind: len(outbox_lines(settings, kind)) for kind in CHANNEL_KINDS}
    # Planning again enqueues the same batches again (as after a crash); all are skipped.
    delivery.enqueue_plan(
        Queue(defaults.QUEUE_PLAN, connection=connect_rq(settings.redis.url)),
        T,
        NoticeStore(redis_client).get(T, notice_id),
    )
    worker.run(settings, burst=True)
    assert {kind: len(outbox_lines(settings, kind)) for kind in CHANNEL_KINDS} == first


def test_notice_reaches_only_its_topics_and_channels(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings()
    rows = seed(redis_client, 30)
    publish(settings, redis_client, {**NOTICE, "topics": ["service"], "channels": ["email"]})
    worker.run(settings, burst=True)
    wanted = sorted(r.email for r in rows if r.email and "service" in r.topics)
    assert sorted(str(line["to"]) for line in outbox_lines(settings, "email")) == wanted
    assert outbox_lines(settings, "sms") == []
    assert outbox_lines(settings, "telegram") == []


def test_member_deleted_before_their_turn_is_skipped(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings()
    store = MemberStore(redis_client)
    keep = store.create(T, MemberData(language="de", topics=("outages",), email="k@example.org"))
    gone = store.create(T, MemberData(language="de", topics=("outages",), email="g@example.org"))
    notice_id = publish(settings, redis_client, {**NOTICE, "channels": ["email"]})
    # Plan here instead of in the worker, then delete: the batch job finds the member gone.
    plan_queue = Queue(defaults.QUEUE_PLAN, connection=connect_rq(settings.redis.url))
    assert plan_queue.count == 1
    plan_queue.empty()  # type: ignore[no-untyped-call]  # rq leaves Queue.empty unannotated
    context.install(settings)
    delivery.plan_notice(T, notice_id)
    store.delete(T, gone.id)
    worker.run(settings, burst=True)
    got = records.progress(redis_client, T, notice_id, ("email",))["email"]
    assert (got.total, got.sent, got.skipped, got.pending) == (2, 1, 1, 0)
    assert [line["to"] for line in outbox_lines(settings, "email")] == [keep.email]


@pytest.mark.parametrize("language", ["de", "en"])
def test_member_language_missing_in_notice_gets_tenant_default(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, language: str
) -> None:
    settings = make_settings(default_language=language)
    MemberStore(redis_client).create(
        T,
        MemberData(
            language="en" if language == "de" else "de", topics=("outages",), email="x@example.org"
        ),
    )
    body = {**NOTICE, "headline": {"de": "Nur Deutsch", "en": "English only"}}
    other = "en" if language == "de" else "de"
    body = {
        **body,
        "headline": {language: cast(dict[str, str], body["headline"])[language]},
        "body": {language: "…"},
    }
    assert other not in body["headline"]
    publish(settings, redis_client, {**body, "channels": ["email"]})
    worker.run(settings, burst=True)
    [line] = outbox_lines(settings, "email")
    assert line["language"] == language


def test_delivery_records_naming_members_expire_after_the_retention(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    # Issue 10.6: who-got-what was kept with no expiry.
    settings = make_settings(worker={"delivery_retention_days": 30})
    seed(redis_client, 5)
    notice_id = publish(settings, redis_client, NOTICE)
    worker.run(settings, burst=True)
    states, counts = (
        records.deliveries_key(T, notice_id, "email"),
        records.counts_key(T, notice_id, "email"),
    )
    assert 29 * 86400 < redis_client.ttl(states) <= 30 * 86400
    assert redis_client.ttl(counts) == -1  # counters name nobody: they stay


def test_a_template_that_fails_at_send_time_fails_its_recipients_not_the_notice(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, tmp_path: Path
) -> None:
    # Issue 10.5: every batch job raised and the notice stayed pending for good.
    broken = tmp_path / "templates" / "de"
    broken.mkdir(parents=True)
    (broken / "email.txt.j2").write_text("Hallo\n{{ notice.headline }}\n{{ nope.value }}\n")
    settings = make_settings(templates_dir=str(tmp_path / "templates"))
    rows = seed(redis_client, 12)
    notice_id = publish(settings, redis_client, NOTICE | {"channels": ["email", "telegram"]})
    worker.run(settings, burst=True)

    progress = records.progress(redis_client, T, notice_id, ("email", "telegram"))
    german = sum(1 for r in rows if r.email and r.language == "de")
    english = sum(1 for r in rows if r.email and r.language == "en")
    assert (progress["email"].failed, progress["email"].sent) == (german, english)
    assert progress["email"].pending == progress["telegram"].pending == 0
    [(reason, count)] = records.failure_reasons(redis_client, T, notice_id, "email").items()
    assert count == german
    assert "email.txt.j2:3" in reason
    assert "'nope' is undefined" in reason


def test_no_address_reaches_the_log(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Threat: personal data in logs (docs/security.md): workers log ids, never addresses.
    caplog.set_level(logging.DEBUG, logger="lifeline")
    settings = make_settings()
    rows = seed(redis_client, 20)
    publish(settings, redis_client, NOTICE)
    worker.run(settings, burst=True)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged, "the worker logged something"
    for row in rows:
        for address in (row.email, row.phone, str(row.telegram_chat_id)):
            if address and address != "None":
                assert address not in logged
