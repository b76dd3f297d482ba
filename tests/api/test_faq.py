"""``/v1/faq``: support staff keep the FAQ through the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Headers, KeyMaker
from tests.api.helpers import TestClient, assert_error

ENTRY: dict[str, Any] = {
    "question": {"de": "Wie bekomme ich eine Krankschreibung?", "en": "How do I get a sick note?"},
    "answer": {"de": "Auf Papier (Muster 1).", "en": "On paper (Muster 1)."},
    "keywords": ["sick note", "Krankschreibung"],
}


@pytest.fixture
def support(make_key: KeyMaker) -> Headers:
    return make_key("support")


def test_put_get_list_delete(api: TestClient, support: Headers) -> None:
    created = api.put("/v1/faq/sick-note", json=ENTRY, headers=support)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"] == "sick-note"
    assert body["question"] == ENTRY["question"]
    assert body["keywords"] == ENTRY["keywords"]
    assert body["updated_at"]

    replaced = api.put("/v1/faq/sick-note", json=ENTRY | {"keywords": []}, headers=support)
    assert replaced.status_code == 200
    assert replaced.json()["keywords"] == []

    assert api.get("/v1/faq/sick-note", headers=support).json()["answer"] == ENTRY["answer"]
    listed = api.get("/v1/faq", headers=support).json()
    assert [e["key"] for e in listed["entries"]] == ["sick-note"]

    assert api.delete("/v1/faq/sick-note", headers=support).status_code == 204
    assert_error(api.get("/v1/faq/sick-note", headers=support), 404, "not_found", "sick-note")
    assert_error(api.delete("/v1/faq/sick-note", headers=support), 404, "not_found")


def test_admin_may_publisher_may_not(api: TestClient, make_key: KeyMaker) -> None:
    assert api.put("/v1/faq/a", json=ENTRY, headers=make_key("admin")).status_code == 201
    assert_error(api.get("/v1/faq", headers=make_key("publisher")), 403, "forbidden", "support")
    assert_error(api.get("/v1/faq"), 401, "unauthorized")


def test_tenants_are_separate(api: TestClient, support: Headers, make_key: KeyMaker) -> None:
    api.put("/v1/faq/a", json=ENTRY, headers=support)
    other = make_key("support", tenant="other-kk")
    assert api.get("/v1/faq", headers=other).json() == {"entries": []}
    assert_error(api.get("/v1/faq/a", headers=other), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (ENTRY | {"extra": 1}, "body.extra"),
        (ENTRY | {"question": {"fr": "Q"}}, "body.question.fr"),
        (ENTRY | {"question": {}}, "body.question"),
        (ENTRY | {"answer": {"de": ""}}, "body.answer.de"),
        (ENTRY | {"answer": {"de": "a" * 3001}}, "body.answer.de"),
        (ENTRY | {"keywords": "sick note"}, "body.keywords"),
        ({"question": ENTRY["question"]}, "body.answer"),
        (ENTRY | {"answer": {"de": "Nur deutsch."}}, "answer"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(
    api: TestClient, support: Headers, body: dict[str, Any], field: str
) -> None:
    response = api.put("/v1/faq/k", json=body, headers=support)
    assert_error(response, 422, "invalid_input", field)


@pytest.mark.parametrize("key", ["Sick-Note", "a b", "-x", "x" * 41])
def test_bad_keys_are_refused(api: TestClient, support: Headers, key: str) -> None:
    assert_error(api.put(f"/v1/faq/{key}", json=ENTRY, headers=support), 422, "invalid_input")


def test_malformed_json_is_400(api: TestClient, support: Headers) -> None:
    response = api.put(
        "/v1/faq/k", content=b"{", headers=support | {"Content-Type": "application/json"}
    )
    assert_error(response, 400, "malformed_json")
