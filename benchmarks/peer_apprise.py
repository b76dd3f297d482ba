"""The peer: Apprise sending the same mails to the same SMTP sink, as an insurer would script it.

    python benchmarks/peer_apprise.py by-language --url smtp://127.0.0.1:2525 --members 20000 \
        --messages messages.json --start-at 1764400000.0 --deadline 1764400600.0

Two ways, one process each (a script, not a service):

- ``per-member``: one ``Apprise.notify()`` per member — a fresh ``Apprise`` with one
  ``mailto://`` URL per member, so one SMTP connection per mail. (Reusing one URL object
  would be slower still: Apprise waits ``request_rate_per_sec`` = 5.5 s between two sends of
  the same plugin object.)
- ``by-language``: members grouped by language, one ``notify()`` per group whose URL names
  every member of the group in ``to=``. Apprise's email plugin then opens one connection and
  sends one mail per recipient over it (``NotifyEmail.send``: one ``AppriseSMTPController``
  around ``prepare_emails``, which yields one message per target) — at its best.

The mail is the subject and HTML Lifeline renders for this notice (``POST /v1/notices/preview``);
Apprise builds its own ``multipart/alternative`` with a text part made from the HTML. Imports
no Lifeline. Prints one JSON line: sent, errors, notify calls, CPU seconds, started, finished.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import apprise

from population import email, language

FROM = "Bench BKK <service@example.org>"


def mailto(url: str, recipients: list[str]) -> str:
    """Apprise's ``mailto://`` URL for the sink: plain SMTP, no login, these recipients."""
    host, port = url.removeprefix("smtp://").rsplit(":", 1)
    return f"mailto://{host}:{port}?mode=insecure&from={quote(FROM)}&to={','.join(recipients)}"


def notify(url: str, message: dict[str, str]) -> bool:
    """One ``notify()`` through a fresh Apprise object with one URL; whether all went out."""
    # No 60 s budget per service: a group's notify() sends tens of thousands of mails, and
    # past the budget Apprise reports failure while its thread goes on sending.
    peer = apprise.Apprise(asset=apprise.AppriseAsset(service_timeout=0))
    if not peer.add(url):
        raise SystemExit(f"Apprise refused the URL {url[:120]}")
    return bool(
        peer.notify(
            body=message["html"], title=message["subject"], body_format=apprise.NotifyFormat.HTML
        )
    )


def groups(members: int) -> dict[str, list[str]]:
    """Members' addresses by language, in member order."""
    result: dict[str, list[str]] = {}
    for index in range(members):
        result.setdefault(language(index), []).append(email(index))
    return result


def run(args: argparse.Namespace, messages: dict[str, Any]) -> dict[str, Any]:
    """Send per member or per language group; the tally."""
    tally = {"notify_calls": 0, "failed_calls": 0}
    if args.mode == "by-language":
        work = [(mailto(args.url, to), messages[lang]) for lang, to in groups(args.members).items()]
    else:
        work = [(mailto(args.url, [email(i)]), messages[language(i)]) for i in range(args.members)]
    time.sleep(max(0.0, args.start_at - time.time()))  # URLs built before the clock starts
    cpu_at_start, started = time.process_time(), time.time()
    for url, message in work:
        if time.time() >= args.deadline:
            break
        tally["notify_calls"] += 1
        if not notify(url, message):
            tally["failed_calls"] += 1
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return tally | {
        "cpu_seconds": round(time.process_time() - cpu_at_start, 2),
        "started": started,
        "finished": time.time(),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "apprise": apprise.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the options, send, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["per-member", "by-language"])
    parser.add_argument("--url", required=True, help="the SMTP sink, smtp://host:port")
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--messages", type=Path, required=True, help="rendered texts (JSON)")
    parser.add_argument("--start-at", type=float, required=True, help="epoch seconds")
    parser.add_argument("--deadline", type=float, required=True, help="epoch seconds")
    args = parser.parse_args(argv)
    # Apprise says why a notify() failed only in its log: to stderr, the phase's log file.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    messages = json.loads(args.messages.read_text(encoding="utf-8"))["email"]
    print(json.dumps(run(args, messages)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
