"""An email's bytes built once per message and language, filled in per recipient.

Building each recipient's mail through ``email.message`` and its generator cost about
45 % of an email send's CPU. A ``MailTemplate`` does that work once per rendered message:
the From and Subject lines folded and RFC 2047-encoded by the stdlib, the MIME skeleton,
and the text and HTML parts quoted-printable encoded around *holes* where each
recipient's unsubscribe and acknowledgement links go. ``fill`` then joins bytes:

    From · To* · Subject · Date* · Message-ID* · Auto-Submitted · List-Unsubscribe* ·
    [List-Unsubscribe-Post*] · MIME-Version · Content-Type · Content-Language ·
    --boundary · text part: piece, link*, piece, … · --boundary · HTML part: … · --boundary--

(* per recipient). Why splicing into quoted-printable is safe: every hole starts a line
(the piece before it ends with a soft line break ``=\\r\\n`` or a hard one), its link is
encoded on its own by ``binascii.b2a_qp`` (``=`` becomes ``=3D``, lines stay ≤ 76), and a
soft line break ends it, so the piece after it starts a line too — exactly as it was
encoded. Everything on the wire is 7-bit, whatever the relay offers (no 8BITMIME or
SMTPUTF8 needed), and the boundary starts with ``=_``, which quoted-printable never holds.

``List-Unsubscribe`` stays on one line (at most 998 bytes): the stdlib folds a long one
into RFC 2047 encoded-words, which mail clients do not read as a link and which a DKIM
signer with simple header canonicalisation must see unchanged. A recipient whose address
or unsubscribe link cannot go into a header as it is (non-ASCII, too long) gets ``None``
from ``fill``: the caller builds that one mail with the stdlib instead.
"""

from __future__ import annotations

import binascii
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from html import escape as html_escape

from lifeline.channels.base import ACK_MARK, UNSUBSCRIBE_MARK, Message, Recipient
from lifeline.core import defaults

_MARKS = re.compile(f"({re.escape(UNSUBSCRIBE_MARK)}|{re.escape(ACK_MARK)})".encode())
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9.-]{1,253}")
"""An address that can stand in ``To`` unquoted and unencoded (a dot-atom, ASCII)."""
_HEADER_URL = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,900}")
"""A link that fits between ``<`` and ``>`` on one header line of at most 998 bytes."""
_SOFT_BREAK = b"=\r\n"


@dataclass(frozen=True, slots=True)
class Sender:
    """What every mail of one channel shares: the From header and the mailto fallback."""

    from_: str
    domain: str
    mailto: str


@dataclass(frozen=True, slots=True)
class Part:
    """A body part encoded around its holes: ``pieces[i]``, hole ``i``, ``pieces[i+1]``…"""

    head: bytes
    pieces: tuple[bytes, ...]
    unsubscribe_holes: tuple[bool, ...]
    """Per hole: True for the unsubscribe link, False for the acknowledgement link."""
    html: bool


def _qp(data: bytes, *, quotetabs: bool = False) -> bytes:
    """Quoted-printable with CRLF line ends (``b2a_qp`` keeps the input's ``\\n``)."""
    return binascii.b2a_qp(data, quotetabs=quotetabs).replace(b"\n", b"\r\n")


def _link(value: str) -> bytes:
    """A link as it goes into a hole: encoded on its own lines, QP-safe, ≤ 76 a line."""
    return _qp(value.encode("utf-8"), quotetabs=True)


def _segments(body: str) -> Iterator[bytes]:
    """The body as ``set_content`` sees it (lines split as bytes, ``\\n`` after each),
    alternately a piece and a mark (pieces first and last)."""
    normal = b"\n".join(body.encode("utf-8").splitlines()) + b"\n"
    yield from _MARKS.split(normal)


