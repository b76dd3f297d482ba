"""The cascade: of a notice's Telegram recipients, those who did not press "understood"
within T (or whose message failed) get it by SMS, or by email when they have no phone;
those who pressed do not; the next step takes the SMS recipients who did not answer on to
email; GET /v1/notices/{id} shows how many were cascaded where."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.core.errors import ConfigError
from lifeline.db import connect_rq
from lifeline.delivery import worker
from lifeline.notices import NoticeStore
from tests.acknowledgements.conftest import T, add_member
from tests.acknowledgements.test_acknowledge import press, sms, unacknowledged
from tests.api.helpers import TestClient
from tests.delivery.test_fanout import NOTICE, outbox_lines
from tests.providers.botapi import BotApiServer

CASCADE = {"after_seconds": 1, "order": ["telegram", "sms", "email"]}


def notice_of(app: TestClient, notice_id: int) -> dict[str, Any]:
    answer = app.get(f"/v1/notices/{notice_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def scheduled_cascades(settings: Settings) -> list[str]:
    queue = Queue(defaults.QUEUE_PLAN, connection=connect_rq(settings.redis.url))
    registry = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call]  # rq
    return [job_id for job_id in registry.get_job_ids() if job_id.startswith("ll-cascade-")]


def work_until(settings: Settings, done: Callable[[], bool]) -> None:
    """Run the worker in bursts (its scheduler queues the jobs that are due at the start of
    each) until ``done``; waits a little between bursts, so that T can pass."""
    for _ in range(100):
        worker.run(settings, burst=True)
        if done():
            return
        time.sleep(0.1)
    raise AssertionError("the cascade did not get there")


def telegram_chats(bot_api: BotApiServer) -> list[int | str]:
    """The members' chats the notice went to (the public broadcast channel left out)."""
    return sorted(m.chat_id for m in bot_api.delivered if isinstance(m.chat_id, int))


def recipients(settings: Settings, kind: str) -> list[object]:
    return sorted(line["member_id"] for line in outbox_lines(settings, kind))  # type: ignore[type-var]


