"""Ready scenarios (issue 13.3): a library per tenant that starts with the starter set; a
scenario sent in one call reaches members in both languages; overrides; checks; advance
approval by a second person lets its notices skip the four-eyes wait."""

from __future__ import annotations

from collections.abc import Callable

import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.delivery import worker
from lifeline.members import MemberData, MemberStore
from lifeline.scenarios.store import starter_set
from tests.api.conftest import Headers
from tests.api.helpers import TestClient, assert_error
from tests.delivery.test_fanout import outbox_lines

T = "demo-bkk"
STARTER = ["all-clear", "app-down", "eau-down", "egk-down", "email-down", "epa-down",
           "phone-down", "portal-down"]  # fmt: skip
DRILL = {
    "severity": "critical",
    "headline": {"de": "Störung: Alles", "en": "Outage: everything"},
    "body": {"de": "Bitte Post nutzen.", "en": "Please use the post."},
    "services": ["app"],
    "channels": ["email"],
}


def test_the_starter_set_covers_the_attack_on_an_it_provider(
    api: TestClient, publisher: Headers
) -> None:
    listed = api.get("/v1/scenarios", headers=publisher).json()["scenarios"]
    assert [s["key"] for s in listed] == STARTER
    for scenario in listed:
        assert set(scenario["headline"]) == {"de", "en"}, scenario["key"]
        assert set(scenario["body"]) == {"de", "en"}, scenario["key"]
    eau = api.get("/v1/scenarios/eau-down", headers=publisher).json()
    assert "eau" in eau["services"]
    assert eau["updated_by"] == "starter set"
    services = {s["key"]: s["services"] for s in listed}
    for wanted, key in [
        ("app", "app-down"),
        ("portal", "portal-down"),
        ("email", "email-down"),
        ("phone", "phone-down"),
        ("epa", "epa-down"),
        ("egk", "egk-down"),
    ]:
        assert wanted in services[key]


def test_a_starter_scenario_in_one_call_reaches_members_in_both_languages(
    api: TestClient, publisher: Headers, settings: Settings, redis_client: redis.Redis
) -> None:
    rows = [
        MemberData(language=lang, topics=("outages",), email=f"{lang}@example.org",
                   phone=f"+491511234567{n}")
        for n, lang in enumerate(("de", "en"))
    ]  # fmt: skip
    MemberStore(redis_client).upsert_many(T, rows)

    posted = api.post("/v1/notices", json={"scenario": "eau-down"}, headers=publisher)

    assert posted.status_code == 202, posted.text
    worker.run(settings, burst=True)
    scenario = starter_set()["eau-down"]
    mails = {str(line["to"]): line for line in outbox_lines(settings, "email")}
    assert mails.keys() == {"de@example.org", "en@example.org"}
    for language in ("de", "en"):
        assert scenario.headline[language] in str(mails[f"{language}@example.org"]["subject"])
    texts = {str(line["to"]): str(line["text"]) for line in outbox_lines(settings, "sms")}
    assert "Papier" in texts["+4915112345670"]
    assert "paper" in texts["+4915112345671"]
    notice_id = posted.json()["id"]
    shown = api.get(f"/v1/notices/{notice_id}", headers=publisher).json()
    assert shown["scenario"] == "eau-down"
    assert shown["services"] == ["eau", "krankengeld"]
    # The all-clear's words close it.
    closing = {"scenario": "all-clear"}
    resolved = api.post(f"/v1/notices/{notice_id}/resolve", json=closing, headers=publisher)
    assert resolved.status_code == 202, resolved.text
    worker.run(settings, burst=True)
    last = {str(line["to"]): str(line["text"]) for line in outbox_lines(settings, "email")[2:]}
    assert starter_set()["all-clear"].body["en"] in last["en@example.org"]


def test_fields_beside_the_scenario_replace_its_own(api: TestClient, publisher: Headers) -> None:
    body = {"scenario": "app-down", "channels": ["email"], "status": "exercise",
            "headline": {"de": "Störung: App", "en": "Outage: app"}}  # fmt: skip
    preview = api.post("/v1/notices/preview", json=body, headers=publisher)
    assert preview.status_code == 200, preview.text
    assert list(preview.json()) == ["email"]
    assert preview.json()["email"]["en"]["subject"].startswith("EXERCISE: ")
    notice_id = api.post("/v1/notices", json=body, headers=publisher).json()["id"]
    shown = api.get(f"/v1/notices/{notice_id}", headers=publisher).json()
    assert shown["headline"] == body["headline"]
    assert shown["mode"] == "exercise"
    assert shown["body"]["de"] == starter_set()["app-down"].body["de"]
    # The scenario's German body without a German headline does not make a notice.
    mixed = api.post("/v1/notices", json={"scenario": "app-down",
                                          "headline": {"en": "Only English"}},
                     headers=publisher)  # fmt: skip
    assert_error(mixed, 422, "invalid_input", "scenario 'app-down'", "without a headline: de")


