"""pytest fixtures for the provider stand-ins.

Each server starts once per test session on a free port; the function-scoped fixture hands
it to a test with recorded calls, deliveries and faults cleared. Use them from a conftest::

    from tests.providers.fixtures import bot_api, bot_api_server  # noqa: F401

or register the module once for the whole suite in ``tests/conftest.py``::

    pytest_plugins = ["tests.providers.fixtures"]

=================  ===========================================================
fixture            gives
=================  ===========================================================
``bot_api``        ``BotApiServer`` (token ``BOT_TOKEN``); ``.api_base`` for config
``sms_gateway``    ``SmsGatewayServer``; ``.send_url``, ``.url`` (Twilio, seven.io)
``smtp_server``    ``SmtpServer`` without AUTH or TLS; ``.url()`` for config
``tls_files``      (cert, key) for 127.0.0.1, or the test is skipped without openssl
=================  ===========================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.providers.botapi import BotApiServer
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer, self_signed_cert

BOT_TOKEN = "123456:stand-in-token"
"""The only token ``bot_api`` accepts; any other gets 401 (python-telegram-bot: InvalidToken)."""


@pytest.fixture(scope="session")
def bot_api_server() -> Iterator[BotApiServer]:
    """One Bot API stand-in for the session."""
    with BotApiServer(token=BOT_TOKEN) as server:
        yield server


@pytest.fixture
def bot_api(bot_api_server: BotApiServer) -> Iterator[BotApiServer]:
    """The Bot API stand-in, with nothing recorded and no faults planned."""
    bot_api_server.reset()
    yield bot_api_server
    bot_api_server.reset()


@pytest.fixture(scope="session")
def sms_gateway_server() -> Iterator[SmsGatewayServer]:
    """One SMS gateway stand-in for the session."""
    with SmsGatewayServer() as server:
        yield server


@pytest.fixture
def sms_gateway(sms_gateway_server: SmsGatewayServer) -> Iterator[SmsGatewayServer]:
    """The SMS gateway stand-in, with nothing recorded and no faults planned."""
    sms_gateway_server.reset()
    yield sms_gateway_server
    sms_gateway_server.reset()


@pytest.fixture(scope="session")
def smtp_server_session() -> Iterator[SmtpServer]:
    """One plain SMTP relay for the session."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_server(smtp_server_session: SmtpServer) -> Iterator[SmtpServer]:
    """The plain SMTP relay, with nothing recorded and no faults planned."""
    smtp_server_session.reset()
    yield smtp_server_session
    smtp_server_session.reset()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1 (skips without the openssl tool)."""
    files = self_signed_cert(tmp_path_factory.mktemp("tls"))
    if files is None:
        pytest.skip("no openssl tool to make a test certificate")
    return files
