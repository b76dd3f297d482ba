"""Links that prove who they were sent to, without a login: an HMAC over what the link does,
for whom, keyed with ``web.secret``.

A token is ``<member id>.<channel short>.<mac>``; the MAC covers purpose, tenant, member and
channel, so a token for one member, channel, tenant or purpose fits no other. Tokens do not
expire: an unsubscribe link in a mail from last year must still work (RFC 8058). Changing
``web.secret`` voids every link sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from lifeline.core import defaults
from lifeline.core.vocabulary import CONTACT_BY_CHANNEL, CONTACT_BY_SHORT, ChannelKind

UNSUBSCRIBE = "unsubscribe"
"""The purpose of a member's unsubscribe link (in every email, RFC 8058)."""

ACK = "ack"
"""The purpose of a member's "understood" link of one notice (``ack_purpose``)."""


def ack_purpose(notice_id: int) -> str:
    """The purpose an acknowledgement link is signed for: one notice, so a link of one
    notice acknowledges no other."""
    return f"{ACK}:{notice_id}"


@dataclass(frozen=True, slots=True)
class MemberLink:
    """What a valid token names."""

    member_id: int
    kind: ChannelKind


def sign(secret: str, purpose: str, tenant_id: str, member_id: int, kind: ChannelKind) -> str:
    """The token of one member's link for one purpose and channel."""
    short = CONTACT_BY_CHANNEL[kind].short
    return f"{member_id}.{short}.{_mac(secret, purpose, tenant_id, member_id, short)}"


def verify(secret: str, purpose: str, tenant_id: str, token: str) -> MemberLink | None:
    """What the token names, or None when it was not made with this secret for this."""
    member, _, rest = token.partition(".")
    short, _, mac = rest.partition(".")
    if not member.isdigit() or len(member) > 18 or short not in CONTACT_BY_SHORT:
        return None
    expected = _mac(secret, purpose, tenant_id, int(member), short)
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    return MemberLink(int(member), CONTACT_BY_SHORT[short].channel)


def _mac(secret: str, purpose: str, tenant_id: str, member_id: int, short: str) -> str:
    message = f"{purpose}\n{tenant_id}\n{member_id}\n{short}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[: defaults.LINK_MAC_BYTES]).rstrip(b"=").decode()
