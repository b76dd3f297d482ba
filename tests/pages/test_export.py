"""The static copy of the status page: written by the worker after every notice, update and
all-clear, and by ``lifeline status export``; it shows what the live page shows."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.delivery import worker
from lifeline.web import create_web_app
from tests.api.helpers import NOTICE, TestClient

PUBLIC_URL = "https://hilfe.example.org"


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    return tmp_path / "static"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], static_dir: Path) -> Settings:
    web = {"public_url": PUBLIC_URL, "secret": "s" * 40, "static_dir": str(static_dir)}
    return make_settings(web=web)


@pytest.fixture
def admin_api(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"}, name="test")
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def current(html: str) -> list[str]:
    """The ids of the notices a status page lists as current."""
    now = html[html.index('id="now"') : html.index('id="past"')]
    return re.findall(r'id="notice-(\d+)"', now)


def test_worker_writes_the_static_copy_after_notice_and_resolve(
    settings: Settings, admin_api: TestClient, static_dir: Path
) -> None:
    first = admin_api.post("/v1/notices", json=NOTICE).json()["id"]
    second = admin_api.post("/v1/notices", json=NOTICE | {"severity": "critical"}).json()["id"]
    worker.run(settings, burst=True)
    folder = static_dir / "demo-bkk"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["feed.de.atom", "feed.en.atom", "index.de.html", "index.en.html",
                     "index.html"]  # fmt: skip
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as web:
        live = web.get("/t/demo-bkk").text
        assert current((folder / "index.html").read_text()) == current(live)
        assert sorted(current(live)) == sorted([str(first), str(second)])
        # links between the files are relative; sign-up goes to the live site
        english = (folder / "index.en.html").read_text()
        assert 'href="index.de.html"' in english
        assert f'href="{PUBLIC_URL}/t/demo-bkk/subscribe?lang=en"' in english
        ET.fromstring((folder / "feed.en.atom").read_bytes())

        assert admin_api.post(f"/v1/notices/{first}/resolve").status_code == 202
        worker.run(settings, burst=True)
        live = web.get("/t/demo-bkk").text
        assert current((folder / "index.html").read_text()) == current(live) == [str(second)]


def test_cli_exports_by_hand_and_names_a_wrong_tenant(
    settings: Settings, admin_api: TestClient, tmp_path: Path, redis_url: str
) -> None:
    admin_api.post("/v1/notices", json=NOTICE)
    config = tmp_path / "lifeline.toml"
    config.write_text(
        f'[redis]\nurl = "{redis_url}"\n[web]\npublic_url = "{PUBLIC_URL}"\n'
        f'secret = "{"s" * 40}"\n[[tenants]]\nid = "demo-bkk"\nname = "Demo BKK"\n'
        f'[tenants.channels.email]\nprovider = "outbox"\npath = "{tmp_path / "outbox"}"\n'
    )
    env = {"LIFELINE_CONFIG": str(config), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "lifeline", "status", "export"]
    done = subprocess.run([*run, "--tenant", "demo-bkk", str(tmp_path / "out")], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "out" / "demo-bkk" / "index.html").read_text()
    assert "Online-Filiale nicht erreichbar" in page
    wrong = subprocess.run([*run, "--tenant", "nope", str(tmp_path / "x")], env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert wrong.returncode != 0
    assert "--tenant: 'nope' is not in the config" in wrong.stderr
    assert "Traceback" not in wrong.stderr
