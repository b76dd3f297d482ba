"""A local stand-in for the Telegram Bot API, over real HTTP.

    with BotApiServer(token="123:abc") as api:          # or the ``bot_api`` fixture
        Bot("123:abc", base_url=api.api_base)          # api_base = http://127.0.0.1:PORT/bot
        api.fail_next(2, "retry_after")                  # the next two sendMessage get 429
        api.blocked_chats.add(42)                        # chat 42 has blocked the bot for good
        api.delivered                                    # [SentMessage, ...] accepted only

Methods live in ``BotApiServer.methods`` (lower-case name -> handler), so the bot's tests can
add or replace one: ``api.methods["getchat"] = lambda api, params: ok({...})``.

Fault kinds: ``retry_after`` (429 with ``parameters.retry_after``), ``500``, ``blocked``
(403 bot was blocked), ``deactivated`` (403 user is deactivated), ``chat_not_found`` (400),
``slow`` (stalls ``slow_seconds``, then 500). Faults and per-chat failures are answered
before anything is delivered.

Run in its own process (benchmarks): ``python -m tests.providers.botapi --port 8081``.
"""

from __future__ import annotations

import argparse
import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.providers._http import Reply, StandInServer

BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Lifeline", "username": "lifeline_bot"}
MAX_TEXT = 4096
SUPPORTED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"tg-emoji", "code", "pre", "blockquote"}
)

MethodHandler = Callable[["BotApiServer", dict[str, Any]], Reply]


def ok(result: Any) -> Reply:
    """A successful Bot API answer."""
    return Reply(200, {"ok": True, "result": result})


def error(code: int, description: str, **parameters: Any) -> Reply:
    """A Bot API error answer, with ``parameters`` (e.g. ``retry_after``) when given."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply(code, body)


FAULTS: dict[str, Callable[[BotApiServer], Reply]] = {
    "retry_after": lambda api: error(
        429, f"Too Many Requests: retry after {api.retry_after}", retry_after=api.retry_after
    ),
    "500": lambda api: error(500, "Internal Server Error"),
    "blocked": lambda api: error(403, "Forbidden: bot was blocked by the user"),
    "deactivated": lambda api: error(403, "Forbidden: user is deactivated"),
    "chat_not_found": lambda api: error(400, "Bad Request: chat not found"),
}


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the stand-in accepted."""

    message_id: int
    chat_id: int | str
    text: str
    """As sent (Telegram HTML when ``parse_mode`` is HTML)."""
    params: dict[str, Any]


