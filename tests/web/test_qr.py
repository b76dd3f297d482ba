"""QR codes for letters and posters: each encodes the link it names; the bot's name comes
from Telegram's getMe."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis
import segno

from lifeline.config import Settings
from lifeline.pages.qr import qr_image
from lifeline.web import create_web_app
from tests.api.helpers import TestClient
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN
from tests.web.conftest import PUBLIC_URL, WEB


@pytest.fixture
def web(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> Iterator[TestClient]:
    telegram = {"provider": "telegram", "token": BOT_TOKEN, "api_base": bot_api.api_base}
    settings = make_settings(web=WEB, channels={"telegram": telegram, "email": {
        "provider": "outbox", "path": "outbox"}})  # fmt: skip
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as client:
        yield client


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("status.svg", f"{PUBLIC_URL}/t/demo-bkk"),
        ("subscribe.png", f"{PUBLIC_URL}/t/demo-bkk/subscribe"),
        ("bot.svg", "https://t.me/lifeline_bot"),  # the stand-in's getMe username
    ],
)
def test_each_code_encodes_its_link(web: TestClient, name: str, url: str) -> None:
    answer = web.get(f"/t/demo-bkk/qr/{name}")
    assert answer.status_code == 200
    fmt = name.rsplit(".", 1)[1]
    assert answer.headers["content-type"] == {"svg": "image/svg+xml", "png": "image/png"}[fmt]
    assert answer.content == qr_image(url, fmt)  # type: ignore[arg-type]
    # and not the code of any other link
    assert answer.content != qr_image(url + "x", fmt)  # type: ignore[arg-type]


def test_codes_are_real_qr_symbols() -> None:
    image = qr_image("https://t.me/lifeline_bot", "png")
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    symbol = segno.make("https://t.me/lifeline_bot", error="m", micro=False)
    assert symbol.error == "M"
    assert symbol.designator.endswith("-M")


def test_unknown_code_or_format_is_404(web: TestClient) -> None:
    assert web.get("/t/demo-bkk/qr/other.svg").status_code == 404
    assert web.get("/t/demo-bkk/qr/status.gif").status_code == 404


def test_poster_has_three_codes_in_both_languages(web: TestClient) -> None:
    page = web.get("/t/demo-bkk/poster?lang=en")
    assert page.status_code == 200
    text = page.text
    for target in ("bot", "subscribe", "status"):
        assert f'src="{PUBLIC_URL}/t/demo-bkk/qr/{target}.svg"' in text
    assert "Bleiben Sie informiert" in text
    assert "Stay informed when our systems are down" in text
    assert "@page{size:A4" in text


def test_without_telegram_the_bot_code_is_503_and_the_poster_shows_the_others(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    # The stand-in refuses this token as Telegram would: getMe cannot say the name.
    telegram = {"provider": "telegram", "token": "123:refused", "api_base": bot_api.api_base}
    settings = make_settings(web=WEB, channels={"telegram": telegram})
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as web:
        assert web.get("/t/demo-bkk/qr/bot.svg").status_code == 503
        page = web.get("/t/demo-bkk/poster").text
    assert "/qr/bot.svg" not in page
    assert "/qr/status.svg" in page
