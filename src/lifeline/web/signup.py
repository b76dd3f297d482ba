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
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lifeline.config import Settings, TenantConfig
from lifeline.core.errors import InvalidInput
from lifeline.core.vocabulary import LANGUAGES, ChannelKind, Language
from lifeline.delivery.direct import enqueue_direct
from lifeline.members import MemberStore
from lifeline.server.deps import MemberStoreDep, RedisDep, SettingsDep
from lifeline.server.errors import TooManyRequests
from lifeline.subscriptions import CodeCheck, Signup, SignupStore, enroll
from lifeline.subscriptions.texts import code_sms, confirmation_mail, consent_text
from lifeline.web.answers import Reader, ReaderDep, first, read_form
from lifeline.web.signup_form import SignupForm, validated

router = APIRouter(tags=["public pages"])


@router.get("/t/{tenant_id}/subscribe", response_class=HTMLResponse, summary="Sign-up form")
def signup_form(reader: ReaderDep, settings: SettingsDep) -> HTMLResponse:
    """Email address or mobile number, language and topics; nothing is sent before the
    person confirms."""
    values = SignupForm(language=reader.language, topics=[reader.tenant.topics[0]])
    return _form_page(reader, _kinds(reader.tenant, settings), values, switch=True)


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
    request: Request, reader: ReaderDep, settings: SettingsDep, client: RedisDep
) -> HTMLResponse:
    """Store the sign-up and send the link or code: 200 with the same page for any address."""
    tenant = reader.tenant
    kinds = _kinds(tenant, settings)
    form = await read_form(request)
    values = validated(tenant, kinds, form, reader.language)
    if values.errors:
        return _form_page(reader, kinds, values, status=422)
    kind: ChannelKind = "email" if values.email else "sms"
    address = values.email or values.phone
    chosen: Language = "en" if values.language == "en" else "de"
    started = None
    # A filled trap field is a bot: it gets the same answer, and nothing is stored or sent.
    if not first(form, "website"):
        store = SignupStore(client, tenant.id)
        wait = store.allow_client(_client(request), settings.web.signups_per_hour)
        if wait is not None:
            raise TooManyRequests("too many sign-ups from this address", retry_after=wait)
        text, version = consent_text(tenant.name, reader.language)
        started = store.start(
            Signup(
                kind=kind,
                address=address,
                language=chosen,
                topics=tuple(values.topics),
                text=text,
                text_version=version,
                asked_at=datetime.now(UTC),
                client=_client(request),
            )
        )
    if started is not None:
        if started.code is not None:
            message = code_sms(tenant.name, started.code, chosen)
        else:
            link = f"{reader.links.confirm(started.token)}?lang={chosen}"
            message = confirmation_mail(tenant.name, link, chosen)
        enqueue_direct(request.app.state.rq_redis, tenant.id, kind, address, message)
    if kind == "sms":
        # Without a stored sign-up the token is random: the page looks the same, and no code
        # can ever match it.
        token = started.token if started is not None else secrets.token_urlsafe(24)
        return _code_page(reader, token)
    _ = reader._
    return reader.message(
        _("Check your inbox"),
        _("If the address can receive our mail, a message with a link is on its way to it."),
        _("Open the link within 48 hours and press the button on the page to confirm. "
          "Until then nothing else is sent to the address."),
    )  # fmt: skip


@router.get("/t/{tenant_id}/confirm/{token}", response_class=HTMLResponse, summary="Confirm page")
def confirm_page(token: str, reader: ReaderDep, client: RedisDep) -> HTMLResponse:
    """The page the confirmation link opens: one button, nothing changed by opening it."""
    pending = SignupStore(client, reader.tenant.id).peek(token[:64])
    if pending is None:
        return _expired(reader)
    _ = reader._
    return reader.message(
        _("Confirm your sign-up"),
        _("Notices from %(name)s to %(address)s.")
        % {"name": reader.tenant.name, "address": pending.address},
        pending.text,
        form={
            "action": f"{reader.links.confirm(token)}?lang={reader.language}",
            "fields": {},
            "button": _("Yes, send me notices"),
        },
        switch=True,
    )


@router.post("/t/{tenant_id}/confirm/{token}", response_class=HTMLResponse, summary="Confirm")
def confirm(
    token: str, reader: ReaderDep, client: RedisDep, members: MemberStoreDep
) -> HTMLResponse:
    """The button of the confirmation page: the sign-up becomes a member."""
    pending = SignupStore(client, reader.tenant.id).take(token[:64])
    if pending is None:
        return _expired(reader)
    return _subscribed(reader, members, pending)


@router.post("/t/{tenant_id}/subscribe/code", response_class=HTMLResponse, summary="SMS code")
async def confirm_code(
    request: Request, reader: ReaderDep, client: RedisDep, members: MemberStoreDep
) -> HTMLResponse:
    """The code from the SMS: right subscribes, wrong asks again, too many wrong end it."""
    form = await read_form(request)
    token, code = first(form, "token")[:64], first(form, "code")[:12]
    store = SignupStore(client, reader.tenant.id)
    check = store.check_code(token, code) if token and code else CodeCheck.WRONG
    if check is CodeCheck.WRONG:
        error = reader._("That is not the code we sent. Please check it and try again.")
        return _code_page(reader, token, error=error, status=422)
    pending = store.take(token) if check is CodeCheck.RIGHT else None
    if pending is None:
        return _expired(reader)
    return _subscribed(reader, members, pending)


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
    reader: Reader,
    kinds: list[ChannelKind],
    values: SignupForm,
    *,
    status: int = 200,
    switch: bool = False,
) -> HTMLResponse:
    text, _version = consent_text(reader.tenant.name, reader.language)
    return reader.page(
        "subscribe.html.j2",
        status=status,
        switch=switch,
        action=f"{reader.links.root}/subscribe?lang={reader.language}",
        email_on="email" in kinds,
        sms_on="sms" in kinds,
        values=values,
        errors=values.errors,
        topics=reader.tenant.topics,
        consent=text,
    )


def _code_page(reader: Reader, token: str, *, error: str = "", status: int = 200) -> HTMLResponse:
    return reader.page(
        "code.html.j2",
        status=status,
        action=f"{reader.links.root}/subscribe/code?lang={reader.language}",
        token=token,
        error=error,
    )


def _expired(reader: Reader) -> HTMLResponse:
    _ = reader._
    return reader.message(
        _("This link has expired"),
        _("If you confirmed already, you are signed up. Otherwise the sign-up has "
          "expired or was used: please sign up again."),
        status=404,
    )  # fmt: skip


def _subscribed(reader: Reader, members: MemberStore, pending: Signup) -> HTMLResponse:
    enroll(members, reader.tenant.id, pending, via="page")
    _ = reader._
    return reader.message(
        _("You are signed up"),
        _("From now on %(name)s sends its notices to %(address)s.")
        % {"name": reader.tenant.name, "address": pending.address},
        _("Every email has a link to unsubscribe with one click; to an SMS you can "
          "reply STOP."),
    )  # fmt: skip


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
