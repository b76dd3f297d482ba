"""Email bytes filled in from a template (channels/mime.py), checked against the stdlib.

Every mail is parsed back from the bytes the aiosmtpd stand-in received and compared with
the mail ``SmtpChannel.compose`` builds through ``email.message`` for the same recipient
(flattened as aiosmtplib's ``send_message`` flattens it): the old path is the reference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime

import pytest
from aiosmtplib.email import flatten_message

from lifeline import messages
from lifeline.channels import Delivered, Message, Recipient
from lifeline.channels.base import ACK_MARK, UNSUBSCRIBE_MARK
from lifeline.channels.mime import MailTemplates, Sender
from lifeline.channels.smtp import SmtpChannel, SmtpConfig
from lifeline.config import settings_from_dict
from lifeline.notices import Notice
from tests.providers.smtp import ReceivedMail, SmtpServer

FROM = "Demo BKK <service@demo-bkk.example.org>"
MAILTO = "mailto:service@demo-bkk.example.org?subject=unsubscribe"
BASE = "https://status.demo-bkk.example.org/t/demo-bkk"


def channel_for(url: str) -> SmtpChannel:
    config = SmtpConfig.model_validate({"smtp_url": url, "from": FROM})
    return SmtpChannel(config, kind="email", tenant_id="demo-bkk")


def exercise(language: str) -> Message:
    """The tenant's real email templates, for a drill that asks for acknowledgement."""
    settings = settings_from_dict(
        {"tenants": [{"id": "demo-bkk", "name": "Demo BKK", "channels": {"email": {
            "provider": "smtp", "smtp_url": "smtp://127.0.0.1:1", "from": FROM}}}]},
        env={},
    )  # fmt: skip
    tenant = settings.tenant("demo-bkk")
    assert tenant is not None
    notice = Notice(
        id=41, tenant_id="demo-bkk", severity="major", mode="exercise",
        headline={"de": "Störung: Online-Filiale gestört", "en": "Outage: online office down"},
        body={"de": "Bitte nutzen Sie die Geschäftsstellen.", "en": "Please visit a branch."},
        services=("app",), topics=("outages",), channels=("email",), created_at=datetime.now(UTC),
    )  # fmt: skip
    return messages.render(tenant, notice, "email", language, ack=True)


def recipient(member_id: int, language: str) -> Recipient:
    return Recipient(
        member_id,
        f"member-{member_id}@example.org",
        language,
        unsubscribe_url=f"{BASE}/unsubscribe/{member_id}.e.Zm9vYmFy-_{member_id}",
        ack_url=f"{BASE}/ack/41/{member_id}.e.QUNL_-{member_id}",
    )


def reference(channel: SmtpChannel, to: Recipient, message: Message) -> EmailMessage:
    """The mail the stdlib path builds, as aiosmtplib would have put it on the wire."""
    wire = flatten_message(channel.compose(to, message))
    mail = message_from_bytes(wire, policy=default_policy)
    assert isinstance(mail, EmailMessage)
    return mail


def parts(mail: EmailMessage) -> list[tuple[str, str | None, str]]:
    """Each leaf part: its type, charset and decoded content."""
    return [
        (part.get_content_type(), part.get_content_charset(), part.get_content())
        for part in mail.walk()
        if not part.is_multipart()
    ]


def assert_clean_wire(raw: bytes) -> None:
    """7-bit, CRLF lines within SMTP's and quoted-printable's limits, nothing trailing,
    List-Unsubscribe on one line."""
    assert raw.isascii()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = raw.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(line == line.rstrip(b" \t") for line in lines)
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))
    [unsubscribe] = [
        i for i, line in enumerate(head.split(b"\r\n")) if line.startswith(b"List-Unsubscribe:")
    ]
    assert not head.split(b"\r\n")[unsubscribe + 1].startswith((b" ", b"\t"))


