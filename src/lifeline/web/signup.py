"""Signing up on the page (double opt-in): the form, the post, the confirmation link's page
and the SMS code.

    GET  /t/{tenant}/subscribe           the form
    POST /t/{tenant}/subscribe           email or phone, language, topics → "check your inbox"
                                         or the code form; the same answer whether or not the
                                         address is known, throttled, or a bot filled the trap
    GET  /t/{tenant}/confirm/{token}     a page with a button (mail scanners prefetch links)
    POST /t/{tenant}/confirm/{token}     the button: the member is subscribed
    POST /t/{tenant}/subscribe/code      the SMS code (token and code fields)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lifeline.config import Settings, TenantConfig
from lifeline.core.errors import InvalidInput
from lifeline.core.i18n import gettext_for
from lifeline.core.vocabulary import LANGUAGES, ChannelKind, Language
from lifeline.delivery.direct import enqueue_direct
from lifeline.pages import PageLinks
from lifeline.server.deps import MemberStoreDep, RedisDep, SettingsDep
from lifeline.server.errors import TooManyRequests
from lifeline.subscriptions import CodeCheck, Signup, SignupStore, enroll
from lifeline.subscriptions.texts import code_sms, confirmation_mail, consent_text
from lifeline.web.answers import (
    LangQuery,
    PublicTenant,
    first,
    page,
    read_form,
    reader_language,
    same_page,
)
from lifeline.web.signup_form import SignupForm, validated

router = APIRouter(tags=["public pages"])


@router.get("/t/{tenant_id}/subscribe", response_class=HTMLResponse, summary="Sign-up form")
def signup_form(
    request: Request, tenant: PublicTenant, settings: SettingsDep, lang: LangQuery = None
) -> HTMLResponse:
    """Email address or mobile number, language and topics; nothing is sent before the
    person confirms."""
    language = reader_language(request, tenant)
    kinds = _kinds(tenant, settings)
    values = SignupForm(language=language, topics=[tenant.topics[0]])
    return _form_page(tenant, settings, language, kinds, values, switch=same_page(request))


@router.post(
    "/t/{tenant_id}/subscribe",
    response_class=HTMLResponse,
    summary="Start a sign-up",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "email": {"type": "string"},
                            "phone": {"type": "string"},
                            "language": {"type": "string", "enum": list(LANGUAGES)},
                            "topics": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                }
            }
        }
    },
)
async def signup(
    request: Request,
    tenant: PublicTenant,
    settings: SettingsDep,
    client: RedisDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Store the sign-up and send the link or code: 200 with the same page for any address."""
    language = reader_language(request, tenant)
    kinds = _kinds(tenant, settings)
    form = await read_form(request)
    values = validated(tenant, kinds, form, language)
    if values.errors:
        return _form_page(tenant, settings, language, kinds, values, status=422)
    kind: ChannelKind = "email" if values.email else "sms"
    address = values.email or values.phone
    chosen: Language = "en" if values.language == "en" else "de"
    store = SignupStore(client, tenant.id)
    text, version = consent_text(tenant.name, language)
    started = None
    # A filled trap field is a bot: it gets the same answer, and nothing is stored or sent.
    if not first(form, "website"):
        wait = store.allow_client(_client(request), settings.web.signups_per_hour)
        if wait is not None:
            raise TooManyRequests("too many sign-ups from this address", retry_after=wait)
        signup_ = Signup(
            kind=kind,
            address=address,
            language=chosen,
            topics=tuple(values.topics),
            text=text,
            text_version=version,
            asked_at=datetime.now(UTC),
            client=_client(request),
        )
        started = store.start(signup_)
    links = PageLinks(tenant.id, settings.web.base())
    rq_redis = request.app.state.rq_redis
    if started is not None and kind == "email":
        link = f"{links.confirm(started.token)}?lang={chosen}"
        mail = confirmation_mail(tenant.name, link, chosen)
        enqueue_direct(rq_redis, tenant.id, kind, address, mail)
    elif started is not None and started.code is not None:
        enqueue_direct(
            rq_redis, tenant.id, kind, address, code_sms(tenant.name, started.code, chosen)
        )
    if kind == "sms":
        # Without a stored sign-up the token is random: the page looks the same, and no code
        # can ever match it.
        token = started.token if started is not None else secrets.token_urlsafe(24)
        return _code_page(tenant, links, language, token)
    _ = gettext_for(language)
    return page(
        "message.html.j2",
        language,
        tenant,
        links=links,
        title=_("Check your inbox"),
        paragraphs=[
            _("If the address can receive our mail, a message with a link is on its way to it."),
            _(
                "Open the link within 48 hours and press the button on the page to confirm. "
                "Until then nothing else is sent to the address."
            ),
        ],
        form=None,
    )


