"""``/v1/members``: create, read, change and erase members (role admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest
import redis

from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.conversations import ChatState, RelayTarget
from lifeline.core import defaults
from lifeline.members import MemberStore
from tests.api.conftest import Headers, KeyMaker
from tests.api.helpers import CONSENT, TestClient, assert_error, member_body


def test_create_applies_tenant_defaults(api: TestClient, admin: Headers) -> None:
    response = api.post(
        "/v1/members",
        json=member_body(email="Erika.Mustermann@Example.ORG", phone="0151 12345678"),
        headers=admin,
    )

    assert response.status_code == 201, response.text
    member = response.json()
    assert member["language"] == "de"
    assert member["topics"] == ["outages"]
    assert member["email"] == "erika.mustermann@example.org"
    assert member["phone"] == "+4915112345678"
    assert member["consent"] == {"given_at": "2026-11-01T10:00:00Z", "source": "import"}
    assert member["paused_channels"] == []
    assert api.get(f"/v1/members/{member['id']}", headers=admin).json() == member


def test_create_with_a_taken_contact_is_a_conflict(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    api.post("/v1/members", json=member_body(telegram_chat_id=42), headers=admin)
    size = redis_client.dbsize()

    response = api.post(
        "/v1/members", json=member_body(email="b@example.org", telegram_chat_id=42), headers=admin
    )

    assert_error(response, 409, "conflict", "telegram_chat_id")
    assert redis_client.dbsize() == size


def test_create_refuses_a_topic_of_no_tenant(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    size = redis_client.dbsize()

    response = api.post("/v1/members", json=member_body(topics=["weather"]), headers=admin)

    assert_error(response, 422, "invalid_input", "topics:", "weather")
    assert redis_client.dbsize() == size


def test_create_without_any_contact_names_the_problem(api: TestClient, admin: Headers) -> None:
    response = api.post("/v1/members", json={"consent": CONSENT}, headers=admin)

    assert_error(response, 422, "invalid_input", "telegram_chat_id, email, phone")


def test_patch_changes_only_the_fields_present(api: TestClient, admin: Headers) -> None:
    created = api.post(
        "/v1/members", json=member_body(phone="+4915112345678", language="en"), headers=admin
    ).json()

    response = api.patch(
        f"/v1/members/{created['id']}",
        json={"topics": ["service", "outages"], "telegram_chat_id": 7},
        headers=admin,
    )

    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["topics"] == ["service", "outages"]
    assert changed["telegram_chat_id"] == 7
    assert (changed["language"], changed["email"], changed["phone"]) == (
        "en", created["email"], "+4915112345678",
    )  # fmt: skip


def test_patch_null_removes_a_contact(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    body = member_body(email="erika@example.org", telegram_chat_id=7)
    created = api.post("/v1/members", json=body, headers=admin).json()
    store = MemberStore(redis_client)
    assert store.count_subscribers("demo-bkk", "email", "outages") == 1

    removed = api.patch(f"/v1/members/{created['id']}", json={"email": None}, headers=admin)

    assert removed.status_code == 200, removed.text
    assert removed.json()["email"] is None
    assert store.find("demo-bkk", "email", "erika@example.org") is None
    assert store.count_subscribers("demo-bkk", "email", "outages") == 0
    assert store.count_subscribers("demo-bkk", "telegram", "outages") == 1


def test_patch_removing_the_last_contact_is_refused(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    created = api.post("/v1/members", json=member_body(), headers=admin).json()

    response = api.patch(f"/v1/members/{created['id']}", json={"email": None}, headers=admin)

    assert_error(response, 422, "invalid_input", "email:")
    assert api.get(f"/v1/members/{created['id']}", headers=admin).json() == created


def test_patch_null_language_is_refused(api: TestClient, admin: Headers) -> None:
    created = api.post("/v1/members", json=member_body(), headers=admin).json()

    response = api.patch(f"/v1/members/{created['id']}", json={"language": None}, headers=admin)

    assert_error(response, 422, "invalid_input", "language:")


def test_patch_a_new_address_resumes_a_paused_channel(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    created = api.post("/v1/members", json=member_body(telegram_chat_id=7), headers=admin).json()
    MemberStore(redis_client).pause("demo-bkk", created["id"], "telegram")
    path = f"/v1/members/{created['id']}"

    same = api.patch(path, json={"telegram_chat_id": 7}, headers=admin).json()
    new = api.patch(path, json={"telegram_chat_id": 8}, headers=admin).json()

    assert same["paused_channels"] == ["telegram"]
    assert new["paused_channels"] == []


def test_patch_to_a_taken_contact_is_a_conflict(api: TestClient, admin: Headers) -> None:
    api.post("/v1/members", json=member_body(email="a@example.org"), headers=admin)
    second = api.post("/v1/members", json=member_body(email="b@example.org"), headers=admin)

    response = api.patch(
        f"/v1/members/{second.json()['id']}", json={"email": "A@example.org"}, headers=admin
    )

    assert_error(response, 409, "conflict", "email")


def test_delete_erases_member_and_subscriptions(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    before = set(cast(list[str], redis_client.keys("*")))  # decode_responses=True
    created = api.post("/v1/members", json=member_body(), headers=admin).json()

    response = api.delete(f"/v1/members/{created['id']}", headers=admin)

    assert response.status_code == 204
    assert_error(api.get(f"/v1/members/{created['id']}", headers=admin), 404, "not_found")
    assert_error(api.delete(f"/v1/members/{created['id']}", headers=admin), 404, "not_found")
    # What is left are the id counters, emptied subscriber bitmaps and the audit log, which
    # names the member by id only: no trace of the person.
    left = set(cast(list[str], redis_client.keys("*"))) - before
    assert {k.rsplit(":", 1)[-1] for k in left if ":sub:" not in k} == {
        "tenant", "no", "m", "audit"
    }  # fmt: skip
    audit = str(redis_client.xrange("ll:t:demo-bkk:audit"))
    assert created["email"] not in audit
    assert all(redis_client.bitcount(k) == 0 for k in left if ":sub:" in k)


def test_another_tenants_member_is_not_found(
    api: TestClient, admin: Headers, make_key: KeyMaker
) -> None:
    created = api.post("/v1/members", json=member_body(), headers=admin).json()
    other = make_key("admin", tenant="other-kk")

    for method in ("GET", "DELETE"):
        response = api.request(method, f"/v1/members/{created['id']}", headers=other)
        assert_error(response, 404, "not_found", str(created["id"]))
    response = api.patch(f"/v1/members/{created['id']}", json={"language": "en"}, headers=other)
    assert_error(response, 404, "not_found")
    assert api.get(f"/v1/members/{created['id']}", headers=admin).json() == created


def test_members_need_the_admin_role(
    api: TestClient, publisher: Headers, redis_client: redis.Redis
) -> None:
    size = redis_client.dbsize()

    response = api.post("/v1/members", json=member_body(), headers=publisher)

    assert_error(response, 403, "forbidden", "admin")
    assert redis_client.dbsize() == size


# Issue 10.1: a consent year typed wrong once sent the member encoder into an endless loop.
IMPLAUSIBLE_CONSENT = ["0026-11-01T10:00:00Z", "1969-12-31T23:59:59Z", "1999-12-31T23:00:00Z"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("given_at", [*IMPLAUSIBLE_CONSENT, "2999-01-01T00:00:00Z"])
def test_an_implausible_consent_date_is_refused_naming_the_field(
    api: TestClient, admin: Headers, given_at: str, redis_client: redis.Redis
) -> None:
    body = member_body(consent={"given_at": given_at, "source": "import"})
    response = api.post("/v1/members", json=body, headers=admin)
    assert_error(response, 422, "invalid_input", "body.consent.given_at", "2000-01-01")
    assert redis_client.dbsize() == 0 or not redis_client.keys("*:m:*")


@pytest.mark.timeout(30)
def test_an_implausible_consent_date_is_refused_in_a_patch(api: TestClient, admin: Headers) -> None:
    member = api.post("/v1/members", json=member_body(), headers=admin).json()
    patch = {"consent": {"given_at": "0026-11-01T10:00:00Z", "source": "phone"}}
    response = api.patch(f"/v1/members/{member['id']}", json=patch, headers=admin)
    assert_error(response, 422, "invalid_input", "body.consent.given_at")
    assert api.get(f"/v1/members/{member['id']}", headers=admin).json() == member


@pytest.mark.parametrize("chat_id", [2**52, -(2**52), 2**63, -(2**64), 10**30])
def test_a_telegram_chat_id_beyond_telegrams_range_is_refused(
    api: TestClient, admin: Headers, chat_id: int
) -> None:
    # Issue 10.4: ids beyond 64 bits were accepted and stored.
    response = api.post("/v1/members", json=member_body(telegram_chat_id=chat_id), headers=admin)
    assert_error(response, 422, "invalid_input", "body.telegram_chat_id")


def test_an_error_lists_a_bounded_number_of_problems(api: TestClient, admin: Headers) -> None:
    # Issue 10.4: an answer never repeats more of the input than a bounded excerpt.
    body = member_body() | {f"unknown{i}": i for i in range(5_000)} | {"q" * 100_000: 1}
    response = api.post("/v1/members", json=body, headers=admin)
    error = assert_error(response, 422, "invalid_input", "more problems")
    assert len(error["details"]) == defaults.ERROR_DETAILS
    assert len(response.content) < 20_000


# Issue 10.9: SMS pumping — premium-rate, service and foreign numbers were taken for SMS.
@pytest.mark.parametrize(
    ("phone", "why"),
    [
        ("+49 900 1234567", "premium-rate"),
        ("+49 137 1234567", "not a mobile"),
        ("+49 30 1234567", "landline"),
        ("+44 7911 123456", "not taken for SMS"),
        ("+43 664 1234567", "AT"),
    ],
)
def test_only_mobile_numbers_of_the_tenants_countries_are_taken(
    api: TestClient, admin: Headers, phone: str, why: str
) -> None:
    response = api.post("/v1/members", json=member_body(phone=phone), headers=admin)
    assert_error(response, 422, "invalid_input", "phone", why)
    member = api.post("/v1/members", json=member_body(), headers=admin).json()
    patched = api.patch(f"/v1/members/{member['id']}", json={"phone": phone}, headers=admin)
    assert_error(patched, 422, "invalid_input", "phone", why)


def test_a_tenant_may_allow_more_countries(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, make_key: KeyMaker
) -> None:
    settings = make_settings(allowed_countries=["DE", "AT"])
    with TestClient(create_app(settings)) as api:
        response = api.post(
            "/v1/members", json=member_body(phone="+43 664 1234567"), headers=make_key("admin")
        )
    assert response.status_code == 201, response.text
    assert response.json()["phone"] == "+436641234567"


def test_erasing_a_member_erases_what_the_bot_kept_about_it(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    # Issue 10.6: a staff reply sent after the erasure still reached the erased member.
    member = api.post("/v1/members", json=member_body(telegram_chat_id=600), headers=admin).json()
    state = ChatState(redis_client, "demo-bkk")
    state.remember_relay(-100, 77, RelayTarget(chat_id=600, member_id=member["id"], language="de"))
    assert api.delete(f"/v1/members/{member['id']}", headers=admin).status_code == 204
    assert state.relay_target(-100, 77) is None
    assert not [k for k in redis_client.scan_iter("*") if k.endswith(":600") or ":600:" in k]
