"""Unsubscribing from a link in a message, with one click (RFC 8058), and coming back.

    GET  /t/{tenant}/unsubscribe/{token}          a page with a button; changes nothing
    POST /t/{tenant}/unsubscribe/{token}          the button, or a mail program's one-click
                                                  POST (``List-Unsubscribe=One-Click``)
    POST /t/{tenant}/unsubscribe/{token}/resume   "subscribe again" on the answer page

The token is signed (``access.signing``): a tampered one gets 400 and changes nothing. A
token of a member since erased unsubscribes nothing and says it is done: there is nothing
to send to any more.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from lifeline.access import signing
from lifeline.access.signing import UNSUBSCRIBE
from lifeline.core.errors import NotFound
from lifeline.core.masking import mask_address
from lifeline.core.vocabulary import ChannelKind
from lifeline.members import Member, MemberStore
from lifeline.server.deps import MemberStoreDep, SettingsDep
from lifeline.subscriptions import resume, withdraw
from lifeline.web.answers import Reader, ReaderDep

router = APIRouter(tags=["public pages"])

PATH = "/t/{tenant_id}/unsubscribe/{token}"


@dataclass(frozen=True, slots=True)
class _Link:
    """What a valid link names: the member (None once erased) and the channel."""

    member: Member | None
    kind: ChannelKind
    action: str


@router.get(PATH, response_class=HTMLResponse, summary="Unsubscribe page")
def unsubscribe_page(
    token: str, reader: ReaderDep, settings: SettingsDep, members: MemberStoreDep
) -> HTMLResponse:
    """What the link in a message opens in a browser: a button, nothing changed yet."""
    link = _verified(reader, settings.web.secret, members, token)
    if isinstance(link, HTMLResponse):
        return link
    member = link.member
    if member is None or link.kind in member.paused:
        return _done(reader, link)
    _ = reader._
    address = mask_address(link.kind, str(member.address(link.kind)))
    return reader.message(
        _("Unsubscribe"),
        _("%(address)s will get no more notices from %(name)s on this channel.")
        % {"address": address, "name": reader.tenant.name},
        form={
            "action": f"{link.action}?lang={reader.language}",
            "fields": {"List-Unsubscribe": "One-Click"},
            "button": _("Unsubscribe"),
        },
        switch=True,
    )


@router.post(PATH, response_class=HTMLResponse, summary="Unsubscribe (RFC 8058 one-click)")
def unsubscribe(
    token: str, reader: ReaderDep, settings: SettingsDep, members: MemberStoreDep
) -> HTMLResponse:
    """Stop this channel for the member at once. The body (``List-Unsubscribe=One-Click``
    from a mail program, the same field from the page's button) is not needed: the signed
    token alone says who and what."""
    link = _verified(reader, settings.web.secret, members, token)
    if isinstance(link, HTMLResponse):
        return link
    if link.member is not None:
        withdraw(members, reader.tenant.id, link.member, link.kind, via="link")
    return _done(reader, link)


@router.post(f"{PATH}/resume", response_class=HTMLResponse, summary="Subscribe again")
def resubscribe(
    token: str, reader: ReaderDep, settings: SettingsDep, members: MemberStoreDep
) -> HTMLResponse:
    """Undo an unsubscribe from its own answer page (the link proved the address)."""
    link = _verified(reader, settings.web.secret, members, token)
    if isinstance(link, HTMLResponse):
        return link
    if link.member is None:
        raise NotFound("this member no longer exists")
    resume(members, reader.tenant.id, link.member, link.kind, via="link")
    _ = reader._
    return reader.message(
        _("You are signed up again"),
        _("You will get the notices of %(name)s again.") % {"name": reader.tenant.name},
    )


def _verified(
    reader: Reader, secret: SecretStr | None, members: MemberStore, token: str
) -> _Link | HTMLResponse:
    """The member and channel a valid token names, or the page saying it is not valid."""
    named = None
    if secret is not None:
        named = signing.verify(secret.get_secret_value(), UNSUBSCRIBE, reader.tenant.id, token[:80])
    if named is None:
        return reader.invalid_link()
    try:
        member: Member | None = members.get(reader.tenant.id, named.member_id)
    except NotFound:
        member = None
    return _Link(member, named.kind, reader.links.unsubscribe(token))


def _done(reader: Reader, link: _Link) -> HTMLResponse:
    _ = reader._
    back = None
    if link.member is not None:
        back = {"action": f"{link.action}/resume?lang={reader.language}", "fields": {},
                "button": _("Subscribe again")}  # fmt: skip
    return reader.message(
        _("You are unsubscribed"),
        _("You will get no more notices from %(name)s on this channel.")
        % {"name": reader.tenant.name},
        form=back,
    )