@router.get("/t/{tenant_id}/confirm/{token}", response_class=HTMLResponse, summary="Confirm page")
def confirm_page(
    request: Request,
    token: str,
    tenant: PublicTenant,
    settings: SettingsDep,
    client: RedisDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """The page the confirmation link opens: one button, nothing changed by opening it."""
    language = reader_language(request, tenant)
    links = PageLinks(tenant.id, settings.web.base())
    pending = SignupStore(client, tenant.id).peek(token[:64])
    _ = gettext_for(language)
    if pending is None:
        return _expired(tenant, links, language)
    return page(
        "message.html.j2",
        language,
        tenant,
        links=links,
        switch_url=same_page(request),
        title=_("Confirm your sign-up"),
        paragraphs=[
            _("Notices from %(name)s to %(address)s.")
            % {"name": tenant.name, "address": pending.address},
            pending.text,
        ],
        form={
            "action": f"{links.confirm(token)}?lang={language}",
            "fields": {},
            "button": _("Yes, send me notices"),
        },
    )


@router.post("/t/{tenant_id}/confirm/{token}", response_class=HTMLResponse, summary="Confirm")
def confirm(
    request: Request,
    token: str,
    tenant: PublicTenant,
    settings: SettingsDep,
    client: RedisDep,
    members: MemberStoreDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """The button of the confirmation page: the sign-up becomes a member."""
    language = reader_language(request, tenant)
    links = PageLinks(tenant.id, settings.web.base())
    pending = SignupStore(client, tenant.id).take(token[:64])
    if pending is None:
        return _expired(tenant, links, language)
    return _subscribed(tenant, links, language, members, pending)


@router.post("/t/{tenant_id}/subscribe/code", response_class=HTMLResponse, summary="SMS code")
async def confirm_code(
    request: Request,
    tenant: PublicTenant,
    settings: SettingsDep,
    client: RedisDep,
    members: MemberStoreDep,
    lang: LangQuery = None,
) -> HTMLResponse:
    """The code from the SMS: right subscribes, wrong asks again, too many wrong end it."""
    language = reader_language(request, tenant)
    links = PageLinks(tenant.id, settings.web.base())
    form = await read_form(request)
    token, code = first(form, "token")[:64], first(form, "code")[:12]
    store = SignupStore(client, tenant.id)
    check = store.check_code(token, code) if token and code else CodeCheck.WRONG
    if check is CodeCheck.WRONG:
        _ = gettext_for(language)
        error = _("That is not the code we sent. Please check it and try again.")
        return _code_page(tenant, links, language, token, error=error, status=422)
    pending = store.take(token) if check is CodeCheck.RIGHT else None
    if pending is None:
        return _expired(tenant, links, language)
    return _subscribed(tenant, links, language, members, pending)


def _kinds(tenant: TenantConfig, settings: Settings) -> list[ChannelKind]:
    """The channels one can sign up for here: email needs links to confirm (public_url)."""
    offered = tenant.channels.configured()
    kinds: list[ChannelKind] = []
    if "email" in offered and settings.web.base():
        kinds.append("email")
    if "sms" in offered:
        kinds.append("sms")
    if not kinds:
        raise InvalidInput("this tenant offers no sign-up by email or SMS", field="tenant")
    return kinds


def _form_page(
    tenant: TenantConfig,
    settings: Settings,
    language: str,
    kinds: list[ChannelKind],
    values: SignupForm,
    *,
    status: int = 200,
    switch: Callable[[str], str] | None = None,
) -> HTMLResponse:
    links = PageLinks(tenant.id, settings.web.base())
    text, _version = consent_text(tenant.name, language)
    return page(
        "subscribe.html.j2",
        language,
        tenant,
        status=status,
        switch_url=switch,
        links=links,
        action=f"{links.root}/subscribe?lang={language}",
        email_on="email" in kinds,
        sms_on="sms" in kinds,
        values=values,
        errors=values.errors,
        topics=tenant.topics,
        consent=text,
    )


def _code_page(
    tenant: TenantConfig,
    links: PageLinks,
    language: str,
    token: str,
    *,
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    return page(
        "code.html.j2",
        language,
        tenant,
        status=status,
        links=links,
        action=f"{links.root}/subscribe/code?lang={language}",
        token=token,
        error=error,
    )


def _expired(tenant: TenantConfig, links: PageLinks, language: str) -> HTMLResponse:
    _ = gettext_for(language)
    return page(
        "message.html.j2",
        language,
        tenant,
        status=404,
        links=links,
        title=_("This link has expired"),
        paragraphs=[
            _(
                "If you confirmed already, you are signed up. Otherwise the sign-up has "
                "expired or was used: please sign up again."
            ),
        ],
        form=None,
    )


def _subscribed(
    tenant: TenantConfig,
    links: PageLinks,
    language: str,
    members: MemberStoreDep,
    pending: Signup,
) -> HTMLResponse:
    enroll(members, tenant.id, pending, via="page")
    _ = gettext_for(language)
    return page(
        "message.html.j2",
        language,
        tenant,
        links=links,
        title=_("You are signed up"),
        paragraphs=[
            _("From now on %(name)s sends its notices to %(address)s.")
            % {"name": tenant.name, "address": pending.address},
            _(
                "Every email has a link to unsubscribe with one click; to an SMS you can "
                "reply STOP."
            ),
        ],
        form=None,
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
