"""``lifeline dev``: everything on one machine in one command.

Starts an embedded Redis (unless ``LIFELINE_REDIS_URL`` or the config names one), writes a
demo config with outbox channels, runs the API and worker processes, seeds the demo tenant
with a few members and an API key, posts a sample notice through the API and follows it
until it is delivered into ``outbox/``.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from lifeline.access import apikeys
from lifeline.cli.admin_client import AdminClient
from lifeline.cli.embedded_redis import EmbeddedRedis, die_with_parent, free_port
from lifeline.cli.watch import summary, watch
from lifeline.config import Settings, load_settings
from lifeline.core import defaults
from lifeline.core.errors import LifelineError
from lifeline.db import connect, ensure_reachable
from lifeline.members import MemberData, MemberStore

DEMO_TENANT = "demo-bkk"

DEMO_CONFIG = """\
# Written by `lifeline dev`: a demo insurer whose messages land in {outbox}.
[redis]
url = "{redis_url}"

[web]
public_url = "{public_url}"
secret = "{secret}"
static_dir = "{static_dir}"

[[tenants]]
id = "{tenant}"
name = "Demo BKK"
default_language = "de"
hotline = "+49 30 1234567"
website = "https://status.example.org"
topics = ["outages", "service"]

[tenants.channels.telegram]
provider = "outbox"
path = "{outbox}"

[tenants.channels.email]
provider = "outbox"
path = "{outbox}"

[tenants.channels.sms]
provider = "outbox"
path = "{outbox}"
inbound_token = "{secret}"
"""

DEMO_MEMBERS: list[dict[str, Any]] = [
    {"language": "de", "email": "erika.mustermann@example.org", "phone": "+4915112345678"},
    {"language": "de", "telegram_chat_id": 100000001},
    {"language": "en", "email": "john.doe@example.org", "telegram_chat_id": 100000002},
    {"language": "en", "phone": "+4917612345678"},
    {"language": "de", "email": "max.muster@example.org", "topics": ("outages", "service")},
]

SAMPLE_NOTICE: dict[str, Any] = {
    "severity": "major",
    "headline": {
        "de": "Störung: App, Online-Filiale und Telefon nicht erreichbar",
        "en": "Outage: app, online branch and phone lines unavailable",
    },
    "body": {
        "de": "Nach einem Angriff auf unseren IT-Dienstleister sind unsere digitalen Dienste "
        "gestört. Ihre Versicherung besteht unverändert. Krankmeldungen bitte auf Papier.",
        "en": "After an attack on our IT provider our digital services are down. Your cover "
        "is unaffected. Please hand in sick notes on paper.",
    },
    "services": ["app", "portal", "phone", "eau"],
    "topics": ["outages"],
}

console = Console(stderr=True, highlight=False, soft_wrap=True)


def run(*, host: str, port: int, workers: int, once: bool, state_dir: Path) -> None:
    """Start everything, deliver the sample notice, then serve until Ctrl-C (or exit)."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        redis_url = os.environ.get("LIFELINE_REDIS_URL") or _configured_redis()
        if redis_url:
            ensure_reachable(redis_url)  # say so now, not after the API's 30 s
        else:
            embedded = EmbeddedRedis(state_dir / "redis", port=_port(defaults.DEV_REDIS_PORT))
            server = stack.enter_context(embedded)
            redis_url = server.url
            console.print(f"embedded Redis on {redis_url} (data in {state_dir / 'redis'})")
        port = _port(port)
        base_url = f"http://{host}:{port}"
        settings, config_path = _settings(state_dir, redis_url, base_url)
        env = {**os.environ, "LIFELINE_CONFIG": str(config_path), "LIFELINE_REDIS_URL": redis_url}
        children = [_spawn(["api", "--host", host, "--port", str(port)], env, state_dir)]
        children += [_spawn(["worker"], env, state_dir) for _ in range(workers)]
        stack.callback(_stop, children)
        _wait_ready(base_url, children, state_dir)
        key = _seed(settings)
        notice_id = _send_sample(base_url, key)
        _explain(base_url, key, config_path, notice_id, settings)
        if not once:
            console.print("[bold]Lifeline dev is running.[/] Ctrl-C stops it.")
            _wait_forever(children)


def _configured_redis() -> str | None:
    if not os.environ.get("LIFELINE_CONFIG"):
        return None
    settings = load_settings()
    return None if settings.redis.url == defaults.REDIS_URL else settings.redis.url


