"""Rendering notices per channel and language, previews and the SMS length rule."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lifeline import messages
from lifeline.channels.base import UNSUBSCRIBE_MARK
from lifeline.channels.smstext import segments
from lifeline.config import TenantConfig, settings_from_dict
from lifeline.core.errors import ConfigError, InvalidInput
from lifeline.core.locales import locales_dir
from lifeline.core.vocabulary import ChannelKind
from lifeline.messages.checks import template_problems
from lifeline.notices import Notice
from lifeline.notices.services import known_services, services_for

KINDS: tuple[ChannelKind, ...] = ("telegram", "email", "sms")
HEADLINE_DE = "Störung: Online-Filiale und eAU-Übermittlung nicht verfügbar"
HEADLINE_EN = "Outage: online branch and sick note transfer unavailable"


def make_tenant(**overrides: Any) -> TenantConfig:
    raw: dict[str, Any] = {
        "id": "demo-bkk",
        "name": "Demo BKK",
        "hotline": "+49 30 1234567",
        "website": "https://status.example.org",
    }
    raw.update(overrides)
    return settings_from_dict({"tenants": [raw]}, env={}).tenants[0]


def http_sms(max_segments: int) -> dict[str, Any]:
    return {
        "sms": {
            "provider": "http",
            "url": "http://127.0.0.1:9/send",
            "token": "t",
            "sender": "DemoBKK",
            "max_segments": max_segments,
        }
    }


def make_notice(**overrides: Any) -> Notice:
    fields: dict[str, Any] = {
        "id": 7,
        "tenant_id": "demo-bkk",
        "severity": "major",
        "headline": {"de": HEADLINE_DE, "en": HEADLINE_EN},
        "body": {
            "de": "Nach einem Angriff auf unseren IT-Dienstleister sind unsere Systeme gestört.",
            "en": "After an attack on our IT provider our systems are down.",
        },
        "services": ("portal", "eau"),
        "topics": ("outages",),
        "channels": ("telegram", "email", "sms"),
        "created_at": datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        "expires_at": datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
    }
    fields.update(overrides)
    return Notice(**fields)


# --- rendering per channel and language -----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("language", "headline", "word"),
    [("de", HEADLINE_DE, "Wichtig: "), ("en", HEADLINE_EN, "Important: ")],
)
def test_every_channel_renders_in_both_languages(
    kind: ChannelKind, language: str, headline: str, word: str
) -> None:
    message = messages.render(make_tenant(), make_notice(), kind, language)
    assert message.language == language
    assert word + headline in message.text
    assert "+49 30 1234567" in message.text
    assert (message.subject is not None) is (kind == "email")
    assert (message.html is not None) is (kind == "email")
    assert message.reply_to is None


def test_telegram_has_bold_headline_services_and_links() -> None:
    text = messages.render(make_tenant(), make_notice(), "telegram", "de").text
    assert text.startswith(f"<b>Wichtig: {HEADLINE_DE}</b>\n\n")
    assert "• <b>Online-Geschäftsstelle</b>: " in text
    assert "Muster 1" in text
    assert '<a href="https://status.example.org">' in text


def test_email_has_subject_text_and_html_with_footer() -> None:
    message = messages.render(make_tenant(), make_notice(), "email", "en")
    assert message.subject == f"Important: {HEADLINE_EN}"
    assert "- Electronic sick note (eAU): Your doctor cannot send us" in message.text
    assert "subscribed to outage notices from Demo BKK" in message.text
    assert message.html is not None
    assert message.html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in message.html
    assert "subscribed to outage notices from Demo BKK" in message.html
    assert "<strong>Electronic sick note (eAU)</strong>" in message.html


def test_email_html_loads_nothing_from_outside() -> None:
    html = messages.render(make_tenant(), make_notice(), "email", "de").html
    assert html is not None
    for needle in ("<img", "<link", "<script", "src=", "url("):
        assert needle not in html


def test_sms_carries_what_to_do_instead_for_each_service_in_both_languages() -> None:
    advice = {
        "de": ["Online-Geschäftsstelle: Anträge und Unterlagen bitte per Post",
               "eAU: AU auf Papier beim Arzt holen, Kassenteil per Post"],
        "en": ["Online branch: send applications and documents by post",
               "eAU: get a paper note from your doctor, post us our part"],
    }  # fmt: skip
    for language, prefix in (("de", "Wichtig"), ("en", "Important")):
        text = messages.render(make_tenant(), make_notice(), "sms", language).text
        headline = HEADLINE_DE if language == "de" else HEADLINE_EN
        assert text.splitlines()[0] == f"{prefix}: {headline}"
        for line in advice[language]:
            assert line in text.splitlines()
        assert text.endswith("Demo BKK")
        assert "Muster 1" not in text  # the long advice is for the other channels


def test_a_long_body_is_dropped_before_the_advice_and_preview_says_so() -> None:
    long_body = {"de": "Wir arbeiten daran. " * 30, "en": "We are working on it. " * 30}
    services = ("app", "portal", "phone", "eau")
    notice = make_notice(severity="critical", body=long_body, services=services)
    result = messages.preview(make_tenant(), notice, ["sms"])["sms"]
    for language, entry in result.items():
        text = str(entry["text"])
        assert segments(text).encoding == "GSM-7"
        assert entry["segments"] in (1, 2, 3)  # the default max_segments
        assert "Wir arbeiten daran" not in text
        assert "We are working" not in text
        shorts = [s.short for s in services_for(make_tenant(), services, language)]
        assert [line.split(":")[0] for line in text.splitlines()[1:5]] == shorts
        assert entry["dropped"] == ["body"]


def test_short_body_and_advice_go_into_the_sms_when_they_fit() -> None:
    notice = make_notice(body={"de": "Bitte Papier-AU nutzen.", "en": "Use paper notes."})
    entry = messages.preview(make_tenant(), notice, ["sms"])["sms"]["de"]
    assert "Bitte Papier-AU nutzen." in str(entry["text"])
    assert "eAU: AU auf Papier beim Arzt holen, Kassenteil per Post" in str(entry["text"])
    assert entry["dropped"] == []
    assert entry["segments"] in (1, 2)  # the target: the body only goes when it fits there


def test_advice_goes_over_the_target_up_to_the_limit_but_the_body_does_not() -> None:
    notice = make_notice(services=("app", "portal", "phone", "eau", "krankengeld"))
    entry = messages.preview(make_tenant(), notice, ["sms"])["sms"]["de"]
    assert entry["segments"] == 3
    assert entry["dropped"] == ["body"]
    assert "Krankengeld: kommt evtl. später, Ihr Anspruch bleibt" in str(entry["text"])


def test_names_then_headline_only_when_the_advice_cannot_fit() -> None:
    two = make_tenant(channels=http_sms(max_segments=2))
    many = ("app", "portal", "phone", "eau", "krankengeld", "payments")
    entry = messages.preview(two, make_notice(services=many), ["sms"])["sms"]["de"]
    assert entry["dropped"] == ["body", "advice"]
    assert "Betroffen: App, Online-Geschäftsstelle, Telefon, eAU, Krankengeld" in str(entry["text"])
    one = make_tenant(channels=http_sms(max_segments=1))
    entry = messages.preview(one, make_notice(services=many), ["sms"])["sms"]["de"]
    assert entry["dropped"] == ["body", "advice", "services"]
    assert str(entry["text"]).splitlines()[1] == "Hotline: +49 30 1234567"


def test_sms_of_a_resolved_notice_names_what_is_back() -> None:
    notice = make_notice(stage="resolve")
    entry = messages.preview(make_tenant(), notice, ["sms"])["sms"]["en"]
    assert "Online branch, eAU." in str(entry["text"])
    assert "post us our part" not in str(entry["text"])
    assert entry["dropped"] == []


def test_sms_replaces_typographic_punctuation() -> None:
    notice = make_notice(headline={"de": "„eAU“ gestört – bitte Papier nutzen"})
    text = messages.render(make_tenant(), notice, "sms", "de").text
    assert '"eAU" gestört - bitte Papier nutzen' in text
    assert segments(text).encoding == "GSM-7"


def test_severity_shown_only_for_major_and_critical() -> None:
    tenant = make_tenant()
    for severity, prefix in (("minor", ""), ("major", "Important: "), ("critical", "Urgent: ")):
        message = messages.render(tenant, make_notice(severity=severity), "email", "en")
        assert message.subject == prefix + HEADLINE_EN


def test_contact_lines_left_out_when_tenant_has_none() -> None:
    tenant = make_tenant(hotline="", website=None)
    for kind in KINDS:
        text = messages.render(tenant, make_notice(), kind, "en").text
        assert "Hotline" not in text
        assert "http" not in text.replace(UNSUBSCRIBE_MARK, "")


def test_status_url_is_the_link_of_every_channel_and_each_email_has_its_unsubscribe() -> None:
    tenant = make_tenant(status_url="https://hilfe.example.org/t/demo-bkk")
    for kind in KINDS:
        message = messages.render(tenant, make_notice(), kind, "en")
        assert "https://hilfe.example.org/t/demo-bkk" in message.text
        assert "status.example.org" not in message.text  # the insurer's site may be down
        assert (UNSUBSCRIBE_MARK in message.text) == (kind == "email")
    html = messages.render(tenant, make_notice(), "email", "de").html or ""
    assert f'<a href="{UNSUBSCRIBE_MARK}"' in html
    assert "Abmelde-Funktion" not in html


def test_website_keeps_its_path_and_loses_only_a_bare_slash() -> None:
    bare = messages.render(make_tenant(), make_notice(), "sms", "en").text
    assert "Info: https://status.example.org\n" in bare
    tenant = make_tenant(website="https://example.org/status/")
    assert "https://example.org/status/" in messages.render(tenant, make_notice(), "sms", "en").text


def test_expiry_is_shown_in_german_time() -> None:
    winter = make_notice(expires_at=datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    summer = make_notice(expires_at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC))
    tenant = make_tenant()
    de = messages.render(tenant, winter, "telegram", "de").text
    assert "Diese Meldung gilt bis Dienstag, 1. Dezember 2026, 19:00 Uhr." in de
    en = messages.render(tenant, summer, "email", "en").text
    assert "This notice is valid until Wednesday 1 July 2026, 12:00 German time." in en


def test_no_expiry_line_without_expiry() -> None:
    text = messages.render(make_tenant(), make_notice(expires_at=None), "email", "de").text
    assert "gilt bis" not in text


def test_email_subject_is_one_line() -> None:
    notice = make_notice(headline={"en": "Outage\r\nBcc: someone@example.org"})
    subject = messages.render(make_tenant(), notice, "email", "en").subject
    assert subject == "Important: Outage Bcc: someone@example.org"


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="fax"):
        messages.render(make_tenant(), make_notice(), "fax", "de")  # type: ignore[arg-type]


# --- escaping ------------------------------------------------------------------------------

NASTY = '<script>alert("x")</script> AT&T'


def test_html_channels_escape_notice_text() -> None:
    notice = make_notice(headline={"en": NASTY}, body={"en": "a < b & c\nnext line"})
    message = messages.render(make_tenant(), notice, "telegram", "en")
    assert "<script>" not in message.text
    assert "&lt;script&gt;" in message.text
    assert "AT&amp;T" in message.text
    assert "a &lt; b &amp; c\nnext line" in message.text
    email = messages.render(make_tenant(), notice, "email", "en")
    assert email.html is not None
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; AT&amp;T" in email.html
    assert "a &lt; b &amp; c<br>\nnext line" in email.html


def test_text_channels_do_not_escape() -> None:
    notice = make_notice(headline={"en": NASTY}, body={"en": "a < b & c"})
    email = messages.render(make_tenant(), notice, "email", "en")
    assert email.subject == f"Important: {NASTY}"
    assert NASTY in email.text
    assert "a < b & c" in email.text
    assert NASTY in messages.render(make_tenant(), notice, "sms", "en").text


# --- language choice -----------------------------------------------------------------------


def test_member_language_missing_falls_back_to_tenant_default() -> None:
    notice = make_notice()
    message = messages.render(make_tenant(default_language="en"), notice, "email", "fr")
    assert message.language == "en"
    assert message.subject == f"Important: {HEADLINE_EN}"


def test_notice_without_member_language_uses_tenant_default() -> None:
    notice = make_notice(headline={"de": HEADLINE_DE}, body={"de": "Text"})
    message = messages.render(make_tenant(), notice, "telegram", "en")
    assert message.language == "de"
    assert HEADLINE_DE in message.text
    assert "Betroffen" in message.text


def test_notice_without_member_or_default_language_uses_what_it_has() -> None:
    notice = make_notice(headline={"en": HEADLINE_EN}, body={"en": "Text"})
    message = messages.render(make_tenant(default_language="de"), notice, "sms", "de")
    assert message.language == "en"
    assert HEADLINE_EN in message.text


def test_missing_body_in_chosen_language_renders_headline_only() -> None:
    notice = make_notice(body={"de": "Nur deutsch"})
    text = messages.render(make_tenant(), notice, "telegram", "en").text
    assert "Nur deutsch" not in text
    assert HEADLINE_EN in text


# --- tenant templates ------------------------------------------------------------------------


def test_tenant_template_overrides_one_file_of_one_language(tmp_path: Path) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "sms.txt.j2").write_text("EIGENE {{ notice.headline }} {{ tenant.name }}")
    tenant = make_tenant(templates_dir=str(tmp_path))
    assert messages.render(tenant, make_notice(), "sms", "de").text == (
        f"EIGENE {HEADLINE_DE} Demo BKK"
    )
    assert messages.render(tenant, make_notice(), "sms", "en").text.startswith("Important: ")
    assert "Betroffen" in messages.render(tenant, make_notice(), "telegram", "de").text


def test_tenant_html_template_is_autoescaped_and_can_use_built_in_wording(
    tmp_path: Path,
) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "telegram.html.j2").write_text(
        '{% import "en/_wording.j2" as w %}'
        "<b>{{ w.prefix[notice.stage][notice.severity] }}{{ notice.headline }}</b>"
    )
    tenant = make_tenant(templates_dir=str(tmp_path))
    text = messages.render(tenant, make_notice(headline={"en": "AT&T"}), "telegram", "en").text
    assert text == "<b>Important: AT&amp;T</b>"


def test_templates_dir_that_is_no_folder_is_a_config_error(tmp_path: Path) -> None:
    tenant = make_tenant(templates_dir=str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="templates_dir"):
        messages.render(tenant, make_notice(), "sms", "de")


# --- services ----------------------------------------------------------------------------------


def test_catalogue_has_the_same_services_in_every_language() -> None:
    by_language = {}
    for language in ("de", "en"):
        with (locales_dir() / language / "services.toml").open("rb") as fh:
            by_language[language] = tomllib.load(fh)
    assert by_language["de"].keys() == by_language["en"].keys()
    for entries in by_language.values():
        for entry in entries.values():
            assert entry["label"].strip()
            assert entry["instead"].strip()
            for key in ("sms", "sms_with_hotline"):
                if key in entry:  # short, and GSM-7 so that it keeps the SMS in 160 parts
                    assert 0 < len(entry[key]) <= 60, entry[key]
                    assert segments(entry[key]).encoding == "GSM-7", entry[key]


def test_known_services_cover_the_usual_outage() -> None:
    known = known_services()
    assert {"app", "portal", "email", "phone", "eau", "website", "post", "krankengeld"} <= known
    assert "warp-drive" not in known


def test_unknown_service_renders_as_its_key() -> None:
    notice = make_notice(services=("eau", "warp-drive"))
    text = messages.render(make_tenant(), notice, "telegram", "en").text
    assert "• <b>warp-drive</b>\n" in text
    assert "• <b>Electronic sick note (eAU)</b>: " in text


def test_phone_advice_names_the_hotline_when_there_is_one() -> None:
    notice = make_notice(services=("phone",))
    with_hotline = messages.render(make_tenant(), notice, "email", "de").text
    assert "In dringenden Fällen erreichen Sie uns unter +49 30 1234567." in with_hotline
    without = messages.render(make_tenant(hotline=""), notice, "email", "de").text
    assert "Telefon: Unsere üblichen Rufnummern sind derzeit nicht erreichbar. Bitte" in without


# --- stages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_update_reads_as_an_update(kind: ChannelKind) -> None:
    notice = make_notice(stage="update", severity="critical")
    text = messages.render(make_tenant(), notice, kind, "en").text
    assert f"Update (urgent): {HEADLINE_EN}" in text
    de = messages.render(make_tenant(), make_notice(stage="update", severity="minor"), kind, "de")
    assert f"Update: {HEADLINE_DE}" in de.text


@pytest.mark.parametrize("kind", KINDS)
def test_resolve_says_services_are_back(kind: ChannelKind) -> None:
    notice = make_notice(stage="resolve", severity="critical", body={"en": "", "de": ""})
    text = messages.render(make_tenant(), notice, kind, "en").text
    assert f"Resolved: {HEADLINE_EN}" in text
    assert "Urgent" not in text
    assert "what you can do instead" not in text
    assert "valid until" not in text
    if kind != "sms":
        assert "The outage is over. Services back: Online branch, Electronic sick note" in text


def test_resolve_in_german_without_services() -> None:
    notice = make_notice(stage="resolve", services=())
    message = messages.render(make_tenant(), notice, "email", "de")
    assert message.subject == f"Behoben: {HEADLINE_DE}"
    assert "Die Störung ist behoben, alle Dienste sind wieder verfügbar." in message.text


# --- preview and the SMS length rule ---------------------------------------------------------


def test_preview_renders_every_kind_in_every_language_of_the_notice() -> None:
    result = messages.preview(make_tenant(), make_notice(), KINDS)
    assert set(result) == set(KINDS)
    for per_language in result.values():
        assert set(per_language) == {"de", "en"}
    assert set(result["telegram"]["de"]) == {"text"}
    assert set(result["email"]["en"]) == {"subject", "text", "html"}
    sms = result["sms"]["de"]
    info = segments(str(sms["text"]))
    assert sms == {
        "text": sms["text"],
        "encoding": info.encoding,
        "characters": info.characters,
        "segments": info.segments,
        "dropped": ["body"],  # German is longer: with the body it would need three parts
    }
    assert sms["segments"] == 2
    assert "Nach einem Angriff" not in str(sms["text"])
    english = result["sms"]["en"]
    assert english["dropped"] == []
    assert "After an attack" in str(english["text"])


def test_preview_only_in_the_languages_the_notice_has() -> None:
    notice = make_notice(headline={"en": HEADLINE_EN}, body={"en": ""})
    assert set(messages.preview(make_tenant(), notice, ["sms"])["sms"]) == {"en"}


def test_preview_refuses_an_sms_over_the_tenant_limit() -> None:
    tenant = make_tenant(channels=http_sms(max_segments=1))
    notice = make_notice(headline={"de": HEADLINE_DE, "en": "Outage " * 20})
    with pytest.raises(InvalidInput, match=r"would need 2 parts.*at most 1") as caught:
        messages.preview(tenant, notice, ["telegram", "sms"])
    assert caught.value.field == "headline.en"


def test_body_is_dropped_from_sms_before_it_breaks_the_limit() -> None:
    tenant = make_tenant(channels=http_sms(max_segments=1))
    notice = make_notice(body={"de": "Längerer Text. " * 5, "en": "Longer text. " * 5})
    result = messages.preview(tenant, notice, ["sms"])
    assert result["sms"]["de"]["segments"] == 1
    assert "Längerer Text" not in str(result["sms"]["de"]["text"])


def test_ucs2_refusal_names_the_character() -> None:
    tenant = make_tenant(channels=http_sms(max_segments=1))
    notice = make_notice(headline={"de": "Störung der Online-Filiale, Señora á" + "x" * 30})
    with pytest.raises(InvalidInput, match="'á' is not in the GSM alphabet"):
        messages.check_sms_length(tenant, notice)


def test_check_sms_length_accepts_what_fits() -> None:
    messages.check_sms_length(make_tenant(channels=http_sms(max_segments=1)), make_notice())


def test_check_sms_length_uses_three_parts_without_a_limit_in_config() -> None:
    tenant = make_tenant(channels={"sms": {"provider": "outbox"}})
    three = make_notice(headline={"de": "x" * 350})
    messages.check_sms_length(tenant, three)
    with pytest.raises(InvalidInput, match="at most 3"):
        messages.check_sms_length(tenant, make_notice(headline={"de": "x" * 460}))


def test_check_sms_length_ignores_notices_not_sent_by_sms() -> None:
    tenant = make_tenant(channels=http_sms(max_segments=1))
    notice = make_notice(headline={"de": "x" * 400}, channels=("telegram", "email"))
    messages.check_sms_length(tenant, notice)
    with pytest.raises(InvalidInput):
        messages.check_sms_length(tenant, dataclasses.replace(notice, channels=("sms",)))


def test_refusal_blames_the_body_when_the_tenant_template_always_sends_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "sms.txt.j2").write_text("{{ notice.headline }}\n{{ notice.body }}")
    tenant = make_tenant(templates_dir=str(tmp_path), channels=http_sms(max_segments=1))
    notice = make_notice(body={"de": "Sehr langer Text. " * 12})
    with pytest.raises(InvalidInput) as caught:
        messages.check_sms_length(tenant, notice)
    assert caught.value.field == "body.de"


# --- where the built-in templates are -----------------------------------------------------


def test_locales_dir_holds_every_template_in_both_languages() -> None:
    folder = locales_dir()
    names = ["telegram.html.j2", "email_subject.txt.j2", "email.txt.j2", "email.html.j2"]
    for language in ("de", "en"):
        for name in [*names, "sms.txt.j2", "_wording.j2"]:
            assert (folder / language / "templates" / name).is_file()


def test_a_tenant_template_cannot_reach_python(tmp_path: Path) -> None:
    # Threat: template injection. Tenant templates are config, not code: the sandbox stops
    # them at Python's internals, and the start refuses such a file (docs/security.md).
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "sms.txt.j2").write_text("{{ ().__class__.__base__.__subclasses__() }}\n")
    tenant = make_tenant(templates_dir=str(tmp_path))
    with pytest.raises(InvalidInput, match=r"sms\.txt\.j2:1.*SecurityError"):
        messages.render(tenant, make_notice(), "sms", "en")
    problems = template_problems(tenant)
    assert problems
    assert all("SecurityError" in p for p in problems)
