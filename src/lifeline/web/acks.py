"""Acknowledging a notice from the link in its email.

    GET  /t/{tenant}/ack/{notice}/{token}   the notice's headline and a button; changes
                                            nothing (mail scanners open links)
    POST /t/{tenant}/ack/{notice}/{token}   the button: the member has read the notice

The token is signed for this one notice (``access.signing.ack_purpose``): a tampered one,
or one of another notice, gets 400 and changes nothing. Pressing twice counts once.
"""

from __future__ import annotations

import redis
from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from lifeline.access import signing
from lifeline.access.signing import MemberLink
from lifeline.core.vocabulary import best_language
from lifeline.delivery import acks
from lifeline.notices import Notice
from lifeline.server.deps import RedisDep, SettingsDep
from lifeline.web.answers import Reader, ReaderDep

router = APIRouter(tags=["public pages"])

PATH = "/t/{tenant_id}/ack/{notice_id}/{token}"


@router.get(PATH, response_class=HTMLResponse, summary="Acknowledge page")
def ack_page(
    notice_id: int, token: str, reader: ReaderDep, settings: SettingsDep, client: RedisDep
) -> HTMLResponse:
    """What the link in an email opens: the notice's headline and a button."""
    found = _verified(reader, settings.web.secret, client, notice_id, token)
    if isinstance(found, HTMLResponse):
        return found
    notice, _link = found
    _ = reader._
    headline = notice.headline[best_language(notice.headline, reader.language,
                                             reader.tenant.default_language)]  # fmt: skip
    return reader.message(
        _("Have you read this notice?"),
        headline,
        _("Press the button to let %(name)s know that you have read it.")
        % {"name": reader.tenant.name},
        form={
            "action": f"{reader.links.ack(notice_id, token)}?lang={reader.language}",
            "fields": {},
            "button": _("Understood"),
        },
        switch=True,
    )


@router.post(PATH, response_class=HTMLResponse, summary="Acknowledge a notice")
def acknowledge(
    notice_id: int, token: str, reader: ReaderDep, settings: SettingsDep, client: RedisDep
) -> HTMLResponse:
    """Record that the member read the notice (the signed token says who)."""
    found = _verified(reader, settings.web.secret, client, notice_id, token)
    if isinstance(found, HTMLResponse):
        return found
    _notice, link = found
    done = acks.acknowledge(client, reader.tenant.id, notice_id, link.member_id, "email")
    _ = reader._
    if done == "not sent":
        return reader.message(
            _("No answer needed"),
            _("This notice no longer asks for an answer. Thank you all the same."),
        )
    return reader.message(
        _("Thank you"),
        _("%(name)s knows that you have read the notice.") % {"name": reader.tenant.name},
    )


def _verified(
    reader: Reader, secret: SecretStr | None, client: redis.Redis, notice_id: int, token: str
) -> tuple[Notice, MemberLink] | HTMLResponse:
    """The notice and member a valid link names, or the page saying it is not valid."""
    link = None
    notice = acks.lookup_notice(client, reader.tenant.id, notice_id)
    if notice is not None and secret is not None:
        purpose = signing.ack_purpose(notice_id)
        link = signing.verify(secret.get_secret_value(), purpose, reader.tenant.id, token[:80])
    if notice is None or link is None:
        return reader.invalid_link()
    return notice, link