class BotApiServer(StandInServer):
    """Speaks ``/bot<token>/<method>``; any token is accepted unless ``token`` is given."""

    faultable = frozenset({"sendmessage", "editmessagetext"})
    random_faults: tuple[str, ...] = ("retry_after", "500", "blocked", "chat_not_found")

    def __init__(self, *, token: str | None = None, **kwargs: Any) -> None:
        self.token = token
        self.methods: dict[str, MethodHandler] = {
            "getme": lambda api, params: ok(BOT_USER),
            "sendmessage": _send_message,
            "editmessagetext": _edit_message_text,
            "editmessagereplymarkup": _edit_message_reply_markup,
            "getupdates": _get_updates,
            "setwebhook": _set_webhook,
            "deletewebhook": _delete_webhook,
            "getwebhookinfo": _get_webhook_info,
            "answercallbackquery": lambda api, params: ok(True),
            "deletemessage": lambda api, params: ok(True),
            "setmycommands": lambda api, params: ok(True),
        }
        self._updates = threading.Condition()
        super().__init__(**kwargs)

    def _reset_state(self) -> None:
        super()._reset_state()
        self.retry_after: int = 1
        """Seconds a ``retry_after`` fault asks the client to wait."""
        self.blocked_chats: set[int | str] = set()
        """Chats answering 403 "bot was blocked by the user" on every send."""
        self.missing_chats: set[int | str] = set()
        """Chats answering 400 "chat not found" on every send."""
        self.webhook: dict[str, Any] = {}
        self._pending: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 1

    @property
    def api_base(self) -> str:
        """What to configure as ``api_base`` (python-telegram-bot appends the token)."""
        return f"{self.url}/bot"

    @property
    def delivered(self) -> list[SentMessage]:
        """Messages accepted by sendMessage, in order; failed calls never appear here."""
        return list(self._delivered_copy())

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        """Accepted messages of one chat, in order."""
        return [m for m in self.delivered if str(m.chat_id) == str(chat_id)]

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an incoming update for getUpdates; returns its update_id."""
        with self._updates:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._pending.append({"update_id": update_id, **update})
            self._updates.notify_all()
        return update_id

    def new_message_id(self) -> int:
        """The next message id (increasing across all chats)."""
        with self._lock:
            message_id = self._next_message_id
            self._next_message_id += 1
        return message_id

    def route_of(self, path: str) -> str:
        return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]

    def handle(
        self, route: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        match = re.match(r"^/bot([^/]+)/", path)
        if match is None:
            return error(404, "Not Found")
        if self.token is not None and match.group(1) != self.token:
            return error(401, "Unauthorized")
        method = self.methods.get(route.lower())
        if method is None:
            return error(404, "Not Found: method not found")
        fault = self._next_fault(route.lower())
        if fault == "slow":
            self._stall()
            return error(500, "Internal Server Error: stalled")
        if fault is not None:
            return FAULTS[fault](self)
        return method(self, params)


def chat_of(chat_id: int | str) -> dict[str, Any]:
    """A Chat object as Telegram describes it for this id."""
    if isinstance(chat_id, str):
        return {"id": -1001000000001, "type": "channel", "title": chat_id, "username": chat_id[1:]}
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Staff"}
    return {"id": chat_id, "type": "private", "first_name": "Member"}


def parse_chat_id(value: Any) -> int | str:
    """``chat_id`` as an int, or an ``@channel`` name."""
    text = str(value)
    return text if text.startswith("@") else int(text)


def visible_text(text: str) -> str:
    """The text a reader sees: Telegram HTML checked (supported, balanced tags) and stripped.

    Raises ValueError with Telegram's wording when the entities cannot be parsed.
    """
    stack: list[str] = []
    for match in re.finditer(r"<(/?)([a-zA-Z][\w-]*)[^>]*>", text):
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name not in SUPPORTED_TAGS:
            raise ValueError(f'Unsupported start tag "{name}" at byte offset {match.start()}')
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ValueError(f"Unmatched end tag at byte offset {match.start()}")
    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def _message(api: BotApiServer, chat_id: int | str, text: str) -> dict[str, Any]:
    return {
        "message_id": api.new_message_id(),
        "date": int(time.time()),
        "chat": chat_of(chat_id),
        "from": BOT_USER,
        "text": text,
    }


def _checked_text(params: dict[str, Any]) -> str | Reply:
    """The visible text of a send/edit, or the 400 Telegram would answer."""
    text = str(params.get("text", ""))
    if params.get("parse_mode", "").lower() == "html":
        try:
            text = visible_text(text)
        except ValueError as exc:
            return error(400, f"Bad Request: can't parse entities: {exc}")
    if not text.strip():
        return error(400, "Bad Request: message text is empty")
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        return error(400, "Bad Request: message is too long")
    return text


def _send_message(api: BotApiServer, params: dict[str, Any]) -> Reply:
    try:
        chat_id = parse_chat_id(params["chat_id"])
    except (KeyError, ValueError):
        return error(400, "Bad Request: chat_id is empty")
    if chat_id in api.blocked_chats:
        return FAULTS["blocked"](api)
    if chat_id in api.missing_chats:
        return FAULTS["chat_not_found"](api)
    text = _checked_text(params)
    if isinstance(text, Reply):
        return text
    result = _message(api, chat_id, text)
    api._record_delivery(SentMessage(result["message_id"], chat_id, params["text"], params))
    return ok(result)


def _edit_message_text(api: BotApiServer, params: dict[str, Any]) -> Reply:
    text = _checked_text(params)
    if isinstance(text, Reply):
        return text
    try:
        chat_id = parse_chat_id(params["chat_id"])
        message = _message(api, chat_id, text) | {"message_id": int(params["message_id"])}
    except (KeyError, ValueError):
        return error(400, "Bad Request: message to edit not found")
    return ok(message | {"edit_date": int(time.time())})


def _edit_message_reply_markup(api: BotApiServer, params: dict[str, Any]) -> Reply:
    try:
        chat_id = parse_chat_id(params["chat_id"])
        message = _message(api, chat_id, "") | {"message_id": int(params["message_id"])}
    except (KeyError, ValueError):
        return error(400, "Bad Request: message to edit not found")
    return ok(message | {"edit_date": int(time.time())})


def _get_updates(api: BotApiServer, params: dict[str, Any]) -> Reply:
    offset = int(params.get("offset", 0))
    timeout = min(float(params.get("timeout", 0)), 5.0)  # long polling, but never for long
    with api._updates:
        api._pending = [u for u in api._pending if u["update_id"] >= offset]
        if not api._pending and timeout > 0:
            api._updates.wait(timeout)
        return ok(list(api._pending))


def _set_webhook(api: BotApiServer, params: dict[str, Any]) -> Reply:
    api.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
    return ok(True)


def _delete_webhook(api: BotApiServer, params: dict[str, Any]) -> Reply:
    api.webhook = {}
    return ok(True)


def _get_webhook_info(api: BotApiServer, params: dict[str, Any]) -> Reply:
    info = {"url": api.webhook.get("url", ""), "has_custom_certificate": False}
    return ok(info | {"pending_update_count": len(api._pending)})


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted: ``python -m tests.providers.botapi --port 8081``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this token")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    api = BotApiServer(token=args.token, host=args.host, port=args.port, seed=args.seed)
    api.failure_rate = args.failure_rate
    api.start()
    print(f"Bot API stand-in on {api.api_base}<token>/<method>", flush=True)
    api.serve_forever()


if __name__ == "__main__":
    main()