async def test_a_batch_of_mails_parses_back_to_what_the_stdlib_builds(
    smtp_server: SmtpServer,
) -> None:
    notices = {"de": exercise("de"), "en": exercise("en")}
    members = [recipient(i, "de" if i % 2 else "en") for i in range(1, 7)]
    async with channel_for(smtp_server.url()) as channel:
        outcomes = [await channel.send(m, notices[m.language]) for m in members]
        expected = [reference(channel, m, notices[m.language]) for m in members]
        assert all(isinstance(channel.mail_for(m, notices[m.language])[0], bytes) for m in members)
    received: dict[str, ReceivedMail] = {r.rcpt_tos[0]: r for r in smtp_server.delivered}
    assert sorted(received) == sorted(m.address for m in members)
    ids = set()
    for member, outcome, old in zip(members, outcomes, expected, strict=True):
        got = received[member.address]
        assert_clean_wire(got.raw)
        mail = message_from_bytes(got.raw, policy=default_policy)
        assert isinstance(mail, EmailMessage)
        assert sorted(mail.keys()) == sorted(old.keys())  # no header more, none less
        assert mail["From"] == FROM == old["From"]
        assert mail["To"] == member.address == old["To"]
        mark = "ÜBUNG: " if member.language == "de" else "EXERCISE: "
        assert mail["Subject"] == old["Subject"] == notices[member.language].subject
        assert mail["Subject"].startswith(mark)
        assert parsedate_to_datetime(mail["Date"]).tzinfo is not None
        assert mail["Message-ID"].endswith("@demo-bkk.example.org>")
        assert outcome == Delivered(provider_id=mail["Message-ID"])
        ids.add(mail["Message-ID"])
        assert mail["Auto-Submitted"] == old["Auto-Submitted"] == "auto-generated"
        assert mail["List-Unsubscribe"] == f"<{member.unsubscribe_url}>, <{MAILTO}>"
        # The stdlib folds a long one into encoded-words; it parses back with a leading space.
        assert mail["List-Unsubscribe"] == old["List-Unsubscribe"].strip()
        assert mail["List-Unsubscribe-Post"] == old["List-Unsubscribe-Post"]
        assert mail["Content-Language"] == old["Content-Language"] == member.language
        assert mail["MIME-Version"] == "1.0"
        assert mail.get_content_type() == old.get_content_type() == "multipart/alternative"
        assert parts(mail) == parts(old)
        [(_, charset, text), (_, _, html)] = parts(mail)
        assert charset == "utf-8"
        assert mark in text
        unsubscribe, ack = str(member.unsubscribe_url), str(member.ack_url)
        assert unsubscribe in text
        assert ack in text
        assert f'href="{unsubscribe}"' in html
        assert f'href="{ack}"' in html
        others = [
            str(link) for m in members if m is not member for link in (m.ack_url, m.unsubscribe_url)
        ]
        assert not any(other in text + html for other in others)
        assert "invalid" not in text + html
    assert len(ids) == len(members)  # a Message-ID per recipient: receipts match by it


LONG = "https://status.example.org/t/demo-bkk/unsubscribe/" + "A1-_" * 30


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (f"{UNSUBSCRIBE_MARK}", f'<a href="{UNSUBSCRIBE_MARK}">x</a>'),
        (f"{ACK_MARK}{UNSUBSCRIBE_MARK}\n\n{ACK_MARK}", None),
        ("x" * 74 + UNSUBSCRIBE_MARK + "y" * 90, "<p>" + "ä" * 40 + ACK_MARK + "</p>"),
        (f"Trailing spaces   \n\t{UNSUBSCRIBE_MARK}  \n.\n. {ACK_MARK}", "<p>&amp; €</p>\r\n"),
        ("Ünïcödé ohne Link, sehr lang: " + "ß" * 200, "<p>" + "😀" * 50 + "</p>"),
    ],
)
@pytest.mark.parametrize(
    ("unsubscribe", "ack"),
    [(LONG, "https://a.example.org/ack?x=1&y=2"), (None, None), ("https://u.example.org/=", "")],
)
def test_links_go_into_any_place_of_a_part(
    text: str, html: str | None, unsubscribe: str | None, ack: str | None
) -> None:
    channel = channel_for("smtp://127.0.0.1:1")
    message = Message(text=text, subject="Übung", html=html, language="de")
    to = Recipient(1, "max@example.org", "de", unsubscribe_url=unsubscribe, ack_url=ack)
    raw, message_id = channel.mail_for(to, message)
    assert isinstance(raw, bytes)
    assert_clean_wire(raw)
    mail = message_from_bytes(raw, policy=default_policy)
    assert isinstance(mail, EmailMessage)
    old = reference(channel, to, message)
    assert parts(mail) == parts(old)
    assert mail["List-Unsubscribe"] == old["List-Unsubscribe"].strip()
    assert mail["Message-ID"] == message_id


