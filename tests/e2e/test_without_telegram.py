"""Issue 11's must-show, end to end: members without Telegram, on the real public side
(``lifeline web``), real workers, the local SMTP relay and SMS gateway, and a headless
Chromium.

Email: sign up in English on the page, confirm from the link the relay received, get the
next notice, unsubscribe from that mail's link with one click; nothing reaches the address
before confirmation or after unsubscribing. A plain RFC 8058 POST unsubscribes another
member. SMS: double opt-in by code, STOP through the inbound webhook stops the next
notice's SMS. Every page passes axe-core without serious or critical violations.

``LIFELINE_SCREENSHOTS=docs`` also saves the README's screenshots there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.members import MemberData, MemberStore
from tests import reaper
from tests.api.helpers import TestClient
from tests.browser import axe_violations, describe
from tests.channels.test_smtp import free_port
from tests.processes import SMS_INBOUND_TOKEN, Fleet, wait_until, web_section
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

pytestmark = pytest.mark.slow

NORA = "nora@example.org"
MAX = "max@example.org"
PHONE = "+4915123456789"


HEADLINES = [
    {"de": "E-Mail-Postfach gestört", "en": "Email inbox disrupted"},
    {"de": "App und Online-Filiale nicht erreichbar", "en": "App and online branch unavailable"},
    {"de": "Telefon-Hotline überlastet", "en": "Phone lines overloaded"},
]
SERVICES = [["email"], ["app", "portal", "eau"], ["phone"]]


def notice(n: int) -> dict[str, Any]:
    return {
        "severity": "critical" if n == 1 else "major",
        "headline": HEADLINES[n],
        "body": {
            "de": "Nach einem Angriff auf unseren IT-Dienstleister arbeiten wir daran.",
            "en": "After an attack on our IT provider we are working on it.",
        },
        "services": SERVICES[n],
        "topics": ["outages"],
        "channels": ["email", "sms"],
    }


@pytest.fixture
def public(write_config: Callable[..., Path], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``lifeline web`` on a free port, and the config it and the workers share."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = write_config(web=web_section(url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    env["LIFELINE_CONFIG"] = str(config)
    with (tmp_path / "web.log").open("wb") as log:
        process = reaper.spawn(
            [sys.executable, "-m", "lifeline", "web", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def up() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout=30, what="lifeline web up")
        yield url, config
    finally:
        process.terminate()
        process.wait(timeout=15)


def mails_to(smtp: SmtpServer, address: str) -> list[Any]:
    return [m.message for m in smtp.delivered if address in m.rcpt_tos]


def body_of(mail: Any, kind: str = "plain") -> str:
    return str(mail.get_body((kind,)).get_content())


def heading(browser: Any, text: str) -> None:
    """Wait for the page that answers a click: its heading says ``text``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    located = expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), text)
    WebDriverWait(browser, 15).until(located, f"no page headed {text!r}")


def check_page(browser: Any, name: str, shots: list[tuple[str, str]]) -> None:
    violations = axe_violations(browser)
    assert not violations, f"{name}: {describe(violations)}"
    folder = os.environ.get("LIFELINE_SCREENSHOTS")
    if folder:
        for shot, file in shots:
            if shot == name:
                browser.save_screenshot(str(Path(folder) / file))


