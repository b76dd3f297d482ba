"""The ``lifeline`` command: dev, api, worker, bot, notice, keys.

Commands are thin: they load the settings, call the module that owns the work, and turn
Lifeline's own errors into one line on stderr and exit status 2 (never a traceback).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

import lifeline
from lifeline.cli import keys, status
from lifeline.cli.common import err, friendly, reachable, settings
from lifeline.config import load_settings
from lifeline.core import logs
from lifeline.core.errors import LifelineError
from lifeline.core.logs import LOG_FORMATS, LogFormat
from lifeline.messages import check_templates

app = typer.Typer(
    help="Lifeline: tell an insurer's members what is broken when its own IT is down.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
notice_app = typer.Typer(
    help="Post and follow outage notices through the API.", no_args_is_help=True
)
bot_app = typer.Typer(
    help="The member bot: polls for every tenant unless a subcommand is given.",
    invoke_without_command=True,
)
app.add_typer(notice_app, name="notice")
app.add_typer(keys.app, name="keys")
app.add_typer(bot_app, name="bot")
app.add_typer(status.app, name="status")

ApiUrl = Annotated[
    str, typer.Option("--api", envvar="LIFELINE_API_URL", help="Base URL of the Lifeline API.")
]
ApiKeyOpt = Annotated[
    str, typer.Option("--key", envvar="LIFELINE_API_KEY", help="API key (role publisher).")
]


def _version(value: bool) -> None:
    if value:
        print(f"lifeline {lifeline.__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Lifeline: tell an insurer's members what is broken when its own IT is down."""


LogFormatOpt = Annotated[
    str,
    typer.Option(
        "--log-format",
        envvar="LIFELINE_LOG_FORMAT",
        help="text (for a terminal) or json (one object a line, for a log pipeline).",
    ),
]


def _log_format(value: str) -> LogFormat:
    for fmt in LOG_FORMATS:
        if value == fmt:
            return fmt
    raise LifelineError(f"--log-format: {value!r} is not one of {', '.join(LOG_FORMATS)}")


def _logging(verbose: bool, fmt: str = "text") -> None:
    logs.configure(_log_format(fmt), verbose=verbose)


@app.command()
@friendly
def dev(
    host: Annotated[str, typer.Option(help="Interface of the API.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API (a free one if taken).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker processes.")] = 1,
    once: Annotated[
        bool, typer.Option("--once", help="Exit after the sample notice is delivered.")
    ] = False,
    state_dir: Annotated[Path, typer.Option(help="Where dev keeps Redis data and config.")] = Path(
        ".lifeline-dev"
    ),
) -> None:
    """Run everything locally: Redis, API, worker, outbox channels, a demo tenant."""
    from lifeline.cli import dev as devmode

    devmode.run(host=host, port=port, workers=workers, once=once, state_dir=state_dir)


@app.command()
@friendly
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    log_format: LogFormatOpt = "text",
) -> None:
    """Serve the admin API, and the public pages and webhooks beside it."""
    _serve("lifeline.api:create_app_from_env", host=host, port=port, workers=workers,
           log_format=log_format)  # fmt: skip


@app.command()
@friendly
def web(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes.")] = 1,
    log_format: LogFormatOpt = "text",
) -> None:
    """Serve the public pages and the webhooks alone (no admin API): the side that faces
    the internet."""
    _serve("lifeline.web:create_web_app_from_env", host=host, port=port, workers=workers,
           log_format=log_format)  # fmt: skip


def _serve(factory: str, *, host: str, port: int, workers: int, log_format: str) -> None:
    import uvicorn

    fmt = _log_format(log_format)
    logs.configure(fmt)
    settings()  # fail here, with a clear message, not inside uvicorn
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        log_config=logs.logging_config(fmt),  # also in each of uvicorn's worker processes
    )


