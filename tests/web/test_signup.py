"""Signing up on the page: double opt-in by email link and by SMS code, the same answer for
every address, the throttles and the trap, and the consent history it leaves."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import redis

from lifeline.consents import ConsentLog
from lifeline.members import MemberStore
from tests.api.helpers import TestClient
from tests.web.helpers import link_in, queued

EMAIL = "erika@example.org"
PHONE = "+49 151 23456789"


def sign_up(web: TestClient, **fields: Any) -> Any:
    data = {"language": "en", "topics": ["outages"]} | fields
    return web.post("/t/demo-bkk/subscribe?lang=en", data=data)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_form_offers_email_sms_language_topics_and_a_consent_text(web: TestClient) -> None:
    page = web.get("/t/demo-bkk/subscribe?lang=en")
    assert page.status_code == 200
    for needle in ('name="email"', 'name="phone"', 'name="language"', 'value="service"',
                   'name="website"', "I agree that Demo BKK sends me notices"):  # fmt: skip
        assert needle in page.text
    assert page.headers["cache-control"] == "no-store"


def test_email_sign_up_sends_one_link_and_nothing_else_until_confirmed(
    web: TestClient, redis_url: str, redis_client: redis.Redis
) -> None:
    answer = sign_up(web, email=EMAIL)
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    [(address, mail)] = queued(redis_url, "email")
    assert address == EMAIL
    assert mail.subject == "Please confirm: notices from Demo BKK"
    link = link_in(mail.text)
    assert link.startswith("https://hilfe.example.org/t/demo-bkk/confirm/")
    members = MemberStore(redis_client)
    assert members.find("demo-bkk", "email", EMAIL) is None
    # Opening the link (as a mail scanner does) changes nothing.
    opened = web.get(path_of(link))
    assert opened.status_code == 200
    assert "Yes, send me notices" in opened.text
    assert members.find("demo-bkk", "email", EMAIL) is None
    done = web.post(path_of(link))
    assert "You are signed up" in done.text
    member = members.find("demo-bkk", "email", EMAIL)
    assert member is not None
    assert member.language == "en"
    assert member.topics == ("outages",)
    history = ConsentLog(redis_client).history("demo-bkk", member.id)
    assert [e.action for e in history] == ["asked", "confirmed"]
    assert history[0].text is not None
    assert "I agree that Demo BKK" in history[0].text
    assert history[0].text_version
    assert history[0].via == "page"
    # The link is spent.
    assert web.post(path_of(link)).status_code == 404


def test_known_address_gets_the_same_answer_and_a_second_sign_up_no_second_mail(
    web: TestClient, redis_url: str
) -> None:
    first = sign_up(web, email=EMAIL)
    again = sign_up(web, email=EMAIL)
    assert first.status_code == again.status_code == 200
    assert first.text == again.text
    assert len(queued(redis_url, "email")) == 1


def test_a_filled_trap_field_stores_and_sends_nothing(web: TestClient, redis_url: str) -> None:
    answer = sign_up(web, email=EMAIL, website="http://spam.example")
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    assert queued(redis_url, "email") == []


def test_bad_fields_are_named_on_the_page_in_the_readers_language(web: TestClient) -> None:
    answer = sign_up(web, email="not-an-address")
    assert answer.status_code == 422
    assert "Please enter a valid email address." in answer.text
    assert 'aria-invalid="true"' in answer.text
    german = web.post("/t/demo-bkk/subscribe?lang=de", data={"phone": "+1 202 555 0100"})
    assert german.status_code == 422
    assert "nur an Handynummern" in german.text
    landline = sign_up(web, phone="+49 30 1234567")
    assert "mobile number" in landline.text
    nothing = sign_up(web, topics=["nope"])
    assert "Please enter your email address or mobile number." in nothing.text
    assert "Please choose at least one topic." in nothing.text


def test_forms_are_bounded_and_only_forms(web: TestClient) -> None:
    big = web.post(
        "/t/demo-bkk/subscribe",
        content=b"email=" + b"a" * 5000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("text/html")
    as_json = web.post("/t/demo-bkk/subscribe", json={"email": EMAIL})
    assert as_json.status_code == 415


def test_one_client_is_throttled_per_hour(
    make_settings: Any, redis_client: redis.Redis, redis_url: str
) -> None:
    from lifeline.web import create_web_app
    from tests.web.conftest import PUBLIC_URL, WEB

    settings = make_settings(web=WEB | {"signups_per_hour": 2})
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as web:
        statuses = [sign_up(web, email=f"m{i}@example.org").status_code for i in range(3)]
        assert statuses == [200, 200, 429]
        assert len(queued(redis_url, "email")) == 2
        limited = sign_up(web, email="late@example.org")
        assert "Too many tries" in limited.text
        assert int(limited.headers["retry-after"]) > 0


def test_sms_sign_up_is_confirmed_by_code(
    web: TestClient, redis_url: str, redis_client: redis.Redis
) -> None:
    answer = sign_up(web, phone=PHONE)
    assert answer.status_code == 200
    assert "Enter your code" in answer.text
    [(address, sms)] = queued(redis_url, "sms")
    assert address == "+4915123456789"
    code = sms.text.split()[0]
    assert code.isdigit()
    assert len(code) == 6
    token = answer.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    members = MemberStore(redis_client)
    wrong = web.post("/t/demo-bkk/subscribe/code?lang=en", data={"token": token, "code": "000000"
                     if code != "000000" else "111111"})  # fmt: skip
    assert wrong.status_code == 422
    assert "not the code we sent" in wrong.text
    assert members.find("demo-bkk", "sms", "+4915123456789") is None
    right = web.post("/t/demo-bkk/subscribe/code?lang=en", data={"token": token, "code": code})
    assert "You are signed up" in right.text
    member = members.find("demo-bkk", "sms", "+4915123456789")
    assert member is not None
    assert member.language == "en"


def test_too_many_wrong_codes_end_the_sign_up(web: TestClient, redis_url: str) -> None:
    answer = sign_up(web, phone=PHONE)
    token = answer.text.split('name="token" value="', 1)[1].split('"', 1)[0]
    [(_, sms)] = queued(redis_url, "sms")
    code = sms.text.split()[0]
    wrong = "1" * 6 if code != "1" * 6 else "2" * 6
    statuses = [
        web.post("/t/demo-bkk/subscribe/code", data={"token": token, "code": wrong}).status_code
        for _ in range(5)
    ]
    assert statuses == [422, 422, 422, 422, 404]
    late = web.post("/t/demo-bkk/subscribe/code", data={"token": token, "code": code})
    assert late.status_code == 404  # the right code no longer helps


def test_unknown_tenant_page_is_an_html_404(web: TestClient) -> None:
    answer = web.get("/t/nope-kk/subscribe", headers={"Accept-Language": "en"})
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "This page does not exist" in answer.text