def test_email_and_sms_members_sign_up_confirm_and_leave(
    public: tuple[str, Path],
    redis_client: redis.Redis,
    fleet: Callable[[Path], Fleet],
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
    browser: Any,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url, config = public
    settings = load_settings(config, env={})
    shots = [("status-de", "status-de.png"), ("status-en", "status-en.png"),
             ("signup", "signup-en.png")]  # fmt: skip
    MemberStore(redis_client).create(
        "demo-bkk", MemberData(language="en", topics=("outages",), email=MAX)
    )
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"})
    fleet(config).start_many(1)
    with TestClient(create_app(settings)) as api:
        api.headers["Authorization"] = f"Bearer {key}"

        sent: list[int] = []

        def send(n: int) -> None:
            reply = api.post("/v1/notices", json=notice(n))
            assert reply.status_code == 202, reply.text
            notice_id = reply.json()["id"]
            sent.append(notice_id)
            wait_until(lambda: api.get(f"/v1/notices/{notice_id}").json()["complete"],
                       timeout=60, what=f"notice {n} delivered")  # fmt: skip

        # --- email: sign up in English in the browser --------------------------------------
        browser.get(f"{url}/t/demo-bkk/subscribe?lang=en")
        check_page(browser, "signup", shots)
        browser.find_element(By.ID, "email").send_keys(NORA)
        Select(browser.find_element(By.ID, "language")).select_by_value("en")
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        heading(browser, "Check your inbox")
        check_page(browser, "sent", shots)
        wait_until(lambda: bool(mails_to(smtp_server, NORA)), timeout=30, what="confirmation")
        send(0)  # before confirming: nothing of it may reach Nora
        [confirmation] = mails_to(smtp_server, NORA)
        link = re.search(r"http://\S+/confirm/\S+", body_of(confirmation))
        assert link, body_of(confirmation)
        browser.get(link.group(0))
        check_page(browser, "confirm", shots)
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        heading(browser, "You are signed up")
        check_page(browser, "confirmed", shots)

        # --- SMS: sign up by code ------------------------------------------------------------
        with httpx.Client(base_url=url, timeout=10) as web:
            page = web.post("/t/demo-bkk/subscribe", data={"phone": "0151 23456789",
                            "language": "de", "topics": "outages"})  # fmt: skip
            assert page.status_code == 200
            token = re.search(r'name="token" value="([^"]+)"', page.text)
            assert token
            wait_until(lambda: any(s.to == PHONE for s in sms_gateway.delivered),
                       timeout=30, what="the code SMS")  # fmt: skip
            code = next(s.text for s in sms_gateway.delivered if s.to == PHONE).split()[0]
            done = web.post("/t/demo-bkk/subscribe/code",
                            data={"token": token.group(1), "code": code})  # fmt: skip
            assert "Sie sind angemeldet" in done.text

            # --- the next notice reaches both -----------------------------------------------
            send(1)
            [_, first] = mails_to(smtp_server, NORA)
            assert first["Subject"] == f"Urgent: {HEADLINES[1]['en']}"
            assert any(HEADLINES[1]["de"] in s.text for s in sms_gateway.delivered if s.to == PHONE)
            header = first["List-Unsubscribe"]
            assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            one_click = re.match(r"<(http://[^>]+)>", header)
            assert one_click, header
            assert one_click.group(1) in body_of(first)

            # --- Max: RFC 8058, a plain POST to his mail's header URL ------------------------
            [max_mail] = [
                m for m in mails_to(smtp_server, MAX) if HEADLINES[1]["en"] in m["Subject"]
            ]
            max_url = re.match(r"<(http://[^>]+)>", max_mail["List-Unsubscribe"])
            assert max_url
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            posted = httpx.post(max_url.group(1), content=b"List-Unsubscribe=One-Click",
                                headers=form)  # fmt: skip
            assert posted.status_code == 200

            # --- Nora: the footer link, one click in the browser -------------------------------
            browser.get(one_click.group(1))
            check_page(browser, "unsubscribe", shots)
            browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            heading(browser, "You are unsubscribed")
            check_page(browser, "unsubscribed", shots)

            # --- SMS: STOP through the gateway's webhook --------------------------------------
            stop = web.post("/sms/demo-bkk/inbound",
                            json={"from": PHONE, "to": "DemoBKK", "text": "STOP"},
                            headers={"Authorization": f"Bearer {SMS_INBOUND_TOKEN}"})  # fmt: skip
            assert stop.json() == {"action": "stopped"}
            wait_until(lambda: any("keine SMS" in s.text for s in sms_gateway.delivered),
                       timeout=30, what="the STOP answer")  # fmt: skip

        send(2)
        # The status page gets an all-clear and an update to show.
        resolve = {"body": {"de": "Das Postfach ist wieder erreichbar.",
                            "en": "The inbox is reachable again."}}  # fmt: skip
        assert api.post(f"/v1/notices/{sent[0]}/resolve", json=resolve).status_code == 202
        update = {"body": {"de": "Die App läuft wieder, die Online-Filiale noch nicht.",
                           "en": "The app works again, the branch not yet."}}  # fmt: skip
        assert api.post(f"/v1/notices/{sent[1]}/updates", json=update).status_code == 202

    # Nora: the confirmation and notice 1 only; nothing before confirming, nothing after.
    subjects = [m["Subject"] for m in mails_to(smtp_server, NORA)]
    assert subjects == ["Please confirm: notices from Demo BKK", f"Urgent: {HEADLINES[1]['en']}"]
    assert not [m for m in mails_to(smtp_server, MAX) if HEADLINES[2]["en"] in m["Subject"]]
    texts = [s.text for s in sms_gateway.delivered if s.to == PHONE]
    assert not [t for t in texts if HEADLINES[2]["de"] in t]
    assert not [t for t in texts if HEADLINES[0]["de"] in t]
    assert len([t for t in texts if "keine SMS" in t]) == 1

    # --- the status page, checked in both languages ------------------------------------------
    for language in ("de", "en"):
        browser.get(f"{url}/t/demo-bkk?lang={language}")
        now = browser.find_element(By.ID, "now").find_element(By.XPATH, "..").text
        assert HEADLINES[1][language] in now
        assert HEADLINES[0][language] not in now  # resolved: among the past 30 days
        check_page(browser, f"status-{language}", shots)
    browser.get(f"{url}/t/demo-bkk/poster")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".code img")) == 3
    check_page(browser, "poster", shots)