def test_who_did_not_press_within_t_gets_the_sms_and_who_pressed_does_not(
    app: TestClient,
    settings: Settings,
    redis_client: redis.Redis,
    bot_api: BotApiServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Steps after the first look again at once rather than after 15 s (the test's pace).
    monkeypatch.setattr(defaults, "CASCADE_RECHECK_SECONDS", 0)
    pressed = add_member(redis_client, "de", telegram_chat_id=7001, phone="+4915123456701")
    silent = add_member(redis_client, "de", telegram_chat_id=7002, phone="+4915123456702")
    blocked = add_member(redis_client, "en", telegram_chat_id=7003, phone="+4915123456703",
                         email="blocked@example.org")  # fmt: skip
    no_phone = add_member(redis_client, "en", telegram_chat_id=7004, email="np@example.org")
    bot_api.blocked_chats.add(7003)
    answer = app.post("/v1/notices", json={**NOTICE, "channels": ["telegram"], "cascade": CASCADE})
    assert answer.status_code == 202, answer.text
    notice_id = answer.json()["id"]
    worker.run(settings, burst=True)
    assert telegram_chats(bot_api) == [7001, 7002, 7004]  # 7003 blocked the bot: failed
    assert scheduled_cascades(settings)  # step 1 waits in RQ's scheduler
    assert recipients(settings, "sms") == []
    press(app, 7001, f"ack:{notice_id}", bot_api.messages_to(7001)[0].message_id)

    store = NoticeStore(redis_client)
    work_until(settings, lambda: store.field(T, notice_id, "done_at:sms") is not None)
    assert recipients(settings, "sms") == sorted([silent, blocked])
    assert pressed not in recipients(settings, "sms")  # pressed within T: no SMS
    assert recipients(settings, "email") == [no_phone]  # no phone: the next channel it has
    assert telegram_chats(bot_api) == [7001, 7002, 7004]  # nobody got Telegram twice
    shown = notice_of(app, notice_id)["cascade"]
    assert shown["cascaded_from"] == {"telegram": 3, "email": 0, "sms": 0}
    assert shown["cascaded_to"] == {"telegram": 0, "email": 1, "sms": 2}
    assert shown["steps_done"] == 1
    assert shown["progress"]["sms"]["sent"] == 2
    assert (silent, "sms") in unacknowledged(app, notice_id)

    # Step 2, SMS → email: the one who answered "OK" stays, the other moves on.
    assert sms(app, "+4915123456702", "OK") == {"action": "acknowledged"}
    work_until(settings, lambda: notice_of(app, notice_id)["cascade"]["steps_done"] == 2)
    assert recipients(settings, "email") == sorted([no_phone, blocked])
    shown = notice_of(app, notice_id)["cascade"]
    assert shown["cascaded_from"] == {"telegram": 3, "email": 0, "sms": 1}
    assert shown["cascaded_to"] == {"telegram": 0, "email": 2, "sms": 2}
    assert notice_of(app, notice_id)["acknowledged"]["total"] == 2
    assert scheduled_cascades(settings) == []  # the last step schedules none

    # An update reaches the cascaded members too, on the channel the cascade reached them on.
    update = app.post(
        f"/v1/notices/{notice_id}/updates", json={"body": {"de": "Besser.", "en": "Better."}}
    )
    assert update.status_code == 202
    worker.run(settings, burst=True)
    assert recipients(settings, "sms") == sorted([silent, blocked] * 2)
    assert recipients(settings, "email") == sorted([no_phone, blocked] * 2)


def test_a_resolved_notice_cascades_nobody(
    app: TestClient, settings: Settings, redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    add_member(redis_client, "de", telegram_chat_id=7002, phone="+4915123456702")
    answer = app.post("/v1/notices", json={**NOTICE, "channels": ["telegram"], "cascade": CASCADE})
    notice_id = answer.json()["id"]
    worker.run(settings, burst=True)
    assert app.post(f"/v1/notices/{notice_id}/resolve").status_code == 202
    time.sleep(1.1)  # T passes: the step is due, and finds the notice resolved
    worker.run(settings, burst=True)
    assert scheduled_cascades(settings) == []
    assert notice_of(app, notice_id)["cascade"]["cascaded_from"]["telegram"] == 0
    # The all-clear went to the Telegram recipient only; no SMS at all.
    assert recipients(settings, "sms") == []


def test_the_tenant_cascade_applies_and_a_notice_can_switch_it_off(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    tenant = make_settings(cascade={"after_seconds": 600, "order": ["telegram", "email"]})
    key = apikeys.create(redis_client, T, {"publisher"}, name="test")
    with TestClient(create_app(tenant)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        first = client.post("/v1/notices", json=NOTICE).json()["id"]
        off = client.post("/v1/notices", json={**NOTICE, "cascade": {"enabled": False}})
        own = client.post("/v1/notices", json={**NOTICE, "cascade": {"after_seconds": 60}})
        assert notice_of(client, first)["cascade"]["order"] == ["telegram", "email"]
        assert notice_of(client, first)["cascade"]["after_seconds"] == 600
        assert notice_of(client, off.json()["id"])["cascade"] is None
        assert notice_of(client, own.json()["id"])["cascade"]["after_seconds"] == 60


def test_bad_cascades_are_refused_naming_the_field(
    app: TestClient, make_settings: Callable[..., Settings]
) -> None:
    for cascade, where in [
        ({"order": ["telegram", "fax"]}, "cascade"),
        ({"order": ["telegram", "telegram"]}, "cascade"),
        ({"after_seconds": 0}, "cascade"),
        ({"when": 1}, "cascade"),
    ]:
        answer = app.post("/v1/notices", json={**NOTICE, "cascade": cascade})
        assert answer.status_code == 422, answer.text
        assert where in answer.text
    outbox = {"provider": "outbox", "path": "outbox"}
    narrow = make_settings(channels={"telegram": outbox, "email": outbox})
    with TestClient(create_app(narrow)) as client:
        client.headers.update(app.headers)
        answer = client.post(
            "/v1/notices", json={**NOTICE, "cascade": {"order": ["telegram", "sms"]}}
        )
        assert answer.status_code == 422, answer.text
        assert "cascade.order" in answer.text
    with pytest.raises(ConfigError, match="cascade"):
        make_settings(channels={"telegram": {"provider": "outbox", "path": "o"}},
                      cascade={"order": ["telegram", "sms"]})  # fmt: skip


def test_a_notice_starting_later_in_the_order_cascades_from_its_own_channel(
    app: TestClient, settings: Settings, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(defaults, "CASCADE_RECHECK_SECONDS", 0)
    member = add_member(redis_client, "de", phone="+4915123456702", email="m@example.org")
    answer = app.post("/v1/notices", json={**NOTICE, "channels": ["sms"], "cascade": CASCADE})
    notice_id = answer.json()["id"]
    work_until(settings, lambda: notice_of(app, notice_id)["cascade"]["steps_done"] == 2)
    assert recipients(settings, "sms") == [member]
    assert recipients(settings, "email") == [member]  # SMS not answered: on to email
    shown = notice_of(app, notice_id)["cascade"]
    assert shown["cascaded_from"] == {"telegram": 0, "email": 0, "sms": 1}
