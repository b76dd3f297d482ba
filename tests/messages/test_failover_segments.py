"""With several SMS providers any of them may send a text, so it fits the strictest."""

from __future__ import annotations

from lifeline import messages
from tests.messages.test_templates import http_sms, make_notice, make_tenant

MANY = ("app", "portal", "phone", "eau", "krankengeld", "payments")


def test_an_sms_fits_the_smallest_max_segments_of_the_chain() -> None:
    roomy, tight = http_sms(max_segments=3)["sms"], http_sms(max_segments=1)["sms"]
    alone = make_tenant(channels={"sms": roomy})
    chained = make_tenant(channels={"sms": [roomy, tight]})

    wide = messages.preview(alone, make_notice(services=MANY), ["sms"])["sms"]["de"]
    narrow = messages.preview(chained, make_notice(services=MANY), ["sms"])["sms"]["de"]

    assert isinstance(wide["segments"], int)
    assert wide["segments"] > 1
    assert narrow["segments"] == 1
    assert narrow["dropped"] == ["body", "advice", "services"]
