"""Unsubscribing from an email's link: RFC 8058 one-click, the page with a button, a way
back, and tampered links refused without a change."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from urllib.parse import urlsplit

import pytest
import redis

from lifeline import messages
from lifeline.channels import Recipient
from lifeline.channels.smtp import SmtpConfig
from lifeline.config import Settings
from lifeline.consents import ConsentLog
from lifeline.delivery.batch import _unsubscribe_links
from lifeline.members import Member, MemberData, MemberStore
from lifeline.notices import Notice
from tests.api.helpers import TestClient


@pytest.fixture
def member(redis_client: redis.Redis) -> Member:
    data = MemberData(
        language="en", topics=("outages",), email="max@example.org", phone="+4915123456789"
    )
    return MemberStore(redis_client).create("demo-bkk", data)


def link_for(settings: Settings, member: Member) -> str:
    url = _unsubscribe_links(settings.web, "demo-bkk", "email")(member.id)
    assert url is not None
    assert url.startswith("https://hilfe.example.org/t/demo-bkk/unsubscribe/")
    return urlsplit(url).path


def test_one_click_post_unsubscribes_at_once(
    web: TestClient, settings: Settings, member: Member, redis_client: redis.Redis
) -> None:
    path = link_for(settings, member)
    # As a mail provider does it (RFC 8058 §3.2): a plain POST, no cookies, no page.
    answer = web.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    stored = MemberStore(redis_client).get("demo-bkk", member.id)
    assert stored.paused == frozenset({"email"})
    assert stored.address("sms") == "+4915123456789"  # only the channel of the link
    [event] = ConsentLog(redis_client).history("demo-bkk", member.id)
    assert (event.action, event.channel, event.via) == ("withdrawn", "email", "link")


def test_browser_gets_a_button_first_and_can_come_back(
    web: TestClient, settings: Settings, member: Member, redis_client: redis.Redis
) -> None:
    path = link_for(settings, member)
    members = MemberStore(redis_client)
    page = web.get(f"{path}?lang=en")
    assert page.status_code == 200
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert "ma***@example.org" in page.text
    assert members.get("demo-bkk", member.id).paused == frozenset()  # GET changes nothing
    done = web.post(f"{path}?lang=en", data={"List-Unsubscribe": "One-Click"})
    assert "You are unsubscribed" in done.text
    assert members.get("demo-bkk", member.id).paused == frozenset({"email"})
    back = web.post(f"{path}/resume?lang=en")
    assert "You are signed up again" in back.text
    assert members.get("demo-bkk", member.id).paused == frozenset()
    actions = [e.action for e in ConsentLog(redis_client).history("demo-bkk", member.id)]
    assert actions == ["withdrawn", "resumed"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another MAC
        lambda t: str(int(t.split(".")[0]) + 1) + t[t.index(".") :],  # another member
        lambda t: t.replace(".e.", ".p."),  # another channel
        lambda t: "x" + t,
        lambda t: "",
    ],
)
def test_tampered_token_is_4xx_and_changes_nothing(
    web: TestClient, settings: Settings, member: Member, redis_client: redis.Redis, tamper: object
) -> None:
    path = link_for(settings, member)
    token = path.rsplit("/", 1)[1]
    bad = tamper(token)  # type: ignore[operator]
    answer = web.post(f"/t/demo-bkk/unsubscribe/{bad}", content=b"List-Unsubscribe=One-Click")
    assert 400 <= answer.status_code < 500
    assert MemberStore(redis_client).get("demo-bkk", member.id).paused == frozenset()
    assert ConsentLog(redis_client).history("demo-bkk", member.id) == []


def test_a_token_of_another_tenant_is_refused(
    web: TestClient, settings: Settings, member: Member
) -> None:
    url = _unsubscribe_links(settings.web, "other-kk", "email")(member.id)
    assert url is not None
    token = url.rsplit("/", 1)[1]
    assert web.post(f"/t/demo-bkk/unsubscribe/{token}").status_code == 400


def test_every_email_carries_the_link_in_its_headers_and_footer(
    settings: Settings, member: Member
) -> None:
    tenant = settings.tenant("demo-bkk")
    assert tenant is not None
    url = _unsubscribe_links(settings.web, "demo-bkk", "email")(member.id)
    notice = Notice(
        id=1, tenant_id="demo-bkk", severity="major", headline={"en": "Outage"}, body={},
        services=("app",), topics=("outages",), channels=("email",), created_at=datetime.now(UTC),
    )  # fmt: skip
    message = messages.render(tenant, notice, "email", "en")
    channel = SmtpConfig(smtp_url="smtp://127.0.0.1:1", **{"from": "Demo BKK <s@example.org>"})
    smtp = channel.create(kind="email", tenant_id="demo-bkk")
    recipient = Recipient(member.id, "max@example.org", "en", unsubscribe_url=url)
    wire = smtp.compose(recipient, message).as_bytes()  # type: ignore[attr-defined]
    parsed = message_from_bytes(wire, policy=default_policy)
    assert parsed["List-Unsubscribe"].startswith(f"<{url}>")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert url in text
    assert f'href="{url}"' in html
    assert "invalid" not in text + html