def test_put_checks_a_scenario_as_a_notice(api: TestClient, publisher: Headers) -> None:
    put = api.put("/v1/scenarios/drill", json=DRILL, headers=publisher)
    assert put.status_code == 201, put.text
    assert api.put("/v1/scenarios/drill", json=DRILL, headers=publisher).status_code == 200
    english_only = DRILL | {"headline": {"en": "Outage"}, "body": {}}
    assert_error(api.put("/v1/scenarios/x", json=english_only, headers=publisher), 422,
                 "invalid_input", "body.headline", "missing: de")  # fmt: skip
    half_body = DRILL | {"body": {"de": "nur Deutsch"}}
    assert_error(api.put("/v1/scenarios/x", json=half_body, headers=publisher), 422,
                 "invalid_input", "body", "missing: en")  # fmt: skip
    unknown = DRILL | {"services": ["teleport"]}
    assert_error(api.put("/v1/scenarios/x", json=unknown, headers=publisher), 422,
                 "invalid_input", "unknown service 'teleport'")  # fmt: skip
    topic = DRILL | {"topics": ["weather"]}
    assert_error(api.put("/v1/scenarios/x", json=topic, headers=publisher), 422,
                 "invalid_input", "unknown topic 'weather'")  # fmt: skip
    bad_key = api.put("/v1/scenarios/Not_A_Key", json=DRILL, headers=publisher)
    assert bad_key.status_code == 422
    assert_error(api.post("/v1/notices", json={"scenario": "nope"}, headers=publisher), 404,
                 "not_found", "scenario 'nope'")  # fmt: skip


def test_a_deleted_starter_scenario_stays_deleted(api: TestClient, publisher: Headers) -> None:
    assert api.delete("/v1/scenarios/epa-down", headers=publisher).status_code == 204
    assert_error(api.delete("/v1/scenarios/epa-down", headers=publisher), 404, "not_found")
    keys = [s["key"] for s in api.get("/v1/scenarios", headers=publisher).json()["scenarios"]]
    assert "epa-down" not in keys
    assert len(keys) == len(STARTER) - 1


def test_an_approved_scenario_skips_the_four_eyes_wait_unless_its_words_change(
    make_settings: Callable[..., Settings], redis_client: redis.Redis
) -> None:
    settings = make_settings(approval={"severities": ["critical"]})

    def key(label: str) -> Headers:
        return {"Authorization": f"Bearer {apikeys.create(redis_client, T, {'publisher'}, label)}"}

    paul, maria = key("Paul"), key("Maria")
    with TestClient(create_app(settings)) as api:
        api.put("/v1/scenarios/drill", json=DRILL, headers=paul)
        waits = api.post("/v1/notices", json={"scenario": "drill"}, headers=paul).json()
        assert waits["status"] == "pending_approval"  # not approved in advance yet
        assert_error(api.post("/v1/scenarios/drill/approve", headers=paul), 409, "conflict",
                     "another person")  # fmt: skip
        approved = api.post("/v1/scenarios/drill/approve", headers=maria)
        assert approved.json()["approved_by"] == "Maria"

        goes = api.post("/v1/notices", json={"scenario": "drill", "status": "exercise"},
                        headers=paul)  # fmt: skip
        assert goes.json()["status"] == "active"
        reworded = {"scenario": "drill", "body": {"de": "Anders.", "en": "Different."}}
        assert api.post("/v1/notices", json=reworded, headers=paul).json()["status"] == (
            "pending_approval"
        )
        api.put("/v1/scenarios/drill", json=DRILL, headers=paul)  # a new text: approval lapses
        assert api.get("/v1/scenarios/drill", headers=paul).json()["approved_by"] is None
        assert (
            api.post("/v1/notices", json={"scenario": "drill"}, headers=paul).json()["status"]
            == "pending_approval"
        )
