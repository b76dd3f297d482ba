"""Issue 14.6: planned batch jobs carry dense members as bitmap slices, and deliver them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import redis
from rq import Queue

from lifeline.config import Settings
from lifeline.db import connect_rq
from lifeline.delivery import context, records, worker
from lifeline.delivery.plan import plan_notice
from lifeline.delivery.queues import queue_name
from lifeline.members import MemberData, MemberStore, batches
from tests.delivery.test_fanout import NOTICE, T, outbox_lines, publish


def test_dense_batches_are_queued_as_slices_and_each_member_gets_it_once(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(worker={"batch_size": 500})
    rows = [
        MemberData(language="de", topics=("outages",), email=f"m{i}@example.org")
        for i in range(1_200)
    ]
    ids = [r[0] for r in MemberStore(redis_client).upsert_many(T, rows)]  # type: ignore[index]
    notice_id = publish(settings, redis_client, NOTICE)
    context.install(settings)
    assert plan_notice(T, notice_id)["email"] == 1_200
    jobs = Queue(queue_name("email"), connection=connect_rq(settings.redis.url)).get_jobs()
    payloads = [job.args[3] for job in jobs]
    assert [type(p) for p in payloads] == [bytes, bytes, bytes]
    assert all(len(p) < 80 for p in payloads)  # 500 members in ~70 bytes, not ~2,600
    assert [i for p in payloads for i in batches.member_ids(p)] == sorted(ids)
    worker.run(settings, burst=True)
    sent = Counter(line["to"] for line in outbox_lines(settings, "email"))
    assert sent == Counter(r.email for r in rows)
    progress = records.progress(redis_client, T, notice_id, ("email",))["email"]
    assert (progress.total, progress.sent, progress.pending) == (1_200, 1_200, 0)
