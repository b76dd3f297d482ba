"""Acknowledgements: a Telegram button press through the bot's webhook, the email link's
page (GET shows, POST acknowledges) and an SMS "OK" are counted in GET /v1/notices/{id},
and the list of who has not acknowledged shrinks accordingly, page by page."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import redis

from lifeline.config import Settings
from lifeline.delivery import worker
from tests.acknowledgements.conftest import INBOUND_TOKEN, T, add_member
from tests.api.helpers import TestClient
from tests.bot.conftest import SECRET, WEBHOOK
from tests.bot.updates import Person, bot_message
from tests.delivery.test_fanout import NOTICE, outbox_lines
from tests.providers.botapi import BotApiServer

ZERO = {"total": 0, "telegram": 0, "email": 0, "sms": 0}


def post_notice(app: TestClient, settings: Settings, **fields: Any) -> int:
    answer = app.post("/v1/notices", json={**NOTICE, **fields})
    assert answer.status_code == 202, answer.text
    worker.run(settings, burst=True)
    return int(answer.json()["id"])


def press(app: TestClient, chat_id: int, data: str, message_id: int) -> Any:
    """A member presses a button under the bot's message, as Telegram posts it."""
    update = Person(chat_id=chat_id).press(data, on=bot_message(message_id, chat_id, "…"))
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    answer = app.post(WEBHOOK, json={"update_id": 1, **update}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def sms(app: TestClient, number: str, text: str) -> Any:
    body = {"from": number, "to": "+4930999", "text": text}
    answer = app.post(
        f"/sms/{T}/inbound", json=body, headers={"Authorization": f"Bearer {INBOUND_TOKEN}"}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def acknowledged(app: TestClient, notice_id: int) -> dict[str, int]:
    answer = app.get(f"/v1/notices/{notice_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["acknowledged"])


def unacknowledged(app: TestClient, notice_id: int, **query: Any) -> list[tuple[int, str]]:
    """Every page of ``/unacknowledged``, followed by its cursor; (member id, channel)."""
    found: list[tuple[int, str]] = []
    cursor = None
    for _ in range(100):
        params = {**query, **({"cursor": cursor} if cursor else {})}
        page = app.get(f"/v1/notices/{notice_id}/unacknowledged", params=params)
        assert page.status_code == 200, page.text
        found += [(r["member_id"], r["channel"]) for r in page.json()["recipients"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return sorted(found)
    raise AssertionError("the cursor never ended")


def keyboard(bot_api: BotApiServer, chat_id: int) -> list[dict[str, str]]:
    [message] = bot_api.messages_to(chat_id)
    markup = message.params["reply_markup"]
    rows = (markup if isinstance(markup, dict) else json.loads(markup))["inline_keyboard"]
    return [button for row in rows for button in row]


def test_button_link_and_sms_reply_are_counted_and_leave_the_unacknowledged_list(
    app: TestClient, settings: Settings, redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    erika = add_member(redis_client, "de", telegram_chat_id=7001)
    tom = add_member(redis_client, "en", telegram_chat_id=7002)
    anna = add_member(redis_client, "en", email="anna@example.org")
    ben = add_member(redis_client, "de", email="ben@example.org")
    carl = add_member(redis_client, "de", phone="+4915123456701")
    dora = add_member(redis_client, "de", phone="+4915123456702")
    notice_id = post_notice(app, settings)
    assert acknowledged(app, notice_id) == ZERO
    everyone = [(erika, "telegram"), (tom, "telegram"), (anna, "email"), (ben, "email"),
                (carl, "sms"), (dora, "sms")]  # fmt: skip
    assert unacknowledged(app, notice_id, limit=1) == sorted(everyone)

    # Telegram: the button, in the member's language, names the notice.
    assert keyboard(bot_api, 7001) == [{"text": "Verstanden", "callback_data": f"ack:{notice_id}"}]
    assert keyboard(bot_api, 7002)[0]["text"] == "Understood"
    message_id = bot_api.messages_to(7001)[0].message_id
    press(app, 7001, f"ack:{notice_id}", message_id)
    [answer] = bot_api.calls_to("answerCallbackQuery")
    assert "gelesen" in answer.params["text"]
    press(app, 7001, f"ack:{notice_id}", message_id)  # a second press counts once
    assert acknowledged(app, notice_id) == ZERO | {"total": 1, "telegram": 1}

    # Email: the link opens a page with a button; only its POST acknowledges.
    [line] = [m for m in outbox_lines(settings, "email") if m["member_id"] == anna]
    link = str(line["ack_url"])
    assert link.startswith(f"https://hilfe.example.org/t/{T}/ack/{notice_id}/")
    assert link in str(line["text"])
    assert link in str(line["html"])
    path = urlsplit(link).path
    page = app.get(path, params={"lang": "en"})
    assert page.status_code == 200
    assert "App outage" in page.text
    assert '<form method="post"' in page.text
    assert acknowledged(app, notice_id) == ZERO | {"total": 1, "telegram": 1}
    assert app.post(path).status_code == 200
    assert acknowledged(app, notice_id) == {"total": 2, "telegram": 1, "email": 1, "sms": 0}

    # SMS: "OK" through the inbound webhook acknowledges the notice the member was sent.
    assert sms(app, "+4915123456701", "Ok danke") == {"action": "acknowledged"}
    assert acknowledged(app, notice_id) == {"total": 3, "telegram": 1, "email": 1, "sms": 1}

    left = [(tom, "telegram"), (ben, "email"), (dora, "sms")]
    assert unacknowledged(app, notice_id, limit=1) == sorted(left)
    assert unacknowledged(app, notice_id, channel="email") == [(ben, "email")]


def test_tampered_or_foreign_links_and_presses_count_nothing(
    app: TestClient, settings: Settings, redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    add_member(redis_client, "en", telegram_chat_id=7001)
    anna = add_member(redis_client, "en", email="anna@example.org")
    first = post_notice(app, settings)
    second = post_notice(app, settings)
    [line, _] = [m for m in outbox_lines(settings, "email") if m["member_id"] == anna]
    path = urlsplit(str(line["ack_url"])).path
    assert f"/ack/{first}/" in path
    tampered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    assert app.get(tampered).status_code == 400
    assert app.post(tampered).status_code == 400
    # The link of one notice does not acknowledge another.
    assert app.post(path.replace(f"/ack/{first}/", f"/ack/{second}/")).status_code == 400
    # A press naming a notice the chat was never sent, or none at all, is "expired".
    stranger = 7999
    add_member(redis_client, "en", telegram_chat_id=stranger)
    press(app, stranger, f"ack:{first}", 1)
    press(app, 7001, "ack:99999", 1)
    answers = bot_api.calls_to("answerCallbackQuery")
    assert len(answers) == 2
    assert all("expired" in a.params["text"] for a in answers)
    assert acknowledged(app, first) == ZERO
    assert acknowledged(app, second) == ZERO


def test_sms_ok_acknowledges_the_newest_notice_sent_by_sms_and_nothing_without_one(
    app: TestClient, settings: Settings, redis_client: redis.Redis
) -> None:
    assert sms(app, "+4915123456701", "OK") == {"action": "ignored"}  # unknown number
    add_member(redis_client, "de", phone="+4915123456701")
    assert sms(app, "+4915123456701", "OK") == {"action": "ignored"}  # sent nothing yet
    older = post_notice(app, settings, channels=["sms"])
    newer = post_notice(app, settings, channels=["sms"])
    assert sms(app, "+4915123456701", "VERSTANDEN") == {"action": "acknowledged"}
    assert acknowledged(app, newer)["sms"] == 1
    assert acknowledged(app, older)["sms"] == 0


def test_follow_ups_carry_no_button_and_count_nothing(
    app: TestClient, settings: Settings, redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    add_member(redis_client, "en", telegram_chat_id=7001)
    notice_id = post_notice(app, settings, channels=["telegram"])
    answer = app.post(f"/v1/notices/{notice_id}/updates", json={"body": {"en": "Better now."}})
    assert answer.status_code == 202
    worker.run(settings, burst=True)
    notice, update = bot_api.messages_to(7001)
    assert "reply_markup" in notice.params
    assert "reply_markup" not in update.params
    assert app.get(f"/v1/notices/{answer.json()['id']}").json()["acknowledged"] == {}


def test_unacknowledged_refuses_a_bad_cursor_and_an_unknown_notice(app: TestClient) -> None:
    assert app.get("/v1/notices/1/unacknowledged", params={"cursor": "fax:1"}).status_code == 422
    assert app.get("/v1/notices/1/unacknowledged", params={"limit": 0}).status_code == 422
    assert app.get("/v1/notices/1/unacknowledged").status_code == 404
