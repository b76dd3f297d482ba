"""The status page and its feed: what a member reads when the insurer's own site is down."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from tests.api.helpers import NOTICE, TestClient

ATOM = "{http://www.w3.org/2005/Atom}"


def post_notice(admin_api: TestClient, **fields: Any) -> int:
    response = admin_api.post("/v1/notices", json=NOTICE | fields)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def test_empty_page_says_nothing_is_known_in_the_tenants_language(web: TestClient) -> None:
    page = web.get("/t/demo-bkk")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="de">' in page.text
    assert "Zurzeit sind keine Störungen bekannt." in page.text
    assert "+49 30 1234567" in page.text
    assert page.headers["content-language"] == "de"


def test_language_follows_query_then_accept_language(web: TestClient) -> None:
    english = web.get("/t/demo-bkk", headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"})
    assert '<html lang="en">' in english.text
    assert "No disruptions are known at the moment." in english.text
    chosen = web.get("/t/demo-bkk?lang=de", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in chosen.text
    unknown = web.get("/t/demo-bkk", headers={"Accept-Language": "fr, it;q=0.8"})
    assert '<html lang="de">' in unknown.text
    # the switch links to the other language
    assert 'href="https://hilfe.example.org/t/demo-bkk?lang=en"' in chosen.text


def test_active_notice_shows_what_to_do_instead_and_its_updates(
    web: TestClient, admin_api: TestClient
) -> None:
    notice_id = post_notice(admin_api)
    update = {"body": {"de": "Die App läuft wieder.", "en": "The app works again."}}
    assert admin_api.post(f"/v1/notices/{notice_id}/updates", json=update).status_code == 202
    page = web.get("/t/demo-bkk?lang=en").text
    current = page[page.index('id="now"') : page.index('id="past"')]
    assert f'id="notice-{notice_id}"' in current
    assert "Outage: online branch unavailable" in current
    assert "We are working on it." in current
    assert "The app works again." in current
    # each affected service with its advice (from locales/en/services.toml)
    assert current.count("<li><strong>") == 2
    assert "No disruptions are known" not in page


def test_resolved_notice_moves_to_the_past_30_days(web: TestClient, admin_api: TestClient) -> None:
    notice_id = post_notice(admin_api)
    resolve = {"body": {"de": "Alles läuft wieder.", "en": "All is well again."}}
    assert admin_api.post(f"/v1/notices/{notice_id}/resolve", json=resolve).status_code == 202
    page = web.get("/t/demo-bkk?lang=en").text
    current = page[page.index('id="now"') : page.index('id="past"')]
    past = page[page.index('id="past"') :]
    assert "No disruptions are known at the moment." in current
    assert f'id="notice-{notice_id}"' in past
    assert "Resolved" in past
    assert "All is well again." in past


def test_member_text_is_escaped(web: TestClient, admin_api: TestClient) -> None:
    headline = {"de": "<script>alert(1)</script> Störung", "en": "<b>x</b> outage"}
    post_notice(admin_api, headline=headline)
    page = web.get("/t/demo-bkk").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Störung" in page


def test_pages_forbid_scripts_and_framing(web: TestClient) -> None:
    headers = web.get("/t/demo-bkk").headers
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # falls back to 'none'
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_unknown_tenant_is_404(web: TestClient) -> None:
    assert web.get("/t/no-such-kk").status_code == 404
    assert web.get("/t/no-such-kk/feed.atom").status_code == 404


def test_feed_lists_notice_update_and_all_clear_with_stable_ids(
    web: TestClient, admin_api: TestClient
) -> None:
    notice_id = post_notice(admin_api)
    update = {"body": {"de": "Weiterhin gestört.", "en": "Still down."}}
    update_id = admin_api.post(f"/v1/notices/{notice_id}/updates", json=update).json()["id"]
    resolve_id = admin_api.post(f"/v1/notices/{notice_id}/resolve").json()["id"]
    answers = [web.get(f"/t/demo-bkk/feed.atom?lang={lang}") for lang in ("en", "de")]
    assert answers[0].headers["content-type"].startswith("application/atom+xml")
    feeds = [ET.fromstring(a.content) for a in answers]
    ids = [[e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")] for feed in feeds]
    tag = "tag:hilfe.example.org,2026:demo-bkk:notice:"
    assert ids[0] == [f"{tag}{resolve_id}", f"{tag}{update_id}", f"{tag}{notice_id}"]
    assert ids[0] == ids[1]  # the same entry in every language
    titles = [e.findtext(f"{ATOM}title") for e in feeds[0].iter(f"{ATOM}entry")]
    assert titles[0] == "All clear: Outage: online branch unavailable"
    assert titles[1] == "Update: Outage: online branch unavailable"
    assert feeds[1].get("{http://www.w3.org/XML/1998/namespace}lang") == "de"


def test_public_app_has_no_admin_routes(web: TestClient) -> None:
    assert web.get("/v1/notices").status_code == 404
    paths = web.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/v1/")]
    assert "/t/{tenant_id}" in paths
