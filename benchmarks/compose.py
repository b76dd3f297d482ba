"""CPU per email composed: the stdlib path (``email.message`` + aiosmtplib's flatten, as
``send_message`` did per recipient) against the template path (``channels.mime``).

    .venv/bin/python benchmarks/compose.py [--recipients 10000] [--rounds 3] [--send 2000] \
        > benchmarks/results/compose.json

Both build the same mails — a notice rendered by the tenant's email templates in German and
English, a drill (the "ÜBUNG: " subject) asking for acknowledgement, every recipient with
their own signed unsubscribe and acknowledgement links — to bytes, in this process, with no
network. The figure is CPU time (``time.process_time``), the best of ``--rounds``: it counts
this process's own work only, so other load on the machine hardly moves it (wall-clock
ratios on a shared machine would). ``--send N`` also sends N of them over eight connections
to the aiosmtpd stand-in (``tests.providers.smtp``, its own process) with ``SmtpChannel``,
once building each mail with the stdlib and once from templates, and reports this
process's CPU per send: composing's share of a send. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtplib.email import flatten_message

from lifeline import messages
from lifeline.access import signing
from lifeline.channels import Delivered, Message, Recipient
from lifeline.channels.smtp import SmtpChannel, SmtpConfig
from lifeline.config import settings_from_dict
from lifeline.notices import Notice

FROM = "Demo BKK <service@demo-bkk.example.org>"
BASE = "https://status.demo-bkk.example.org/t/demo-bkk"
SECRET = "benchmark-secret-benchmark-secret"


def notices() -> dict[str, Message]:
    """The email of one drill notice in both languages, as a batch renders it once."""
    settings = settings_from_dict(
        {"tenants": [{"id": "demo-bkk", "name": "Demo BKK", "channels": {"email": {
            "provider": "smtp", "smtp_url": "smtp://127.0.0.1:1", "from": FROM}}}]},
        env={},
    )  # fmt: skip
    tenant = settings.tenant("demo-bkk")
    assert tenant is not None
    notice = Notice(
        id=41, tenant_id="demo-bkk", severity="major", mode="exercise",
        headline={"de": "Störung: Online-Filiale und App nicht erreichbar",
                  "en": "Outage: online office and app unavailable"},
        body={"de": "Krankmeldungen bitte auf Papier beim Arzt; Geschäftsstellen sind offen.",
              "en": "Ask your doctor for a paper sick note; our branches are open."},
        services=("app", "portal"), topics=("outages",), channels=("email",),
        created_at=datetime.now(UTC),
    )  # fmt: skip
    return {lang: messages.render(tenant, notice, "email", lang, ack=True) for lang in ("de", "en")}


def recipients(count: int) -> list[Recipient]:
    """Members with signed links, as the batch makes them."""
    out = []
    for member_id in range(1, count + 1):
        token = signing.sign(SECRET, signing.UNSUBSCRIBE, "demo-bkk", member_id, "email")
        ack = signing.sign(SECRET, signing.ACK, "demo-bkk", member_id, "email")
        out.append(
            Recipient(
                member_id,
                f"member-{member_id}@example.org",
                "de" if member_id % 3 else "en",
                unsubscribe_url=f"{BASE}/unsubscribe/{token}",
                ack_url=f"{BASE}/ack/41/{ack}",
            )
        )
    return out


def cpu_per_mail(build: Callable[[Recipient, Message], bytes], mails: list[Any]) -> float:
    """CPU microseconds per mail built, over all of ``mails`` (recipient, message)."""
    started = time.process_time()
    for to, message in mails:
        build(to, message)
    return (time.process_time() - started) / len(mails) * 1e6


class StdlibChannel(SmtpChannel):
    """The channel as it sent before templates: every mail built by ``compose``."""

    def mail_for(self, recipient: Recipient, message: Message) -> tuple[bytes | EmailMessage, str]:
        mail = self.compose(recipient, message)
        return mail, str(mail["Message-ID"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _send_all(channel: SmtpChannel, mails: list[Any], lanes: int) -> None:
    queue = iter(mails)

    async def lane() -> None:
        for to, message in queue:
            outcome = await channel.send(to, message)
            assert isinstance(outcome, Delivered), outcome

    async with channel:
        await asyncio.gather(*(lane() for _ in range(lanes)))


def cpu_per_send(channel: SmtpChannel, mails: list[Any], lanes: int) -> float:
    """CPU microseconds of this process per mail sent to the relay (another process):
    composing, aiosmtplib's protocol work and the event loop."""
    started = time.process_time()
    asyncio.run(_send_all(channel, mails, lanes))
    return (time.process_time() - started) / len(mails) * 1e6


def send_phase(config: SmtpConfig, mails: list[Any], rounds: int) -> dict[str, Any]:
    """Real sends over 8 connections to the aiosmtpd stand-in, run as its own process."""
    port = free_port()
    relay = subprocess.Popen(
        [sys.executable, "-m", "tests.providers.smtp", "--port", str(port)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    try:
        assert relay.stdout is not None
        relay.stdout.readline()  # "SMTP stand-in on ...": it listens
        url = SmtpConfig.model_validate({"smtp_url": f"smtp://127.0.0.1:{port}", "from": FROM})
        timings: dict[str, float] = {}
        for name, kind in (("stdlib", StdlibChannel), ("template", SmtpChannel)):
            timings[name] = min(
                cpu_per_send(kind(url, kind="email", tenant_id="demo-bkk"), mails, 8)
                for _ in range(rounds)
            )
    finally:
        relay.terminate()
        relay.wait(timeout=10)
    compose_share = 1 - timings["template"] / timings["stdlib"]
    return {
        "mails": len(mails),
        "cpu_us_per_send": {k: round(v, 1) for k, v in timings.items()},
        "cpu_saved_share": round(compose_share, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--send", type=int, default=0, help="also send this many mails to a local relay"
    )
    args = parser.parse_args(argv)
    config = SmtpConfig.model_validate({"smtp_url": "smtp://127.0.0.1:1", "from": FROM})
    channel = SmtpChannel(config, kind="email", tenant_id="demo-bkk")
    rendered = notices()
    mails = [(to, rendered[to.language]) for to in recipients(args.recipients)]

    def old(to: Recipient, message: Message) -> bytes:
        return flatten_message(channel.compose(to, message))

    def new(to: Recipient, message: Message) -> bytes:
        mail, _ = channel.mail_for(to, message)
        assert isinstance(mail, bytes), "a recipient fell back to the stdlib path"
        return mail

    old_us = min(cpu_per_mail(old, mails) for _ in range(args.rounds))
    new_us = min(cpu_per_mail(new, mails) for _ in range(args.rounds))
    sample = mails[:100]
    german = sum(to.language == "de" for to, _ in mails)
    result = {
        "benchmark": "compose",
        "recipients": args.recipients,
        "rounds": args.rounds,
        "languages": {"de": german, "en": args.recipients - german},
        "cpu_us_per_mail": {"stdlib": round(old_us, 1), "template": round(new_us, 1)},
        "speedup": round(old_us / new_us, 1),
        "bytes_per_mail": {
            "stdlib": round(sum(len(old(*m)) for m in sample) / len(sample)),
            "template": round(sum(len(new(*m)) for m in sample) / len(sample)),
        },
        "python": sys.version.split()[0],
        **({"send": send_phase(config, mails[: args.send], args.rounds)} if args.send else {}),
        "measured": "CPU seconds of this process (time.process_time), best of the rounds",
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
