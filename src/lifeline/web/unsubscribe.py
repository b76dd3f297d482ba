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

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lifeline.access import signing
from lifeline.access.signing import UNSUBSCRIBE, MemberLink
from lifeline.config import Settings, TenantConfig
from lifeline.core.errors import NotFound
from lifeline.core.i18n import gettext_for
from lifeline.core.masking import mask_address
from lifeline.members import Member, MemberStore
from lifeline.pages import PageLinks
from lifeline.server.deps import MemberStoreDep, SettingsDep
from lifeline.subscriptions import resume, withdraw
from lifeline.web.answers import LangQuery, PublicTenant, page, reader_language, same_page

router = APIRouter(tags=["public pages"])

PATH = "/t/{tenant_id}/unsubscribe/{token}"


@router.get(PATH, response_class=HTMLResponse, summary="Unsubscribe page")
def unsubscribe_page(
    request: Request,
    token: str,
    tenant: PublicTenant,
    settings: SettingsDep,
    members: MemberStoreDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """What the link in a message opens in a browser: a button, nothing changed yet."""
    language = reader_language(request, tenant)
    link = _verified(request, settings, tenant, token, language)
    if isinstance(link, HTMLResponse):
        return link
    member = _member(members, tenant, link)
    links = PageLinks(tenant.id, settings.web.base())
    _ = gettext_for(language)
    if member is None or link.kind in member.paused:
        return _done(request, tenant, links, language, token, member, link)
    return page(
        "message.html.j2",
        language,
        tenant,
        links=links,
        switch_url=same_page(request),
        title=_("Unsubscribe"),
        paragraphs=[
            _("%(address)s will get no more notices from %(name)s on this channel.")
            % {
                "address": mask_address(link.kind, str(member.address(link.kind))),
                "name": tenant.name,
            },
        ],
        form={
            "action": f"{links.unsubscribe(token)}?lang={language}",
            "fields": {"List-Unsubscribe": "One-Click"},
            "button": _("Unsubscribe"),
        },
    )


@router.post(PATH, response_class=HTMLResponse, summary="Unsubscribe (RFC 8058 one-click)")
def unsubscribe(
    request: Request,
    token: str,
    tenant: PublicTenant,
    settings: SettingsDep,
    members: MemberStoreDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Stop this channel for the member at once. The body (``List-Unsubscribe=One-Click``
    from a mail program, the same field from the page's button) is not needed: the signed
    token alone says who and what."""
    language = reader_language(request, tenant)
    link = _verified(request, settings, tenant, token, language)
    if isinstance(link, HTMLResponse):
        return link
    member = _member(members, tenant, link)
    if member is not None:
        withdraw(members, tenant.id, member, link.kind, via="link")
        member = members.get(tenant.id, member.id)
    links = PageLinks(tenant.id, settings.web.base())
    return _done(request, tenant, links, language, token, member, link)


@router.post(f"{PATH}/resume", response_class=HTMLResponse, summary="Subscribe again")
def resubscribe(
    request: Request,
    token: str,
    tenant: PublicTenant,
    settings: SettingsDep,
    members: MemberStoreDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Undo an unsubscribe from its own answer page (the link proved the address)."""
    language = reader_language(request, tenant)
    link = _verified(request, settings, tenant, token, language)
    if isinstance(link, HTMLResponse):
        return link
    member = _member(members, tenant, link)
    if member is None:
        raise NotFound("this member no longer exists")
    resume(members, tenant.id, member, link.kind, via="link")
    _ = gettext_for(language)
    return page(
        "message.html.j2",
        language,
        tenant,
        links=PageLinks(tenant.id, settings.web.base()),
        title=_("You are signed up again"),
        paragraphs=[_("You will get the notices of %(name)s again.") % {"name": tenant.name}],
        form=None,
    )


def _verified(
    request: Request, settings: Settings, tenant: TenantConfig, token: str, language: str
) -> MemberLink | HTMLResponse:
    secret = settings.web.secret
    link = (
        signing.verify(secret.get_secret_value(), UNSUBSCRIBE, tenant.id, token[:80])
        if secret is not None
        else None
    )
    if link is not None:
        return link
    _ = gettext_for(language)
    return page(
        "message.html.j2",
        language,
        tenant,
        status=400,
        links=PageLinks(tenant.id, settings.web.base()),
        title=_("This link is not valid"),
        paragraphs=[
            _("Please use the link from the message exactly as it was sent, or call the hotline."),
        ],
        form=None,
    )


def _member(members: MemberStore, tenant: TenantConfig, link: MemberLink) -> Member | None:
    try:
        return members.get(tenant.id, link.member_id)
    except NotFound:
        return None


def _done(
    request: Request,
    tenant: TenantConfig,
    links: PageLinks,
    language: str,
    token: str,
    member: Member | None,
    link: MemberLink,
) -> HTMLResponse:
    _ = gettext_for(language)
    back = (
        {
            "action": f"{links.unsubscribe(token)}/resume?lang={language}",
            "fields": {},
            "button": _("Subscribe again"),
        }
        if member is not None
        else None
    )
    return page(
        "message.html.j2",
        language,
        tenant,
        links=links,
        title=_("You are unsubscribed"),
        paragraphs=[
            _("You will get no more notices from %(name)s on this channel.") % {"name": tenant.name}
        ],
        form=back,
    )
