"""Subscribers cut into batches straight from their bitmap, each batch in a compact form.

A planned batch job carries its members as ``MemberIds``: either a list of ids, or — where
the members are dense, as subscribers usually are — the slice of the subscriber bitmap that
holds them, packed with the tenant number (``pack``): 500 members of a dense bitmap are ~70
bytes in the queued job instead of ~2,600 pickled ints, and the planner never makes a
Python int per member (it cuts the bitmap at popcount boundaries). ``member_ids`` turns
either form back into the ids, in ascending order.
"""

from __future__ import annotations

import bisect
import itertools
import struct
from collections.abc import Iterator
from typing import cast

import redis

from lifeline.members.keys import TENANT_SLOTS

MemberIds = list[int] | bytes
"""The members of one batch job: their ids, or a packed bitmap slice (``pack``)."""

_HEADER = struct.Struct(">BHI")
"""Form (1), tenant number, index of the slice's first byte in the bitmap."""

_BITMAP_FORM = 1

_POPCOUNT = bytes(bin(byte).count("1") for byte in range(256))
"""Set bits of each byte value, for ``bytes.translate``."""

LIST_ABOVE_BYTES_PER_MEMBER = 5
"""A slice with more bytes than this per member (a sparse bitmap) goes as a list of ids."""


def pack(tenant_number: int, first_byte: int, bitmap: bytes) -> bytes:
    """A batch as the slice ``bitmap`` of a subscriber bitmap that starts at ``first_byte``."""
    return _HEADER.pack(_BITMAP_FORM, tenant_number, first_byte) + bitmap


def member_ids(batch: MemberIds) -> list[int]:
    """The ids of a batch in either form."""
    if not isinstance(batch, bytes):
        return list(batch)
    form, tenant_number, first_byte = _HEADER.unpack_from(batch)
    if form != _BITMAP_FORM:
        raise ValueError(f"unknown batch form {form}")
    ids = []
    for index, byte in enumerate(batch[_HEADER.size :], start=first_byte):
        if byte:
            for bit in range(8):
                if byte & (0x80 >> bit):
                    ids.append((index * 8 + bit) * TENANT_SLOTS + tenant_number)
    return ids


def cut(bitmap: bytes, tenant_number: int, size: int) -> Iterator[tuple[int, MemberIds]]:
    """The members of a subscriber bitmap in batches of ``size`` (the last one smaller),
    in ascending order: (how many, the batch)."""
    cumulative = list(itertools.accumulate(bitmap.translate(_POPCOUNT)))
    total = cumulative[-1] if cumulative else 0
    taken = 0
    while taken < total:
        want = min(taken + size, total)
        start = bisect.bisect_right(cumulative, taken)  # first byte with a member not taken
        end = bisect.bisect_left(cumulative, want)  # the byte that holds the last one
        piece = bytearray(bitmap[start : end + 1])
        # The first byte may have given members to the batch before, the last one may keep
        # some for the next.
        piece[0] = _drop_first(piece[0], taken - (cumulative[start - 1] if start else 0))
        piece[-1] = _keep_first(piece[-1], _POPCOUNT[piece[-1]] - (cumulative[end] - want))
        count = want - taken
        batch = pack(tenant_number, start, bytes(piece))
        if len(piece) > LIST_ABOVE_BYTES_PER_MEMBER * count:
            yield count, member_ids(batch)
        else:
            yield count, batch
        taken = want


def _keep_first(byte: int, keep: int) -> int:
    """``byte`` with only its first ``keep`` set bits (from the high end)."""
    out = 0
    for bit in range(8):
        mask = 0x80 >> bit
        if byte & mask and keep > 0:
            out |= mask
            keep -= 1
    return out


def _drop_first(byte: int, drop: int) -> int:
    """``byte`` without its first ``drop`` set bits (from the high end)."""
    return byte ^ _keep_first(byte, drop)


def walk(client: redis.Redis, key: str, tenant_number: int, chunk: int) -> Iterator[int]:
    """The member ids of a subscriber bitmap, one by one."""
    start = 0
    for data in read(client, key, chunk):
        for index, byte in enumerate(data):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield ((start + index) * 8 + bit) * TENANT_SLOTS + tenant_number
        start += chunk


def read(client: redis.Redis, key: str, chunk: int) -> Iterator[bytes]:
    """A bitmap in pieces of ``chunk`` bytes (a million members are 125 kB)."""
    start = 0
    while True:
        # Bitmaps are not UTF-8: read raw through the store's own (decoding) client.
        data = cast(
            bytes,
            client.execute_command(  # type: ignore[no-untyped-call]  # unannotated in redis-py
                "GETRANGE", key, start, start + chunk - 1, NEVER_DECODE=[]
            ),
        )
        if not data:
            return
        yield data
        start += chunk