def part(body: str, *, html: bool) -> Part:
    """Encode one text or HTML part once, leaving a hole at each mark."""
    pieces: list[bytes] = []
    holes: list[bool] = []
    for index, segment in enumerate(_segments(body)):
        if index % 2:
            holes.append(segment == UNSUBSCRIBE_MARK.encode())
            continue
        encoded = _qp(segment)
        if index > 0 and not encoded.startswith(b"\r\n"):
            encoded = _SOFT_BREAK + encoded  # the hole's link ends its own line
        if encoded and not encoded.endswith(b"\r\n"):
            encoded += _SOFT_BREAK  # so that the next hole starts a line
        pieces.append(encoded)
    # The last piece ends with the line break every body ends with, never a soft one.
    subtype = b"html" if html else b"plain"
    head = (
        b"Content-Type: text/" + subtype + b'; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    return Part(head, tuple(pieces), tuple(holes), html)


def header_line(name: str, value: str) -> bytes:
    """One header as the stdlib's SMTP policy folds and encodes it (ValueError on a line
    break in the value, as ``EmailMessage`` raises)."""
    return SMTP.fold_binary(*SMTP.header_store_parse(name, value))


def subject_of(message: Message) -> str:
    """The Subject: the message's, or the first line of its text."""
    return message.subject or message.text.strip().split("\n", 1)[0][:120]


class MailTemplate:
    """One rendered message's mail, serialised once; ``fill`` makes a recipient's bytes."""

    def __init__(self, sender: Sender, message: Message) -> None:
        self.sender = sender
        self._from = header_line("From", sender.from_)
        self._subject = header_line("Subject", subject_of(message))
        language = header_line("Content-Language", message.language)
        self._message = message
        self._heads = [b""]
        self._end = b""
        if not message.html:
            # A lone part's own headers are the message's (as set_content writes them).
            head = part("", html=False).head
            self._mime = b"MIME-Version: 1.0\r\n" + head[:-2] + language + b"\r\n"
        else:
            boundary = f"=_lifeline_{secrets.token_hex(12)}".encode()
            self._mime = (
                b"MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n"
                b' boundary="' + boundary + b'"\r\n' + language + b"\r\n"
            )
            dash = b"--" + boundary + b"\r\n"
            self._heads = [
                dash + part("", html=False).head,
                b"\r\n" + dash + part("", html=True).head,
            ]
            self._end = b"\r\n--" + boundary + b"--\r\n"
        self._parts: dict[bool, list[Part]] = {}
        self._same: bytes | None = None

    def parts(self, *, ack: bool) -> list[Part]:
        """The encoded parts for recipients with an acknowledgement link, or without one:
        a mark replaced by nothing can change where ``set_content`` breaks lines (at the
        end of the text, or between a CR and an LF), so that variant is encoded apart."""
        found = self._parts.get(ack)
        if found is None:
            bodies = [self._message.text]
            if self._message.html:
                bodies.append(self._message.html)
            if not ack:
                bodies = [body.replace(ACK_MARK, "") for body in bodies]
            found = [part(body, html=index == 1) for index, body in enumerate(bodies)]
            self._parts[ack] = found
        return found

    def fill(self, recipient: Recipient, *, date: str, message_id: str) -> bytes | None:
        """The recipient's mail as it goes on the wire, or None when its address or a
        link cannot go in as it is (build that one with the stdlib)."""
        url = recipient.unsubscribe_url
        if not _ADDRESS.fullmatch(recipient.address):
            return None
        mailto = self.sender.mailto
        if url is None:
            unsubscribe = b"List-Unsubscribe: <" + mailto.encode() + b">\r\n"
        elif _HEADER_URL.fullmatch(url):
            # RFC 8058 one-click first: mail clients use the first method they support.
            unsubscribe = (
                f"List-Unsubscribe: <{url}>, <{mailto}>\r\n"
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            ).encode()
        else:
            return None
        out = [
            self._from,
            b"To: " + recipient.address.encode() + b"\r\n",
            self._subject,
            b"Date: " + date.encode() + b"\r\nMessage-ID: " + message_id.encode() + b"\r\n",
            b"Auto-Submitted: auto-generated\r\n",  # RFC 3834: no vacation replies, please
            unsubscribe,
            self._mime,
        ]
        ack = recipient.ack_url or ""
        if "\n" in ack or "\r" in ack:
            return None  # it would break lines: leave that to set_content
        if url is None and not ack:
            out.append(self._unlinked())
        else:
            out += self._body(url, ack)
        return b"".join(out)

    def _body(self, url: str | None, ack: str) -> list[bytes]:
        """The parts with a recipient's links in their holes."""
        # Without a signed link (no web.public_url) the footer offers the mailto address.
        links, out = _Links(url or self.sender.mailto, ack), []
        for head, body in zip(self._heads, self.parts(ack=bool(ack)), strict=True):
            out.append(head)
            out += links.spliced(body)
        out.append(self._end)
        return out

    def _unlinked(self) -> bytes:
        """The parts for every recipient without links of their own (no web side), joined
        once."""
        if self._same is None:
            self._same = b"".join(self._body(None, ""))
        return self._same


class _Links:
    """A recipient's two links, encoded for the text and the HTML part when first needed."""

    def __init__(self, unsubscribe: str, ack: str) -> None:
        self.unsubscribe, self.ack = unsubscribe, ack

    def spliced(self, body: Part) -> list[bytes]:
        if not body.unsubscribe_holes:
            return list(body.pieces)
        if body.html:
            unsubscribe, ack = _link(html_escape(self.unsubscribe)), _link(html_escape(self.ack))
        else:
            unsubscribe, ack = _link(self.unsubscribe), _link(self.ack)
        out = [body.pieces[0]]
        for is_unsubscribe, piece in zip(body.unsubscribe_holes, body.pieces[1:], strict=True):
            out += (unsubscribe if is_unsubscribe else ack, piece)
        return out


class MailTemplates:
    """Templates of the messages a channel sends, a bounded few (one per language and
    notice, kept while a batch or a worker's channel lives), and the Date of this second."""

    def __init__(self, sender: Sender, *, keep: int = defaults.SMTP_TEMPLATES_KEPT) -> None:
        self.sender = sender
        self.keep = keep
        self._templates: dict[Message, MailTemplate] = {}
        self._second = -1
        self._date = ""

    def __len__(self) -> int:
        return len(self._templates)

    def of(self, message: Message) -> MailTemplate:
        """The message's template (ValueError if its Subject cannot be a header)."""
        template = self._templates.get(message)
        if template is None:
            template = MailTemplate(self.sender, message)
            if len(self._templates) >= self.keep:
                del self._templates[next(iter(self._templates))]  # the oldest
            self._templates[message] = template
        return template

    def date(self) -> str:
        """``Date`` of now, formatted once a second (``+0000``, as the stdlib writes it;
        RFC 5322 counts ``GMT`` as obsolete)."""
        now = int(time.time())
        if now != self._second:
            self._second, self._date = now, format_datetime(datetime.fromtimestamp(now, UTC))
        return self._date

    def message_id(self) -> str:
        """A fresh Message-ID in the sender's domain (receipts match bounces by it)."""
        return make_msgid(domain=self.sender.domain)
