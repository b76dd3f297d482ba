"""The SMTP channel against an aiosmtpd relay over real sockets."""

from __future__ import annotations

import asyncio
import socket
import ssl
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lifeline.channels import Delivered, Failed, Message, Recipient, RetryLater
from lifeline.channels.smtp import SmtpChannel, SmtpConfig
from lifeline.config import settings_from_dict
from lifeline.core.errors import ConfigError
from lifeline.core.masking import mask_email
from tests.providers.smtp import SmtpServer, server_tls_context

FROM = "Demo BKK <service@demo-bkk.example.org>"
ERIKA = "erika.mustermann@example.org"
NOTICE = Message(
    text="Die Online-Filiale ist gestört. Wir melden uns.",
    subject="Störung: Online-Filiale nicht erreichbar",
    html="<p>Die <b>Online-Filiale</b> ist gestört.</p>",
    language="de",
)


def smtp_config(url: str, sender: str = FROM) -> SmtpConfig:
    return SmtpConfig.model_validate({"smtp_url": url, "from": sender})


def member(address: str = ERIKA, unsubscribe_url: str | None = None) -> Recipient:
    return Recipient(member_id=7, address=address, language="de", unsubscribe_url=unsubscribe_url)


def channel_for(url: str, **kwargs: Any) -> SmtpChannel:
    return SmtpChannel(smtp_config(url), kind="email", tenant_id="demo-bkk", **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def send_one(url: str, recipient: Recipient | None = None, **kwargs: Any) -> Any:
    async with channel_for(url, **kwargs) as channel:
        return await channel.send(recipient or member(), NOTICE)


# --- what goes out ----------------------------------------------------------------------


async def test_mail_carries_the_headers_a_notice_needs(smtp_server: SmtpServer) -> None:
    unsubscribe = "https://status.example.org/u/abc123"
    outcome = await send_one(smtp_server.url(), member(unsubscribe_url=unsubscribe))
    [received] = smtp_server.delivered
    mail = received.message
    assert received.mail_from == "service@demo-bkk.example.org"
    assert received.rcpt_tos == (ERIKA,)
    assert mail["From"] == FROM
    assert mail["To"] == ERIKA
    assert mail["Subject"] == "Störung: Online-Filiale nicht erreichbar"
    assert parsedate_to_datetime(mail["Date"]).tzinfo is not None
    assert mail["Message-ID"].endswith("@demo-bkk.example.org>")
    assert outcome == Delivered(provider_id=mail["Message-ID"])
    assert mail["Content-Language"] == "de"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe"] == (
        f"<{unsubscribe}>, <mailto:service@demo-bkk.example.org?subject=unsubscribe>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_mail_is_text_with_an_html_alternative(smtp_server: SmtpServer) -> None:
    await send_one(smtp_server.url())
    mail = smtp_server.delivered[0].message
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = (part for part in mail.iter_parts() if isinstance(part, EmailMessage))
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().strip() == NOTICE.text
    assert html.get_content_type() == "text/html"
    assert "<b>Online-Filiale</b>" in html.get_content()


async def test_text_only_mail_without_url_has_mailto_unsubscribe_only(
    smtp_server: SmtpServer,
) -> None:
    async with channel_for(smtp_server.url()) as channel:
        await channel.send(member(), Message(text="Nur Text: Störung behoben.", language="en"))
    mail = smtp_server.delivered[0].message
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().strip() == "Nur Text: Störung behoben."
    assert mail["Subject"] == "Nur Text: Störung behoben."
    assert mail["Content-Language"] == "en"
    assert mail["List-Unsubscribe"] == "<mailto:service@demo-bkk.example.org?subject=unsubscribe>"
    assert "List-Unsubscribe-Post" not in mail


async def test_a_line_break_in_the_subject_is_refused(smtp_server: SmtpServer) -> None:
    async with channel_for(smtp_server.url()) as channel:
        outcome = await channel.send(
            member(), Message(text="x", subject="Hi\nBcc: all@example.org")
        )
    assert isinstance(outcome, Failed)
    assert smtp_server.delivered == []


# --- connections ------------------------------------------------------------------------


async def test_one_connection_carries_many_messages(smtp_server: SmtpServer) -> None:
    async with channel_for(smtp_server.url()) as channel:
        outcomes = [await channel.send(member(f"m{i}@example.org"), NOTICE) for i in range(10)]
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert len(smtp_server.delivered) == 10
    assert smtp_server.connections == 1


@pytest.mark.parametrize("connections", [2, 4])
async def test_concurrent_sends_share_a_small_pool(
    smtp_server: SmtpServer, connections: int
) -> None:
    async with channel_for(smtp_server.url(), connections=connections) as channel:
        outcomes = await asyncio.gather(
            *(channel.send(member(f"m{i}@example.org"), NOTICE) for i in range(40))
        )
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.delivered) == sorted(
        f"m{i}@example.org" for i in range(40)
    )
    assert 1 < smtp_server.connections <= connections


