"""A local SMTP relay for tests and benchmarks: aiosmtpd in a background thread.

    with SmtpServer(users={"lifeline": "pa:ss"}) as relay:   # or the ``smtp_server`` fixture
        relay.url(user="lifeline", password="pa:ss")         # smtp://lifeline:pa%3Ass@127.0.0.1:PORT
        relay.rejected["gone@example.org"] = "550 5.1.1 <gone@example.org>: User unknown"
        relay.fail_next(1, "drop")                           # hang up at the next DATA
        relay.delivered                                      # [ReceivedMail, ...] accepted only
        relay.connections                                    # sessions opened so far

Fault kinds: ``451`` (at RCPT), ``451-data``, ``550-data``, ``drop`` (closes the connection
after the message body arrived, without an answer). ``failure_rate`` answers a seeded-random
share of RCPTs with 451. With ``users``, MAIL needs AUTH (LOGIN/PLAIN); with ``tls`` (an
``ssl.SSLContext``, see ``self_signed_cert``) STARTTLS is offered and AUTH only after it;
``implicit_tls=True`` speaks TLS from the first byte (smtps://).

Run in its own process: ``python -m tests.providers.smtp --port 2525``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, Self, cast
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

_STAGE = {"451": "rcpt", "451-data": "data", "550-data": "data", "drop": "data"}


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One message the relay accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    user: str | None
    """The AUTH user of the session, if it logged in."""
    tls: bool
    """Whether the session was encrypted (STARTTLS or implicit TLS)."""
    at: float
    raw: bytes = b""
    """The message exactly as it came over DATA (line ends CRLF, dot-stuffing undone)."""


class SmtpServer:
    """An aiosmtpd relay on 127.0.0.1 and a free port, recording what it accepts."""

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        port: int = 0,
        seed: int = 0,
    ) -> None:
        self.users = dict(users or {})
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.host = "127.0.0.1"
        self.port = port
        self.seed = seed
        self._lock = threading.Lock()
        self._controller: _Controller | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._delivered: list[ReceivedMail] = []
        self._plan: deque[str] = deque()
        self._rng = random.Random(self.seed)
        self._connections = 0
        self._quits = 0
        self.failure_rate = 0.0
        self.rejected: dict[str, str] = {}
        """Address (lower case) -> the 5xx line its RCPT is answered with, every time."""

    def start(self) -> Self:
        """Start serving in aiosmtpd's thread."""
        kwargs: dict[str, Any] = {"server_hostname": "relay.stand-in.test"}
        if self.users:
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_require_tls": self.tls is not None,
            }
        if self.tls is not None and self.implicit_tls:
            kwargs["ssl_context"] = self.tls
        elif self.tls is not None:
            kwargs["tls_context"] = self.tls
        self._controller = _Controller(
            _Handler(self), self, hostname=self.host, port=self.port, **kwargs
        )
        self._controller.start()
        self.port = self._controller.port
        self.reset()  # forget aiosmtpd's own start-up probe connection
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def url(self, *, user: str | None = None, password: str | None = None) -> str:
        """An ``smtp_url`` for this relay, credentials percent-encoded."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        auth = f"{quote(user, safe='')}:{quote(password or '', safe='')}@" if user else ""
        return f"{scheme}://{auth}{self.host}:{self.port}"

    def reset(self) -> None:
        """Forget deliveries, faults, rejections and the connection count."""
        with self._lock:
            self._reset_state()

    def fail_next(self, n: int = 1, kind: str = "451") -> None:
        """Fail the next ``n`` RCPTs (``451``) or DATAs (other kinds) with ``kind``."""
        if kind not in _STAGE:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(_STAGE)}")
        with self._lock:
            self._plan.extend([kind] * n)

    @property
    def delivered(self) -> list[ReceivedMail]:
        """Messages accepted, in order (a copy)."""
        with self._lock:
            return list(self._delivered)

    @property
    def connections(self) -> int:
        """SMTP sessions opened since the last reset."""
        with self._lock:
            return self._connections

    @property
    def quits(self) -> int:
        """Sessions the client ended politely (QUIT) since the last reset."""
        with self._lock:
            return self._quits

    def stats(self) -> dict[str, int]:
        """Counts for benchmarks."""
        return {"delivered": len(self.delivered), "connections": self.connections}

    def _take_fault(self, stage: str) -> str | None:
        with self._lock:
            if self._plan and _STAGE[self._plan[0]] == stage:
                return self._plan.popleft()
            if stage == "rcpt" and self.failure_rate and self._rng.random() < self.failure_rate:
                return "451"
        return None

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    def _count_quit(self) -> None:
        with self._lock:
            self._quits += 1

    def _record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._delivered.append(mail)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if user in self.users and self.users[user] == password:
                return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


class _Handler:
    """aiosmtpd hooks: enforce AUTH, apply faults and rejections, record deliveries."""

    def __init__(self, relay: SmtpServer) -> None:
        self.relay = relay

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.relay._count_quit()
        return "221 Bye"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.relay.users and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        rejection = self.relay.rejected.get(address.lower())
        if rejection:
            return rejection
        if self.relay._take_fault("rcpt"):
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self.relay._take_fault("data")
        if fault == "drop":
            cast(Any, server).transport.close()  # hang up before answering: outcome unknown
            return "421 4.3.0 closing"
        if fault == "451-data":
            return "451 4.3.0 Temporary local problem, try again later"
        if fault == "550-data":
            return "550 5.7.1 Message rejected as spam"
        content = cast(bytes, envelope.original_content or envelope.content)
        message = BytesParser(policy=default_policy).parsebytes(content)
        user = session.auth_data if session.authenticated else None
        tls = session.ssl is not None or self.relay.implicit_tls
        mail = ReceivedMail(
            envelope.mail_from or "",
            tuple(envelope.rcpt_tos),
            message,
            user,
            tls,
            time.time(),
            content,
        )
        self.relay._record(mail)
        return "250 2.0.0 OK: queued"


class _Controller(Controller):
    """aiosmtpd's Controller on a free port, counting sessions."""

    def __init__(self, handler: _Handler, relay: SmtpServer, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.relay = relay

    def factory(self) -> SMTP:
        self.relay._count_connection()
        # aiosmtpd leaves Controller.factory unannotated
        return cast(SMTP, super().factory())  # type: ignore[no-untyped-call]

    def _trigger_server(self) -> None:
        # Bound to port 0: learn the real port before aiosmtpd's start-up probe uses it.
        server = cast(asyncio.Server, self.server)  # create_server's, typed as AbstractServer
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # unannotated in aiosmtpd


def self_signed_cert(directory: Path) -> tuple[Path, Path] | None:
    """A certificate and key for 127.0.0.1 made by the openssl tool, or None without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The relay's side of TLS."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted: ``python -m tests.providers.smtp --port 2525``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--user", default=None)
    parser.add_argument("--password", default="")
    args = parser.parse_args(argv)
    users = {args.user: args.password} if args.user else None
    with SmtpServer(users=users, port=args.port) as relay:
        print(f"SMTP stand-in on {relay.url()}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
