"""Email over SMTP with aiosmtplib (STARTTLS or implicit TLS, auth from the URL).

A batch keeps a few connections open and sends many messages over each; each message is
serialised once (``channels.mime``) and only its recipient's headers and links change.
SMTP errors map onto outcomes in ``outcome_of`` and nowhere else:

    SMTPResponseException 4xx           → RetryLater        greylisting, full mailbox, 451
    SMTPResponseException 5xx           → Failed            550 user unknown (5.1.x: unsubscribe)
    SMTPTimeoutError                    → RetryLater
    SMTPServerDisconnected              → RetryLater        the next send reconnects
    SMTPConnectError / OSError          → RetryLater        relay down or unreachable
    SMTPNotSupported, bad address       → Failed
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import replace
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from html import escape as html_escape
from typing import ClassVar, Literal
from urllib.parse import SplitResult, quote, unquote, urlsplit

import aiosmtplib
from email_validator import EmailNotValidError, validate_email
from pydantic import ConfigDict, Field, SecretStr, field_validator

from lifeline.channels import wire
from lifeline.channels.base import (
    ACK_MARK,
    UNSUBSCRIBE_MARK,
    Channel,
    Delivered,
    Failed,
    Message,
    Outcome,
    ProviderConfig,
    Recipient,
    RetryLater,
)
from lifeline.channels.mime import MailTemplates, Sender, subject_of
from lifeline.core import defaults
from lifeline.core.masking import mask_email
from lifeline.core.vocabulary import ChannelKind

_MAILBOX_GONE = re.compile(r"\b5\.1\.(1|10|6)\b")
"""Enhanced status codes that mean the address does not exist (any more)."""


class SmtpConfig(ProviderConfig):
    """``provider = "smtp"``: a relay URL and the From address."""

    model_config = ConfigDict(hide_input_in_errors=True)  # the URL carries the password

    provider: Literal["smtp"] = "smtp"
    smtp_url: SecretStr
    from_: str = Field(alias="from")
    rate_per_second: float = Field(
        default=defaults.EMAIL_RATE_PER_SECOND, gt=0, le=defaults.MAX_RATE_PER_SECOND
    )
    bounce_token: SecretStr | None = Field(default=None, min_length=16)
    """What the relay sends to ``POST /receipts/<tenant>/email`` with bounces and delivery
    reports in the generic JSON shape (``Authorization: Bearer`` or ``?token=``)."""
    mailgun_signing_key: SecretStr | None = Field(default=None, min_length=16)
    """Mailgun's HTTP webhook signing key: its event webhooks posted to the same path are
    checked by their signature."""

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr) -> SecretStr:
        url = urlsplit(value.get_secret_value())
        if url.scheme not in {"smtp", "smtps"}:
            raise ValueError("must start with smtp:// (STARTTLS when offered) or smtps://")
        if not url.hostname:
            raise ValueError("must name a host, e.g. smtp://user:password@mail.example.org:587")
        try:
            url.port  # noqa: B018 -- urlsplit checks the port only when asked
        except ValueError:
            raise ValueError("has a port that is not a number from 0 to 65535") from None
        return value

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str) -> str:
        addresses = getaddresses([value])
        if len(addresses) != 1 or not addresses[0][1]:
            raise ValueError("must be one address, e.g. Demo BKK <service@example.org>")
        try:
            validate_email(addresses[0][1], check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(f"is not a valid email address: {exc}") from None
        return value

    @property
    def url(self) -> SplitResult:
        """The relay URL, parsed (it holds the password: never print it)."""
        return urlsplit(self.smtp_url.get_secret_value())

    @property
    def masked_url(self) -> str:
        """The relay URL with the password replaced by ``***``, fit for logs and errors."""
        url = self.url
        user = (
            f"{url.username}:***@" if url.password else (f"{url.username}@" if url.username else "")
        )
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{user}{url.hostname}{port}"

    @property
    def from_address(self) -> str:
        """The bare address of ``from`` (the envelope sender)."""
        return getaddresses([self.from_])[0][1]

    def create(self, *, kind: ChannelKind, tenant_id: str) -> Channel:
        return SmtpChannel(self, kind=kind, tenant_id=tenant_id)


class SmtpChannel(Channel):
    """Keeps a few SMTP connections open for the batch and sends multipart mail."""

    provider = "smtp"
    paces_at_wire = True
    connections: ClassVar[int] = defaults.SMTP_CONNECTIONS
    timeout: ClassVar[float] = defaults.SMTP_TIMEOUT_SECONDS

    def __init__(
        self,
        config: SmtpConfig,
        *,
        kind: ChannelKind,
        tenant_id: str,
        connections: int | None = None,
        timeout: float | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(kind=kind, tenant_id=tenant_id)
        self.config = config
        self._size = connections or self.connections
        self._timeout = timeout or self.timeout
        self._tls_context = tls_context
        self._pool: asyncio.LifoQueue[aiosmtplib.SMTP] | None = None
        # Parsed once: ``getaddresses`` on every send was 2 % of an email worker's CPU.
        self._sender = address = config.from_address
        mailto = f"mailto:{address}?subject=unsubscribe"
        self._templates = MailTemplates(Sender(config.from_, address.rsplit("@", 1)[1], mailto))

    def __repr__(self) -> str:
        return f"SmtpChannel({self.config.masked_url}, connections={self._size})"

    async def open(self) -> None:
        self._idle()

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        while pool is not None and not pool.empty():
            client = pool.get_nowait()
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()

    async def send(self, recipient: Recipient, message: Message) -> Outcome:
        try:
            mail, message_id = self.mail_for(recipient, message)
        except ValueError as exc:  # e.g. a line break in the subject
            return Failed(f"cannot build the email: {exc}")
        pool = self._idle()
        client = await pool.get()
        try:
            await self._deliver(client, mail, recipient.address)
        except (
            aiosmtplib.SMTPResponseException,
            aiosmtplib.SMTPRecipientsRefused,
            ValueError,
        ) as exc:
            # The session is still in step (aiosmtplib sent RSET), so it stays open.
            return self._masked(outcome_of(exc, recipient.address, self.config.masked_url))
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()  # state unknown: the next send on this slot reconnects
            return self._masked(outcome_of(exc, recipient.address, self.config.masked_url))
        except asyncio.CancelledError:
            client.close()
            raise
        finally:
            pool.put_nowait(client)
        return Delivered(provider_id=message_id)

    def mail_for(self, recipient: Recipient, message: Message) -> tuple[bytes | EmailMessage, str]:
        """The mail for the wire and its Message-ID: bytes filled into the message's
        template (``channels.mime``), or, for an address or link that cannot stand in a
        header as it is, the email ``compose`` builds."""
        message_id = self._templates.message_id()
        raw = self._templates.of(message).fill(
            recipient, date=self._templates.date(), message_id=message_id
        )
        if raw is not None:
            return raw, message_id
        mail = self.compose(recipient, message)
        return mail, str(mail["Message-ID"])

    def compose(self, recipient: Recipient, message: Message) -> EmailMessage:
        """The email built with the stdlib: text, and HTML as an alternative when there is
        one. ``mail_for`` sends the same mail from a template; this is for the rare recipient
        a template cannot take, and what tests compare the template's bytes with."""
        mail = EmailMessage()
        mail["From"] = self.config.from_
        mail["To"] = recipient.address
        mail["Subject"] = subject_of(message)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self._sender.rsplit("@", 1)[1])
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
        mailto = f"mailto:{self._sender}?subject=unsubscribe"
        if recipient.unsubscribe_url:
            # RFC 8058 one-click first: mail clients use the first method they support.
            mail["List-Unsubscribe"] = f"<{recipient.unsubscribe_url}>, <{mailto}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        else:
            mail["List-Unsubscribe"] = f"<{mailto}>"
        # Without a signed link (no web.public_url) the footer offers the mailto address.
        link = recipient.unsubscribe_url or mailto
        ack = recipient.ack_url or ""
        text = message.text.replace(UNSUBSCRIBE_MARK, link).replace(ACK_MARK, ack)
        mail.set_content(text, cte="quoted-printable")
        if message.html:
            html = message.html.replace(UNSUBSCRIBE_MARK, html_escape(link))
            html = html.replace(ACK_MARK, html_escape(ack))
            mail.add_alternative(html, subtype="html", cte="quoted-printable")
        # After the content: set_content replaces every Content-* header of the message.
        mail["Content-Language"] = message.language
        return mail

    async def _deliver(self, client: aiosmtplib.SMTP, mail: bytes | EmailMessage, to: str) -> None:
        if not client.is_connected:
            try:
                await client.connect()  # EHLO, STARTTLS when offered, AUTH
            except BaseException:
                client.close()  # half a handshake (e.g. AUTH refused) is no connection
                raise
        await wire.reached()  # connected: now wait for this send's slot
        if isinstance(mail, bytes):  # 7-bit throughout: no BODY=8BITMIME or SMTPUTF8 needed
            await client.sendmail(self._sender, [to], mail)
        else:
            await client.send_message(mail, sender=self._sender, recipients=[to])

    def _idle(self) -> asyncio.LifoQueue[aiosmtplib.SMTP]:
        """The pool of connections not in use; each connects on first use.

        Last in, first out: a lone sender keeps reusing the connection it just had, and
        the others are opened only when sends overlap.
        """
        if self._pool is None:
            self._pool = asyncio.LifoQueue()
            for _ in range(self._size):
                self._pool.put_nowait(self._client())
        return self._pool

    def _client(self) -> aiosmtplib.SMTP:
        url = self.config.url
        implicit = url.scheme == "smtps"
        return aiosmtplib.SMTP(
            hostname=url.hostname,
            port=url.port,
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=implicit,
            start_tls=False if implicit else None,  # None: STARTTLS when the relay offers it
            tls_context=self._tls_context,
            timeout=self._timeout,
        )

    def _masked(self, outcome: Outcome) -> Outcome:
        """The outcome without the relay password in its reason, however it got there."""
        password = self.config.url.password
        if isinstance(outcome, Delivered) or not password:
            return outcome
        reason = outcome.reason
        for form in {password, unquote(password), quote(unquote(password), safe="")}:
            reason = reason.replace(form, "***")
        return replace(outcome, reason=reason)


def outcome_of(exc: Exception, address: str, server: str) -> Outcome:
    """What an aiosmtplib error means for the recipient ``address`` (masked in the reason)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        said = f"{exc.code} {exc.message}".replace(address, mask_email(address))
        if 400 <= exc.code < 500:
            return RetryLater(f"SMTP relay deferred: {said}")
        gone = isinstance(exc, aiosmtplib.SMTPRecipientRefused) and bool(_MAILBOX_GONE.search(said))
        return Failed(f"SMTP relay refused: {said}", unsubscribe=gone)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return RetryLater(f"SMTP relay {server} did not answer in time")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return RetryLater(f"connection to SMTP relay {server} dropped: {exc}")
    if isinstance(exc, aiosmtplib.SMTPConnectError | OSError):
        return RetryLater(f"cannot connect to SMTP relay {server}: {exc}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return Failed(f"SMTP relay cannot take this message: {exc}")
    if isinstance(exc, ValueError):
        return Failed(f"not an address SMTP can send to: {mask_email(address)}")
    return RetryLater(f"SMTP error with relay {server}: {exc}")