async def test_dropped_connection_is_retried_and_the_next_send_reconnects(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.fail_next(1, "drop")
    async with channel_for(smtp_server.url(), connections=1) as channel:
        dropped = await channel.send(member(), NOTICE)
        after = await channel.send(member(), NOTICE)
    assert isinstance(dropped, RetryLater)
    assert "dropped" in dropped.reason
    assert isinstance(after, Delivered)
    assert len(smtp_server.delivered) == 1
    assert smtp_server.connections == 2


async def test_unreachable_relay_is_retried_without_showing_the_password() -> None:
    outcome = await send_one(f"smtp://lifeline:hunter2@127.0.0.1:{free_port()}", timeout=2)
    assert isinstance(outcome, RetryLater)
    assert "cannot connect" in outcome.reason
    assert "hunter2" not in outcome.reason
    assert "lifeline:***@127.0.0.1" in outcome.reason


# --- refusals ---------------------------------------------------------------------------


async def test_unknown_mailbox_fails_and_unsubscribes(smtp_server: SmtpServer) -> None:
    smtp_server.rejected[ERIKA] = f"550 5.1.1 <{ERIKA}>: Recipient address rejected: User unknown"
    outcome = await send_one(smtp_server.url())
    assert isinstance(outcome, Failed)
    assert outcome.unsubscribe
    assert "550 5.1.1" in outcome.reason
    assert "User unknown" in outcome.reason
    assert ERIKA not in outcome.reason  # personal data is masked
    assert mask_email(ERIKA) in outcome.reason
    assert smtp_server.delivered == []


async def test_policy_refusal_fails_but_keeps_the_member(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, "550-data")
    outcome = await send_one(smtp_server.url())
    assert isinstance(outcome, Failed)
    assert not outcome.unsubscribe
    assert "550 5.7.1 Message rejected as spam" in outcome.reason


@pytest.mark.parametrize("fault", ["451", "451-data"])
async def test_transient_refusals_are_retried_on_the_same_connection(
    smtp_server: SmtpServer, fault: str
) -> None:
    smtp_server.fail_next(1, fault)
    async with channel_for(smtp_server.url(), connections=1) as channel:
        first = await channel.send(member(), NOTICE)
        second = await channel.send(member(), NOTICE)
    assert isinstance(first, RetryLater)
    assert first.reason.startswith("SMTP relay deferred: 451 4.3.0")
    assert isinstance(second, Delivered)
    assert len(smtp_server.delivered) == 1
    assert smtp_server.connections == 1


async def test_a_share_of_transient_failures_is_never_counted_as_delivered(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.failure_rate = 0.3
    addresses = [f"m{i}@example.org" for i in range(40)]
    async with channel_for(smtp_server.url()) as channel:
        outcomes = await asyncio.gather(*(channel.send(member(a), NOTICE) for a in addresses))
    ok = {a for a, o in zip(addresses, outcomes, strict=True) if isinstance(o, Delivered)}
    assert 0 < len(ok) < 40
    assert all(isinstance(o, RetryLater) for o in outcomes if not isinstance(o, Delivered))
    assert {m.rcpt_tos[0] for m in smtp_server.delivered} == ok


# --- auth and TLS -----------------------------------------------------------------------


async def test_logs_in_with_percent_encoded_credentials() -> None:
    with SmtpServer(users={"lifeline@demo": "p@ss:w/rd%"}) as relay:
        outcome = await send_one(relay.url(user="lifeline@demo", password="p@ss:w/rd%"))
        assert isinstance(outcome, Delivered)
        assert relay.delivered[0].user == "lifeline@demo"


async def test_wrong_password_fails_without_showing_it() -> None:
    with SmtpServer(users={"lifeline": "right"}) as relay:
        outcome = await send_one(relay.url(user="lifeline", password="wrong-secret"))
        assert relay.delivered == []
    assert isinstance(outcome, Failed)
    assert "535" in outcome.reason
    assert "wrong-secret" not in outcome.reason


async def test_relay_requiring_auth_refuses_anonymous_mail() -> None:
    with SmtpServer(users={"lifeline": "right"}) as relay:
        outcome = await send_one(relay.url())
    assert isinstance(outcome, Failed)
    assert "530" in outcome.reason


async def test_starttls_is_used_when_offered(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    client = ssl.create_default_context(cafile=str(cert))
    with SmtpServer(users={"lifeline": "pw"}, tls=server_tls_context(cert, key)) as relay:
        # AUTH is offered only after STARTTLS, so a delivery proves the upgrade happened.
        outcome = await send_one(relay.url(user="lifeline", password="pw"), tls_context=client)
        assert isinstance(outcome, Delivered)
        assert relay.delivered[0].tls
        assert relay.delivered[0].user == "lifeline"


async def test_smtps_speaks_tls_from_the_start(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    client = ssl.create_default_context(cafile=str(cert))
    tls = server_tls_context(cert, key)
    with SmtpServer(tls=tls, implicit_tls=True) as relay:
        assert relay.url().startswith("smtps://")
        outcome = await send_one(relay.url(), tls_context=client)
        assert isinstance(outcome, Delivered)
        assert len(relay.delivered) == 1


async def test_untrusted_certificate_is_not_accepted(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    with SmtpServer(tls=server_tls_context(cert, key), implicit_tls=True) as relay:
        outcome = await send_one(relay.url(), timeout=5)
        assert relay.delivered == []
    assert isinstance(outcome, RetryLater)


# --- config -----------------------------------------------------------------------------


def email_settings(**email: Any) -> dict[str, Any]:
    channel = {"provider": "smtp", "from": FROM} | email
    return {"tenants": [{"id": "demo-bkk", "name": "Demo BKK", "channels": {"email": channel}}]}


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"smtp_url": "http://mail.example.org"}, r"\.smtp_url: .*smtp://"),
        ({"smtp_url": "smtp://"}, r"\.smtp_url: .*host"),
        ({"smtp_url": "smtp://mail.example.org:99999"}, r"\.smtp_url: .*port"),
        ({"smtp_url": "smtp://a", "from": "not an address"}, r"\.from: .*valid email"),
        (
            {"smtp_url": "smtp://a", "from": "a@example.org, b@example.org"},
            r"\.from: .*one address",
        ),
    ],
)
def test_bad_settings_name_the_key(changes: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.channels\.email" + complaint):
        settings_from_dict(email_settings(**changes), env={})


def test_password_never_shows(smtp_server: SmtpServer) -> None:
    url = "smtp://lifeline:s3cr%40t@mail.example.org:587"
    config = smtp_config(url)
    channel = SmtpChannel(config, kind="email", tenant_id="demo-bkk")
    for shown in (repr(config), str(config), repr(channel), config.masked_url):
        assert "s3cr" not in shown
    assert config.masked_url == "smtp://lifeline:***@mail.example.org:587"
    with pytest.raises(ConfigError) as config_error:
        settings_from_dict(email_settings(smtp_url="smtq://lifeline:s3cr@mail.example.org"), env={})
    with pytest.raises(ValidationError) as validation_error:
        smtp_config("smtq://lifeline:s3cr@mail.example.org")
    assert "s3cr" not in str(config_error.value)
    assert "s3cr" not in str(validation_error.value)


def test_good_settings_are_accepted() -> None:
    settings = settings_from_dict(email_settings(smtp_url="smtps://u:p@mail.example.org"), env={})
    email = settings.tenants[0].channels.email
    assert isinstance(email, SmtpConfig)
    assert email.from_address == "service@demo-bkk.example.org"


def test_mask_email() -> None:
    assert mask_email("erika.mustermann@example.org") == "er***@example.org"
    assert mask_email("nonsense") == "***"
