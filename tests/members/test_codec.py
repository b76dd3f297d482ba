"""The compact member hash: every value encodes, and decodes to what was encoded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lifeline.members import MemberData
from lifeline.members.codec import decode, encode


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(26, 11, 1, 10, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2026, 11, 1, 10, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_any_time_encodes_and_comes_back(when: datetime) -> None:
    # Issue 10.1: a time before 1970 looped forever in the base-36 encoder.
    data = MemberData(
        language="de", topics=("outages",), email="a@example.org",
        consent_given_at=when, consent_source="import",
    )  # fmt: skip
    fields = {k: v for k, v in encode(data, now=when.timestamp()).items() if v is not None}
    fields["a"] = fields.pop("now")
    member = decode(7, fields)
    assert member.consent_given_at == when
    assert member.created_at == when
