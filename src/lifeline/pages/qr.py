"""QR codes for letters and posters: the bot's link, the sign-up page and the status page,
as SVG (sharp at any print size) or PNG (for office programs), made with segno."""

from __future__ import annotations

import io
from typing import Literal

import segno

QrFormat = Literal["svg", "png"]
QR_FORMATS: tuple[QrFormat, ...] = ("svg", "png")
QrTarget = Literal["bot", "subscribe", "status"]
QR_TARGETS: tuple[QrTarget, ...] = ("bot", "subscribe", "status")

MEDIA_TYPES: dict[QrFormat, str] = {"svg": "image/svg+xml", "png": "image/png"}


def qr_image(url: str, fmt: QrFormat, *, title: str = "") -> bytes:
    """The QR code of ``url``; error correction M survives a crease or a smudge on paper."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=8, border=4, title=title or url, xmldecl=True)
    else:
        code.save(out, kind="png", scale=12, border=4)
    return out.getvalue()
