"""Personal data as it may appear in logs and in the reasons a delivery failed."""

from __future__ import annotations


def mask_email(address: str) -> str:
    """``erika.mustermann@example.org`` → ``er***@example.org``."""
    local, at, domain = address.rpartition("@")
    return f"{local[:2]}***@{domain}" if at else "***"


def mask_phone(number: str) -> str:
    """``+4915112345678`` → ``+49151****78``: enough to tell numbers apart, not to dial."""
    return number[:6] + "****" + number[-2:] if len(number) > 8 else "****"


def mask_address(kind: str, address: str) -> str:
    """Any channel's address, masked as its kind's (a Telegram chat id is shown as is)."""
    if kind == "email":
        return mask_email(address)
    if kind == "sms":
        return mask_phone(address)
    return address
