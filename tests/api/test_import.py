"""``POST /v1/members/import``: JSON lines or CSV; valid rows kept, invalid rows reported."""

from __future__ import annotations

import json

import pytest
import redis

from lifeline.core import defaults
from lifeline.members import MemberStore
from tests.api.conftest import Headers
from tests.api.helpers import CONSENT, TestClient, assert_error, member_body

JSONL = {"Content-Type": "application/x-ndjson"}
CSV = {"Content-Type": "text/csv; charset=utf-8"}
CSV_HEADER = "email,phone,telegram_chat_id,language,topics,consent_given_at,consent_source\n"


def jsonl(*rows: object) -> bytes:
    """Rows as JSON lines; a str row is sent as it is (to send broken lines)."""
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode()


def test_jsonl_keeps_valid_rows_and_reports_the_others(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    body = jsonl(
        member_body(email="a@example.org"),
        member_body(email="b@example.org", topics=["weather"]),
        "",  # blank lines are skipped but keep the line numbers right
        "{not json",
        member_body(email="c@example.org", severity="high"),
        member_body(telegram_chat_id=5, language="en", topics=["service"]),
    )

    response = api.post("/v1/members/import", content=body, headers=admin | JSONL)

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"], report["failed"]) == (2, 0, 3)
    assert report["errors_truncated"] is False
    by_row = {(e["row"], e["field"]): e["message"] for e in report["errors"]}
    assert "weather" in by_row[2, "topics"]
    assert "JSON" in by_row[4, None]
    assert by_row[5, "severity"] == "unknown field"
    store = MemberStore(redis_client)
    assert store.find("demo-bkk", "email", "a@example.org") is not None
    assert store.find("demo-bkk", "email", "b@example.org") is None
    assert store.find("demo-bkk", "telegram", 5) is not None


def test_jsonl_updates_members_matched_by_any_contact(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    first = api.post("/v1/members", json=member_body(email="a@example.org"), headers=admin)
    body = jsonl(member_body(email="A@example.org", phone="+4915112345678", language="en"))

    report = api.post("/v1/members/import", content=body, headers=admin | JSONL).json()

    assert (report["created"], report["updated"], report["failed"]) == (0, 1, 0)
    member = api.get(f"/v1/members/{first.json()['id']}", headers=admin).json()
    assert (member["phone"], member["language"]) == ("+4915112345678", "en")


def test_import_keeps_choices_a_row_leaves_out(api: TestClient, admin: Headers) -> None:
    chosen = member_body(email="a@example.org", language="en", topics=["service"])
    first = api.post("/v1/members", json=chosen, headers=admin).json()
    body = jsonl(
        member_body(email="a@example.org", phone="+4915112345678"),
        member_body(email="new@example.org"),
    )

    report = api.post("/v1/members/import", content=body, headers=admin | JSONL).json()

    assert (report["created"], report["updated"]) == (1, 1)
    member = api.get(f"/v1/members/{first['id']}", headers=admin).json()
    assert (member["language"], member["topics"]) == ("en", ["service"])
    assert member["phone"] == "+4915112345678"


def test_jsonl_row_joining_two_members_is_reported(api: TestClient, admin: Headers) -> None:
    api.post("/v1/members", json=member_body(email="a@example.org"), headers=admin)
    api.post("/v1/members", json=member_body(phone="+4915112345678"), headers=admin)
    body = jsonl(member_body(email="a@example.org", phone="+4915112345678"))

    report = api.post("/v1/members/import", content=body, headers=admin | JSONL).json()

    assert report["failed"] == 1
    assert report["errors"][0]["row"] == 1
    assert report["errors"][0]["field"] in {"email", "phone"}


def test_csv_with_german_spreadsheet_conventions(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    given, source = CONSENT["given_at"], CONSENT["source"]
    body = (
        "\ufeffEmail;Topics;Consent_Given_At;Consent_Source\r\n"
        f"a@example.org;outages|service;{given};{source}\r\n"
        f"b@example.org;;{given};{source}\r\n"
        ";;;\r\n"
        f"c@example;outages;{given};{source}\r\n"
        f"d@example.org;outages;;{source}\r\n"
    ).encode()

    response = api.post("/v1/members/import", content=body, headers=admin | CSV)

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"], report["failed"]) == (2, 0, 2)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (5, "email"),
        (6, "consent_given_at"),
    ]
    store = MemberStore(redis_client)
    a = store.find("demo-bkk", "email", "a@example.org")
    b = store.find("demo-bkk", "email", "b@example.org")
    assert a is not None
    assert b is not None
    assert a.topics == ("outages", "service")
    assert b.topics == ("outages",)  # the tenant's first topic


def test_csv_reports_wrong_cells_by_column(api: TestClient, admin: Headers) -> None:
    given = CONSENT["given_at"]
    body = (
        CSV_HEADER
        + f"a@example.org,,not-a-number,de,outages,{given},csv\n"
        + f"b@example.org,+4915112345678,,fr,outages;nope,{given},csv\n"
        + f"c@example.org,,,,,{given},csv,surplus\n"
    ).encode()

    report = api.post("/v1/members/import", content=body, headers=admin | CSV).json()

    assert report["failed"] == 3
    fields = {(e["row"], e["field"]) for e in report["errors"]}
    assert {(2, "telegram_chat_id"), (3, "language"), (4, None)} <= fields


def test_csv_with_an_unknown_column_writes_nothing(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    size = redis_client.dbsize()
    body = (
        b"email,shoe_size,consent_given_at,consent_source\n"
        b"a@example.org,44,2026-11-01T10:00:00Z,x\n"
    )

    response = api.post("/v1/members/import", content=body, headers=admin | CSV)

    assert_error(response, 422, "invalid_input", "header:", "shoe_size")
    assert redis_client.dbsize() == size


@pytest.mark.parametrize(
    ("content_type", "body", "status", "mention"),
    [
        ("application/json", b"[]", 415, "text/csv"),
        (None, b"x", 415, "Content-Type"),
        ("application/x-ndjson", b"\n\n", 422, "no rows"),
        ("application/x-ndjson", b"\xff\xfe{}", 422, "UTF-8"),
        ("text/csv", b"", 422, "header"),
    ],
)
def test_import_refusals_write_nothing(
    api: TestClient,
    admin: Headers,
    redis_client: redis.Redis,
    content_type: str | None,
    body: bytes,
    status: int,
    mention: str,
) -> None:
    size = redis_client.dbsize()
    headers = admin | ({"Content-Type": content_type} if content_type else {})

    response = api.post("/v1/members/import", content=body, headers=headers)

    code = {415: "unsupported_media_type", 422: "invalid_input"}[status]
    assert_error(response, status, code, mention)
    assert redis_client.dbsize() == size


def test_more_rows_than_allowed_writes_nothing(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    size = redis_client.dbsize()
    row = json.dumps(member_body(telegram_chat_id=1)).encode()
    body = b"\n".join([row] * (defaults.IMPORT_MAX_ROWS + 1))

    response = api.post("/v1/members/import", content=body, headers=admin | JSONL)

    assert_error(response, 422, "invalid_input", str(defaults.IMPORT_MAX_ROWS))
    assert redis_client.dbsize() == size


def test_error_list_is_capped(api: TestClient, admin: Headers) -> None:
    body = b"\n".join([b"{}"] * 1500)

    report = api.post("/v1/members/import", content=body, headers=admin | JSONL).json()

    assert report["failed"] == 1500
    assert len(report["errors"]) == 1000
    assert report["errors_truncated"] is True


def test_import_needs_the_admin_role(
    api: TestClient, publisher: Headers, redis_client: redis.Redis
) -> None:
    size = redis_client.dbsize()

    response = api.post(
        "/v1/members/import", content=jsonl(member_body()), headers=publisher | JSONL
    )

    assert_error(response, 403, "forbidden", "admin")
    assert redis_client.dbsize() == size


def test_hundred_thousand_rows(api: TestClient, admin: Headers, redis_client: redis.Redis) -> None:
    consent = json.dumps(CONSENT)
    # Built as text: 100,000 json.dumps calls would be most of this test's time.
    lines = [
        f'{{"telegram_chat_id": {1_000_000 + n}, "email": "m{n}@example.org", '
        f'"topics": ["outages"], "consent": {consent}}}'
        for n in range(defaults.IMPORT_MAX_ROWS)
    ]

    response = api.post(
        "/v1/members/import", content="\n".join(lines).encode(), headers=admin | JSONL
    )

    assert response.status_code == 200, response.text
    report = response.json()
    rows = report.pop("members")
    assert report == {
        "created": 100_000, "updated": 0, "failed": 0, "errors": [], "errors_truncated": False,
    }  # fmt: skip
    assert [r["row"] for r in rows] == list(range(1, 100_001))
    assert all(r["created"] for r in rows)
    assert len({r["id"] for r in rows}) == 100_000
    store = MemberStore(redis_client)
    assert store.count_subscribers("demo-bkk", "email", "outages") == 100_000
    assert store.count_subscribers("demo-bkk", "telegram", "outages") == 100_000
    last = store.find("demo-bkk", "email", "m99999@example.org")
    assert last is not None
    assert last.telegram_chat_id == 1_099_999


@pytest.mark.timeout(30)
def test_implausible_consent_dates_are_row_errors(api: TestClient, admin: Headers) -> None:
    # Issue 10.1: before, one such row hung the import (and its API worker) for good.
    body = (
        CSV_HEADER
        + "a@example.org,,,,,0026-11-01T10:00:00Z,import\n"
        + "b@example.org,,,,,2026-11-01T10:00:00Z,import\n"
    )
    rows = jsonl(
        member_body(
            email="c@example.org", consent={"given_at": "1900-01-01T00:00:00Z", "source": "import"}
        )
    )
    csv_report = api.post("/v1/members/import", content=body.encode(), headers=admin | CSV)
    jsonl_report = api.post("/v1/members/import", content=rows, headers=admin | JSONL)
    assert csv_report.status_code == jsonl_report.status_code == 200, csv_report.text
    assert csv_report.json()["created"] == 1
    [csv_error] = csv_report.json()["errors"]
    assert (csv_error["row"], csv_error["field"]) == (2, "consent_given_at")
    [jsonl_error] = jsonl_report.json()["errors"]
    assert (jsonl_error["row"], jsonl_error["field"]) == (1, "consent.given_at")
    assert "2000-01-01" in jsonl_error["message"]


# Issue 10.4: inputs that got a 500, or an answer repeating megabytes of the input.


def test_a_csv_cell_over_the_csv_limit_is_refused_naming_its_row(
    api: TestClient, admin: Headers, redis_client: redis.Redis
) -> None:
    body = CSV_HEADER + "a@example.org,,,,,2026-11-01T10:00:00Z,import\n" + "x" * 200_000 + "\n"
    response = api.post("/v1/members/import", content=body.encode(), headers=admin | CSV)
    assert_error(response, 422, "invalid_input", "row 3", "cannot read the CSV")
    assert not redis_client.keys("*:m:*")


def test_a_ten_megabyte_header_line_is_refused(api: TestClient, admin: Headers) -> None:
    body = "email" + "y" * 10_000_000 + "\n" + "a@example.org\n"
    response = api.post("/v1/members/import", content=body.encode(), headers=admin | CSV)
    error = assert_error(response, 422, "invalid_input", "header")
    assert len(response.content) < 2_000, error


def test_an_unknown_field_name_is_not_echoed_back_whole(api: TestClient, admin: Headers) -> None:
    row = json.dumps(member_body() | {"z" * 5_000_000: 1})
    response = api.post("/v1/members/import", content=row.encode(), headers=admin | JSONL)
    assert response.status_code == 200, response.text[:500]
    [error] = response.json()["errors"]
    assert error["message"] == "unknown field"
    assert error["field"].startswith("zzz")
    assert len(error["field"]) <= defaults.ERROR_EXCERPT_CHARACTERS
    assert len(response.content) < 2_000


def test_numbers_not_taken_for_sms_are_row_errors(api: TestClient, admin: Headers) -> None:
    # Issue 10.9: the import reports them by row and keeps the other rows.
    body = (
        CSV_HEADER
        + "a@example.org,+49 900 1234567,,,,2026-11-01T10:00:00Z,import\n"
        + "b@example.org,+4915112345678,,,,2026-11-01T10:00:00Z,import\n"
    )
    report = api.post("/v1/members/import", content=body.encode(), headers=admin | CSV).json()
    assert report["created"] == 1
    [error] = report["errors"]
    assert (error["row"], error["field"]) == (2, "phone")
    assert "premium-rate" in error["message"]
