"""The raw transport: messages straight to a sink with the libraries Lifeline uses, no Lifeline.

    python benchmarks/raw_send.py email --url smtp://127.0.0.1:2525 --first 0 --count 50000 \
        --concurrency 8 --messages messages.json --start-at 1764400000.0 --deadline 1764400600.0

``fanout.py`` starts W of these at once (one per Lifeline worker it compares with), each with
``--concurrency`` sends in flight (Lifeline's per-job concurrency), over a share of the same
recipients, with the same rendered texts. Each lane keeps its connection for the whole run:

- telegram: python-telegram-bot ``Bot.send_message`` (HTML, no link preview), one ``Bot``
  with an httpx pool of ``concurrency`` connections, paced at ``--rate`` (fanout passes
  Telegram's paid-broadcast bound, split over the processes: Telegram holds both to it);
- email: one ``aiosmtplib.SMTP`` connection per lane; the MIME message (text and HTML
  alternative, quoted-printable, Lifeline's headers) serialised by the stdlib once per
  language, and each recipient's ``To`` and ``Message-ID`` put into those bytes, so a send
  costs aiosmtplib's work and little else — the bare transport at its best. ``--compose``
  builds each mail with ``email.message`` instead, as Lifeline did before issue 14;
- sms: ``httpx.AsyncClient`` POSTing the generic gateway's JSON with a bearer token.

Prints one JSON line: sent, errors, first error, CPU seconds, started, finished, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.request import HTTPXRequest

from population import address, language

FROM = "Bench BKK <service@example.org>"
SENDER_ID = "BenchBKK"

Send = Callable[[int], Awaitable[None]]
"""Sends the message of recipient ``index`` on one lane."""


@dataclass
class Tally:
    """What the lanes did."""

    sent: int = 0
    errors: int = 0
    first_error: str | None = None
    started: float = 0.0
    finished: float = 0.0
    cpu_at_start: float = 0.0
    """CPU seconds used before sending began (imports, connecting): not counted."""
    stop_at: float = field(default=float("inf"))

    def failed(self, exc: BaseException) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(exc).__name__}: {exc}"[:300]


async def run_lanes(
    make_send: Callable[[int], Awaitable[Send]], indices: range, lanes: int, tally: Tally
) -> None:
    """``lanes`` concurrent senders over the indices, each with its own ``Send``."""

    async def lane(number: int) -> None:
        send = await make_send(number)
        for index in indices[number::lanes]:
            if time.time() >= tally.stop_at:
                return
            try:
                await send(index)
                tally.sent += 1
            except Exception as exc:  # counted and shown: a raw run must have none
                tally.failed(exc)

    await asyncio.gather(*(lane(n) for n in range(lanes)))


class Pacer:
    """Evenly spaced send slots at ``rate`` per second for all lanes (0: unpaced)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = 0.0

    async def slot(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        at = max(now, self.next)
        self.next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


async def telegram(args: argparse.Namespace, messages: dict[str, Any], tally: Tally) -> None:
    """PTB's ``Bot.send_message``, as ``channels.telegram`` calls it."""
    request = HTTPXRequest(connection_pool_size=args.concurrency, pool_timeout=30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns about a custom base_url
        bot = Bot(args.token, base_url=args.url, request=request)
    preview = LinkPreviewOptions(is_disabled=True)

    pace = Pacer(args.rate)

    async def send(index: int) -> None:
        text = messages[language(index)]["text"]
        await pace.slot()
        await bot.send_message(
            chat_id=int(address("telegram", index)),
            text=text,
            parse_mode=ParseMode.HTML,
            link_preview_options=preview,
            allow_paid_broadcast=True,  # as Lifeline sends it: the benchmark tenant opts in
        )

    async def make(_lane: int) -> Send:
        return send

    async with bot:  # initialize (getMe) before the clock starts
        await _wait_until(args.start_at, tally)
        await run_lanes(make, _indices(args), args.concurrency, tally)


async def email(args: argparse.Namespace, messages: dict[str, Any], tally: Tally) -> None:
    """One reused aiosmtplib connection per lane."""
    host, port = args.url.removeprefix("smtp://").rsplit(":", 1)
    clients = [aiosmtplib.SMTP(hostname=host, port=int(port)) for _ in range(args.concurrency)]
    for client in clients:
        await client.connect()  # connected before the clock starts, as a warm pool is

    templates = {lang: _template(message, lang) for lang, message in messages.items()}

    async def make(lane: int) -> Send:
        client = clients[lane]

        async def send(index: int) -> None:
            to, lang = address("email", index), language(index)
            if args.compose:
                mail = _compose(to, messages[lang], lang)
                await client.send_message(mail, sender="service@example.org", recipients=[to])
                return
            head, middle, tail = templates[lang]
            msgid = make_msgid(domain="example.org").encode()
            data = b"".join((head, to.encode(), middle, msgid, tail))
            await client.sendmail("service@example.org", [to], data)

        return send

    await _wait_until(args.start_at, tally)
    await run_lanes(make, _indices(args), args.concurrency, tally)
    for client in clients:
        await client.quit()


_TO, _MESSAGE_ID = "recipient@placeholder.invalid", "<placeholder@example.org>"


def _template(message: dict[str, str], lang: str) -> tuple[bytes, bytes, bytes]:
    """A language's mail as bytes, cut where the recipient's ``To`` and ``Message-ID`` go."""
    data = _compose(_TO, message, lang, message_id=_MESSAGE_ID).as_bytes(policy=SMTP)
    head, rest = data.split(_TO.encode(), 1)
    middle, tail = rest.split(_MESSAGE_ID.encode(), 1)
    return head, middle, tail


def _compose(
    to: str, message: dict[str, str], lang: str, message_id: str | None = None
) -> EmailMessage:
    """The same MIME structure Lifeline sends: text, HTML alternative, the same headers."""
    mail = EmailMessage()
    mail["From"] = FROM
    mail["To"] = to
    mail["Subject"] = message["subject"]
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id or make_msgid(domain="example.org")
    mail["Auto-Submitted"] = "auto-generated"
    mail["List-Unsubscribe"] = "<mailto:service@example.org?subject=unsubscribe>"
    mail.set_content(message["text"], cte="quoted-printable")
    mail.add_alternative(message["html"], subtype="html", cte="quoted-printable")
    mail["Content-Language"] = lang
    return mail


async def sms(args: argparse.Namespace, messages: dict[str, Any], tally: Tally) -> None:
    """httpx POSTs of the generic gateway's JSON, one pooled client."""
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    headers = {"Authorization": f"Bearer {args.token}"}
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def send(index: int) -> None:
            payload = {
                "to": address("sms", index),
                "from": SENDER_ID,
                "text": messages[language(index)]["text"],
            }
            response = await client.post(args.url, json=payload, headers=headers)
            response.raise_for_status()

        async def make(_lane: int) -> Send:
            return send

        await _wait_until(args.start_at, tally)
        await run_lanes(make, _indices(args), args.concurrency, tally)


async def _wait_until(start_at: float, tally: Tally) -> None:
    """Start with the other raw senders, at the agreed moment."""
    await asyncio.sleep(max(0.0, start_at - time.time()))
    tally.started = time.time()
    tally.cpu_at_start = time.process_time()


def _indices(args: argparse.Namespace) -> range:
    return range(args.first, args.first + args.count)


def main(argv: list[str] | None = None) -> None:
    """Send, then print one JSON line with what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("channel", choices=["telegram", "email", "sms"])
    parser.add_argument("--url", required=True, help="api_base, smtp:// URL or gateway URL")
    parser.add_argument("--token", default="", help="bot token or gateway token")
    parser.add_argument("--first", type=int, default=0, help="first member index")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="sends/s of this process (0: as fast as it goes; telegram only)",
    )
    parser.add_argument(
        "--compose",
        action="store_true",
        help="email: build each mail with email.message (the stdlib's cost per recipient)",
    )
    parser.add_argument("--messages", type=Path, required=True, help="rendered texts (JSON)")
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch seconds")
    parser.add_argument("--deadline", type=float, default=float("inf"), help="epoch seconds")
    args = parser.parse_args(argv)
    messages = json.loads(args.messages.read_text(encoding="utf-8"))[args.channel]
    tally = Tally(stop_at=args.deadline)
    runner = {"telegram": telegram, "email": email, "sms": sms}[args.channel]
    asyncio.run(runner(args, messages, tally))
    tally.finished = time.time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "sent": tally.sent,
        "errors": tally.errors,
        "first_error": tally.first_error,
        "cpu_seconds": round(time.process_time() - tally.cpu_at_start, 2),
        "started": tally.started,
        "finished": tally.finished,
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }
    print(json.dumps(report))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
