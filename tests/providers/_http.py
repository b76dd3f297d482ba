"""The machinery shared by the HTTP stand-ins: a threaded server, a call log, a fault plan.

A stand-in runs ``http.server.ThreadingHTTPServer`` in a daemon thread, so it serves sync
tests, async tests (the event loop under test never runs the server) and, through each
module's ``__main__``, benchmarks in another process. Subclasses map a request to a
``Reply`` in ``handle``; everything else (recording, faults, lifecycle) lives here.

Faults come from a plan: ``fail_next(n, kind)`` queues ``n`` failures for the next calls,
``failure_rate`` fails a seeded-random share of calls with one of ``random_faults``. Only
calls to ``faultable`` routes are ever failed, so e.g. ``getMe`` keeps working.

Two introspection routes work in every stand-in, for benchmarks in another process:
``GET /_stand_in/stats`` (counts) and ``POST /_stand_in/reset``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True, slots=True)
class Call:
    """One request the stand-in received, whatever it answered."""

    route: str
    """Bot API method name, or the request path for the SMS gateways."""
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    """``time.time()`` when the request arrived."""
    status: int = 0
    """HTTP status the stand-in answered with."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: a status, a JSON body and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class StandInServer:
    """Base of the HTTP stand-ins; use as a context manager or ``start()``/``stop()``."""

    faultable: frozenset[str] = frozenset()
    """Routes that faults apply to."""
    random_faults: tuple[str, ...] = ()
    """Fault kinds drawn when ``failure_rate`` fires."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reset_state()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind (port 0 picks a free one) and serve in a daemon thread."""
        server = _QuietServer((self.host, self.port), _handler_class(self))
        self._server = server
        self.port = server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.1,), daemon=True, name=repr(self)
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; stalled ``slow`` replies are cut short."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread (for ``python -m``); Ctrl-C stops."""
        if self._server is None:
            self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url})"

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{self.host}:{self.port}"

    # --- state ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget calls, deliveries and faults; settings return to their defaults."""
        with self._lock:
            self._reset_state()

    def _reset_state(self) -> None:
        self._calls: list[Call] = []
        self._delivered: list[Any] = []
        self._connections = 0
        self._plan: deque[str] = deque()
        self._rng = random.Random(self.seed)
        self.failure_rate = 0.0
        self.slow_seconds = 2.0
        """How long a ``slow`` fault stalls before answering (an error, never a delivery)."""

    @property
    def calls(self) -> list[Call]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, route: str) -> list[Call]:
        """The calls of one route (Bot API method or path)."""
        return [c for c in self.calls if c.route.lower() == route.lower()]

    def fail_next(self, n: int = 1, kind: str = "500") -> None:
        """Fail the next ``n`` calls to a faultable route with ``kind``.

        Kind ``ok`` lets a call through, to aim a fault at a later call:
        ``fail_next(1, "ok"); fail_next(1, "500")`` fails the second call only.
        """
        with self._lock:
            self._plan.extend([kind] * n)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (a keep-alive client makes many calls on each)."""
        with self._lock:
            return self._connections

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def stats(self) -> dict[str, int]:
        """Counts for benchmarks: calls received and messages delivered."""
        with self._lock:
            return {"calls": len(self._calls), "delivered": len(self._delivered)}

    def _record_delivery(self, item: Any) -> None:
        with self._lock:
            self._delivered.append(item)

    def _delivered_copy(self) -> list[Any]:
        with self._lock:
            return list(self._delivered)

    def _next_fault(self, route: str) -> str | None:
        if route not in self.faultable:
            return None
        with self._lock:
            if self._plan:
                kind = self._plan.popleft()
                return None if kind == "ok" else kind
            if self.failure_rate and self._rng.random() < self.failure_rate:
                return self._rng.choice(self.random_faults)
        return None

    def _stall(self) -> None:
        self._stopping.wait(self.slow_seconds)

    # --- request handling -----------------------------------------------------------------

    def route_of(self, path: str) -> str:
        """The route name a path is recorded under; subclasses refine it."""
        return path

    def handle(
        self, route: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> Reply:
        """Answer one request; subclasses implement it."""
        raise NotImplementedError

    def _dispatch(
        self, method: str, path: str, body: bytes, headers: dict[str, str], arrived: float
    ) -> Reply:
        if path == "/_stand_in/stats":
            return Reply(200, self.stats())
        if path == "/_stand_in/reset" and method == "POST":
            self.reset()
            return Reply(200, {"ok": True})
        route = self.route_of(path)
        try:
            params = _parse_body(body, headers.get("content-type", ""), path)
        except ValueError as exc:
            reply = Reply(400, {"error": f"unreadable body: {exc}"})
        else:
            reply = self.handle(route, path, params, headers)
        with self._lock:
            self._calls.append(Call(route, params, dict(headers), arrived, reply.status))
        return reply


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled reply must not keep the process alive
    request_queue_size = 256  # the default 5 resets bursts of concurrent connections

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (timeout tests do) is normal, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _parse_body(body: bytes, content_type: str, path: str) -> dict[str, Any]:
    """Form, JSON or query-string parameters as one flat dict."""
    params: dict[str, Any] = dict(parse_qsl(urlsplit(path).query))
    if not body:
        return params
    if content_type.startswith("application/json"):
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        params.update(data)
    else:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    return params


def _handler_class(stand_in: StandInServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real providers and httpx pools expect
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

        def setup(self) -> None:
            super().setup()  # one handler per connection: count it
            stand_in._count_connection()

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            arrived = time.time()  # before the body and any stall: what a rate limit counts
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = stand_in._dispatch(method, self.path, body, headers, arrived)
            data = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status, HTTPStatus(reply.status).phrase)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the client gave up (e.g. after a slow fault)

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: tests read the call log instead."""

    return Handler
