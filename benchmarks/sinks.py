"""Provider sinks for benchmarks: the tests' stand-ins, counting messages instead of keeping them.

    python benchmarks/sinks.py telegram --token 123:abc     # or email, sms

The stand-ins in ``tests/providers`` keep every call and every delivered message in memory,
which a test wants and a run of a million messages does not: gigabytes of dicts, and the
garbage collector walking them ever more slowly, would make the sink, not the sender, what is
measured. These subclasses answer exactly as the stand-ins do (same parsing, same checks,
same replies) but only count, and remember the first and last arrival.

Each sink process prints one JSON line, ``{"url": …, "control": …}``, then serves until
SIGTERM or Ctrl-C. ``control`` is a small HTTP server of its own (SMTP has no HTTP side):
``GET /stats`` → ``{"delivered", "first_at", "last_at", "connections"}``, ``POST /reset``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, Self

# Run as a script from anywhere: the stand-ins live in the repository's tests package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.providers.botapi import BotApiServer
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer, _Handler


class Arrivals:
    """How many messages a sink accepted, and when the first and the last arrived."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.count = 0
            self.first_at: float | None = None
            self.last_at: float | None = None

    def add(self) -> None:
        """One more accepted message, arriving now."""
        now = time.time()
        with self._lock:
            self.count += 1
            if self.first_at is None:
                self.first_at = now
            self.last_at = now

    def snapshot(self) -> dict[str, Any]:
        """The counters as JSON-ready values."""
        with self._lock:
            return {"delivered": self.count, "first_at": self.first_at, "last_at": self.last_at}


class _CallCount(list[Any]):
    """Stands in for a stand-in's call log: counts appends, keeps nothing."""

    calls = 0

    def append(self, item: Any) -> None:
        self.calls += 1


class _Counting:
    """Counts accepted messages instead of keeping them (mixed into an HTTP stand-in)."""

    arrivals: Arrivals
    _calls: list[Any]

    def _reset_state(self) -> None:
        super()._reset_state()  # type: ignore[misc]
        self._calls = _CallCount()
        self.arrivals = Arrivals()

    def _record_delivery(self, item: Any) -> None:
        self.arrivals.add()


class CountingBotApi(_Counting, BotApiServer):
    """The Bot API stand-in, counting accepted messages."""


class CountingSmsGateway(_Counting, SmsGatewayServer):
    """The SMS gateway stand-in, counting accepted messages."""


class CountingSmtp(SmtpServer):
    """The aiosmtpd relay stand-in, counting accepted messages.

    Unlike the stand-in it does not parse each message into an ``EmailMessage`` (which only
    a test reading the mail needs): at ~1 ms a message, parsing would make the sink the
    bottleneck and hide what the sender costs. A real relay queues the bytes, too.
    """

    arrivals: Arrivals

    def _reset_state(self) -> None:
        super()._reset_state()
        self.arrivals = Arrivals()

    def start(self) -> Self:
        super().start()
        # Sessions opened from now on use the counting handler (SMTP sessions take the
        # controller's handler when they are created).
        self._controller.handler = _CountingSmtpHandler(self)  # type: ignore[union-attr]
        return self


class _CountingSmtpHandler(_Handler):
    """The stand-in's MAIL and RCPT checks; DATA is counted and acknowledged."""

    relay: CountingSmtp

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.relay.arrivals.add()
        return "250 2.0.0 OK: queued"


class Sink(Protocol):
    """What the control server needs of a sink."""

    arrivals: Arrivals

    def reset(self) -> None: ...


def _stats(sink: Sink) -> dict[str, Any]:
    stats = sink.arrivals.snapshot()
    if isinstance(sink, CountingSmtp):
        stats["connections"] = sink.connections
    return stats


def control_server(sink: Sink) -> ThreadingHTTPServer:
    """``GET /stats`` and ``POST /reset`` for the benchmark, on a free port of its own."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(_stats(sink) if self.path == "/stats" else None)

        def do_POST(self) -> None:
            if self.path == "/reset":
                sink.reset()
                self._answer({"ok": True})
            else:
                self._answer(None)

        def _answer(self, body: dict[str, Any] | None) -> None:
            data = json.dumps(body).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the benchmark polls this."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True).start()
    return server


def start_sink(kind: str, token: str) -> tuple[Sink, str]:
    """Start the sink of one channel kind; (sink, URL Lifeline's config points at)."""
    if kind == "telegram":
        api = CountingBotApi(token=token).start()
        return api, api.api_base
    if kind == "sms":
        gateway = CountingSmsGateway(token=token).start()
        return gateway, gateway.send_url
    if kind == "email":
        relay = CountingSmtp().start()
        return relay, relay.url()
    raise SystemExit(f"unknown sink kind {kind!r}")


def main(argv: list[str] | None = None) -> None:
    """Serve one sink until SIGTERM / Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["telegram", "email", "sms"])
    parser.add_argument("--token", default="gateway-token", help="Bot token or gateway token")
    args = parser.parse_args(argv)
    sink, url = start_sink(args.kind, args.token)
    control = control_server(sink)
    print(json.dumps({"url": url, "control": f"http://127.0.0.1:{control.server_port}"}))
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    control.shutdown()
    sink.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