@app.command()
@friendly
def worker(
    burst: Annotated[bool, typer.Option("--burst", help="Exit when the queues are empty.")] = False,
    name: Annotated[str | None, typer.Option(help="Worker name (unique).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    log_format: LogFormatOpt = "text",
) -> None:
    """Run one worker; start any number of them, on any host, against the same Redis."""
    from lifeline.delivery import worker as worker_mod

    _logging(verbose, log_format)
    worker_mod.run(reachable(settings()), burst=burst, name=name)


@bot_app.callback(invoke_without_command=True)
@friendly
def bot(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    log_format: LogFormatOpt = "text",
) -> None:
    """Run every tenant's Telegram bot in polling mode, in this one process, until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    from lifeline.bot import run_polling

    _logging(verbose, log_format)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per getUpdates otherwise
    run_polling(settings())


@bot_app.command("set-webhook")
@friendly
def bot_set_webhook(
    url: Annotated[
        str, typer.Argument(help="Public base URL of the API, e.g. https://ll.example.org")
    ],
) -> None:
    """Make Telegram send each tenant's updates to URL/telegram/<tenant>/webhook."""
    import asyncio

    from lifeline.bot import set_webhooks

    if not url.startswith("https://") and not url.startswith("http://"):
        raise LifelineError(f"URL: {url!r} is not an http(s) URL (Telegram requires https)")
    for line in asyncio.run(set_webhooks(settings(), url)):
        print(line)


@notice_app.command("send")
@friendly
def notice_send(
    file: Annotated[
        Path, typer.Argument(help="Notice JSON, e.g. examples/notice.json; - for stdin.")
    ],
    api_url: ApiUrl = "http://127.0.0.1:8000",
    key: ApiKeyOpt = "",
    idempotency_key: Annotated[
        str | None, typer.Option(help="Makes re-running this command safe.")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Show progress until delivered.")] = True,
) -> None:
    """Post a notice and show a live progress bar per channel until it is delivered."""
    from lifeline.cli.admin_client import AdminClient
    from lifeline.cli.watch import summary, watch

    body = _read_json(file)
    client = AdminClient(api_url, _need_key(key))
    try:
        notice_id = client.post_notice(body, idempotency_key=idempotency_key)
        err.print(f"notice {notice_id} accepted")
        if wait:
            state = watch(client, notice_id, console=err)
            err.print(summary(state), highlight=False)
    finally:
        client.close()
    print(notice_id)


def _decide(decision: str, notice_id: int, api_url: str, key: str, note: str) -> None:
    from lifeline.cli.admin_client import AdminClient

    client = AdminClient(api_url, _need_key(key))
    try:
        state = client.decide(notice_id, decision, note)
    finally:
        client.close()
    approval = state.get("approval") or {}
    err.print(
        f"notice {notice_id}: {state['status'].replace('_', ' ')} "
        f"(proposed by {approval.get('proposed_by', '?')}, "
        f"{DECIDED[decision]} by {approval.get('decided_by', '?')})",
        highlight=False,
    )
    print(state["status"])


DECIDED = {"approve": "approved", "reject": "rejected"}
NoteOpt = Annotated[str, typer.Option(help="Why, in a few words, for the audit log.")]


def _decision_command(verb: str, effect: str) -> None:
    """``lifeline notice <verb> ID``: the second person's decision, through the API."""

    @friendly
    def command(
        notice_id: Annotated[int, typer.Argument(help="Id of the notice waiting for approval.")],
        api_url: ApiUrl = "http://127.0.0.1:8000",
        key: ApiKeyOpt = "",
        note: NoteOpt = "",
    ) -> None:
        _decide(verb, notice_id, api_url, key, note)

    command.__doc__ = f"{verb.capitalize()} a notice another person posted: {effect}"
    notice_app.command(verb)(command)


_decision_command("approve", "its delivery starts (four eyes).")
_decision_command("reject", "it is never sent.")


@notice_app.command("watch")
@friendly
def notice_watch(
    notice_id: Annotated[int, typer.Argument(help="Notice id.")],
    api_url: ApiUrl = "http://127.0.0.1:8000",
    key: ApiKeyOpt = "",
) -> None:
    """Show live progress of a notice until it is delivered."""
    from lifeline.cli.admin_client import AdminClient
    from lifeline.cli.watch import summary, watch

    client = AdminClient(api_url, _need_key(key))
    try:
        err.print(summary(watch(client, notice_id, console=err)), highlight=False)
    finally:
        client.close()


@app.command("check-config")
@friendly
def check_config(
    file: Annotated[
        Path | None, typer.Argument(help="The config file (default: LIFELINE_CONFIG).")
    ] = None,
) -> None:
    """Validate the config file, render every template with sample notices, and print
    what it configures."""
    if file is None and not os.environ.get("LIFELINE_CONFIG"):
        raise LifelineError(
            "no config file to check: pass it (lifeline check-config FILE) or set LIFELINE_CONFIG"
        )
    configured = load_settings(file)
    check_templates(configured)
    for tenant in configured.tenants:
        channels = ", ".join(
            f"{kind}={' → '.join(name for name, _ in tenant.channels.providers(kind))}"
            for kind in tenant.channels.configured()
        )
        print(f"{tenant.id}: {tenant.name} ({channels or 'no channels'})")


def _need_key(key: str) -> str:
    if not key:
        raise LifelineError("--key: no API key (pass --key or set LIFELINE_API_KEY)")
    return key


def _read_json(file: Path) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except OSError as exc:
        raise LifelineError(f"{file}: cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LifelineError(f"{file}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise LifelineError(f"{file}: a notice must be a JSON object")
    return data


def main() -> None:
    """Entry point of the ``lifeline`` script."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