def _settings(state_dir: Path, redis_url: str, base_url: str) -> tuple[Settings, Path]:
    if os.environ.get("LIFELINE_CONFIG"):
        path = Path(os.environ["LIFELINE_CONFIG"]).resolve()
    else:
        path = state_dir / "config.toml"
        outbox = (Path.cwd() / defaults.OUTBOX_DIR).resolve()
        demo = DEMO_CONFIG.format(
            redis_url=redis_url,
            tenant=DEMO_TENANT,
            outbox=outbox,
            public_url=base_url,
            secret=_secret(state_dir),
            static_dir=state_dir / "status",
        )
        path.write_text(demo, encoding="utf-8")
    settings = load_settings(path, env={**os.environ, "LIFELINE_REDIS_URL": redis_url})
    if not settings.tenants:
        raise LifelineError(f"{path}: no [[tenants]] configured")
    return settings, path


def _secret(state_dir: Path) -> str:
    """The demo's link-signing secret, kept across runs so that links sent stay valid."""
    path = state_dir / "web-secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _port(wanted: int) -> int:
    if wanted == 0:
        return free_port()
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", wanted))
        except OSError:
            return free_port()
    return wanted


def _spawn(args: list[str], env: dict[str, str], state_dir: Path) -> subprocess.Popen[bytes]:
    with (state_dir / f"{args[0]}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "lifeline", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches dev, which stops the children in order
            preexec_fn=die_with_parent,  # a killed dev leaves nothing running
        )


def _wait_ready(base_url: str, children: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + defaults.DEV_READY_SECONDS
    while time.monotonic() < deadline:
        for child in children:
            if child.poll() is not None:
                name = str(child.args[3]) if isinstance(child.args, list) else "a process"
                raise LifelineError(
                    f"lifeline {name} exited with {child.returncode}: "
                    f"{_last_line(logs / f'{name}.log')}"
                )
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise LifelineError(
        f"the API did not become ready at {base_url}: {_last_line(logs / 'api.log')}"
    )


def _last_line(log: Path) -> str:
    """The last line a child wrote, and where the rest is."""
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    last = lines[-1].strip() if lines else "it wrote nothing"
    return f"{last} (whole log: {log})"


def _seed(settings: Settings) -> str:
    tenant = settings.tenants[0]
    client = connect(settings.redis.url)
    consent = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    rows = [
        MemberData(
            language=m["language"],
            topics=tuple(m.get("topics", tenant.topics[:1])),
            telegram_chat_id=m.get("telegram_chat_id"),
            email=m.get("email"),
            phone=m.get("phone"),
            consent_given_at=consent,
            consent_source="demo",
        )
        for m in DEMO_MEMBERS
    ]
    MemberStore(client).upsert_many(tenant.id, rows)
    return apikeys.create(client, tenant.id, {"admin"}, name="lifeline dev")


def _send_sample(base_url: str, key: str) -> int:
    client = AdminClient(base_url, key)
    try:
        notice_id = client.post_notice(SAMPLE_NOTICE)
        console.print(f"sample notice {notice_id} posted; delivering …")
        state = watch(client, notice_id, console=console, timeout=defaults.DEV_SAMPLE_SECONDS)
        console.print(summary(state))
        if not state.get("complete"):
            raise LifelineError(
                f"sample notice {notice_id} was not delivered within "
                f"{defaults.DEV_SAMPLE_SECONDS} s"
            )
        return notice_id
    finally:
        client.close()


def _explain(
    base_url: str, key: str, config_path: Path, notice_id: int, settings: Settings
) -> None:
    outbox = (Path.cwd() / defaults.OUTBOX_DIR / settings.tenants[0].id).resolve()
    console.print(
        f"\n[bold green]Delivered.[/] Messages are in {outbox}/*.jsonl\n"
        f"API {base_url} (docs at {base_url}/docs), config {config_path}\n"
        f"Status page {base_url}/t/{settings.tenants[0].id} · sign-up "
        f"{base_url}/t/{settings.tenants[0].id}/subscribe\n"
        f"Try:\n  curl -s -H 'Authorization: Bearer {key}' {base_url}/v1/notices/{notice_id}\n"
        f"  export LIFELINE_CONFIG={config_path} LIFELINE_API_URL={base_url} "
        f"LIFELINE_API_KEY={key}\n"
    )
    print(key)


def _wait_forever(children: list[subprocess.Popen[bytes]]) -> None:
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        raise LifelineError("a Lifeline process stopped; see the logs in the dev state folder")
    except KeyboardInterrupt:
        console.print("stopping …")


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=defaults.DEV_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
