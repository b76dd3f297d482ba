"""The words of signing up and leaving: the consent text the page shows (its version goes
into the consent history) and the messages that confirm, in the member's language."""

from __future__ import annotations

from lifeline.channels import Message
from lifeline.consents import consent_text_version
from lifeline.core.i18n import N_, gettext_for

CONSENT_TEXT = N_(
    "I agree that %(name)s sends me notices about disruptions of its services, and what to "
    "do instead, to the address above until I unsubscribe. Each email has a link to "
    "unsubscribe with one click; to an SMS I can reply STOP."
)
"""Shown above the sign-up button; a change of its words is a new consent version."""


def consent_text(tenant_name: str, language: str) -> tuple[str, str]:
    """The consent text as shown in a language, and its version."""
    text = gettext_for(language)(CONSENT_TEXT) % {"name": tenant_name}
    return text, consent_text_version(text)


def confirmation_mail(tenant_name: str, link: str, language: str) -> Message:
    """The mail with the link that confirms an email sign-up (double opt-in)."""
    _ = gettext_for(language)
    subject = _("Please confirm: notices from %(name)s") % {"name": tenant_name}
    text = "\n\n".join(
        [
            _("Someone, probably you, asked for notices from %(name)s at this address.")
            % {"name": tenant_name},
            _("To confirm, open this link and press the button on the page:"),
            link,
            _(
                "The link is valid for 48 hours. If you did not ask for this, ignore this "
                "mail: nothing will be sent to you."
            ),
        ]
    )
    return Message(text=text + "\n", subject=subject, language=language)


def code_sms(tenant_name: str, code: str, language: str) -> Message:
    """The SMS with the code that confirms an SMS sign-up."""
    _ = gettext_for(language)
    text = _("%(code)s is your code for notices from %(name)s. Not you? Ignore this SMS.")
    return Message(text=text % {"code": code, "name": tenant_name}, language=language)


def stopped_sms(tenant_name: str, language: str) -> Message:
    """The one answer to an SMS STOP."""
    _ = gettext_for(language)
    text = _("You will get no more SMS from %(name)s. Reply START to get them again.")
    return Message(text=text % {"name": tenant_name}, language=language)


def started_sms(tenant_name: str, language: str) -> Message:
    """The one answer to an SMS START."""
    _ = gettext_for(language)
    text = _("You will get SMS notices from %(name)s again. Reply STOP to end them.")
    return Message(text=text % {"name": tenant_name}, language=language)