@pytest.mark.parametrize(
    "to",
    [
        Recipient(1, "jörg@example.org", "de", unsubscribe_url="https://u.example.org/1"),
        Recipient(1, "max@example.org", "de", unsubscribe_url="https://u.example.org/" + "x" * 950),
        Recipient(1, "max@example.org", "de", unsubscribe_url="https://u.example.org/a b"),
    ],
)
def test_what_a_header_cannot_take_as_it_is_is_built_by_the_stdlib(to: Recipient) -> None:
    channel = channel_for("smtp://127.0.0.1:1")
    mail, message_id = channel.mail_for(to, exercise("de"))
    assert isinstance(mail, EmailMessage)
    assert mail["Message-ID"] == message_id


async def test_a_long_link_is_delivered_the_stdlib_way(smtp_server: SmtpServer) -> None:
    to = Recipient(1, "max@example.org", "de", unsubscribe_url=f"{BASE}/" + "x" * 950)
    async with channel_for(smtp_server.url()) as channel:
        outcome = await channel.send(to, exercise("de"))
    [got] = smtp_server.delivered
    assert outcome == Delivered(provider_id=got.message["Message-ID"])
    assert got.message["List-Unsubscribe"] == f"<{to.unsubscribe_url}>, <{MAILTO}>"


def test_templates_kept_are_bounded() -> None:
    templates = MailTemplates(Sender(FROM, "demo-bkk.example.org", MAILTO), keep=4)
    made = [templates.of(Message(text=f"Nachricht {i}")) for i in range(10)]
    assert len(templates) == 4
    assert templates.of(Message(text="Nachricht 9")) is made[9]  # equal message: same one
    assert templates.of(Message(text="Nachricht 0")) is not made[0]  # dropped, made anew


def test_a_sender_name_with_umlauts_is_encoded_as_the_stdlib_does() -> None:
    config = SmtpConfig.model_validate(
        {"smtp_url": "smtp://127.0.0.1:1", "from": '"BKK Süd, Krisenstab" <krise@bkk-sued.de>'}
    )
    channel = SmtpChannel(config, kind="email", tenant_id="demo-bkk")
    to = recipient(3, "de")
    raw, _ = channel.mail_for(to, exercise("de"))
    assert isinstance(raw, bytes)
    assert_clean_wire(raw)
    mail = message_from_bytes(raw, policy=default_policy)
    old = reference(channel, to, exercise("de"))
    assert mail["From"] == old["From"] == '"BKK Süd, Krisenstab" <krise@bkk-sued.de>'
    assert mail["List-Unsubscribe"].endswith("<mailto:krise@bkk-sued.de?subject=unsubscribe>")


def test_recipients_without_links_share_one_body_and_others_keep_theirs() -> None:
    channel = channel_for("smtp://127.0.0.1:1")
    message = Message(text=f"Hallo\n{UNSUBSCRIBE_MARK}\n{ACK_MARK}", html=None, language="de")
    plain = [Recipient(n, f"m{n}@example.org", "de") for n in (1, 2)]
    linked = Recipient(3, "m3@example.org", "de", unsubscribe_url=f"{BASE}/u/3", ack_url=LONG)
    for to in (plain[0], linked, plain[1]):
        raw, _ = channel.mail_for(to, message)
        assert isinstance(raw, bytes)
        mail = message_from_bytes(raw, policy=default_policy)
        assert isinstance(mail, EmailMessage)
        assert parts(mail) == parts(reference(channel, to, message))
        assert mail["To"] == to.address
