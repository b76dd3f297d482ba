"""Telegram's HTML subset cut into messages: every part well-formed and within the limit.

Used by the Telegram provider for notices and by the bot for its own answers.
"""

from __future__ import annotations

import re

MAX_MESSAGE_UNITS = 4096
"""Telegram's limit of one message's text, in UTF-16 code units."""

_ATOM = re.compile(
    r"(?P<tag><[^>]*>)|(?P<entity>&#?[0-9A-Za-z]+;)"
    r"|(?P<para>[ \t]*\n(?:[ \t]*\n)+[ \t]*)|(?P<line>[ \t]*\n[ \t]*)|(?P<word>[ \t]+)|(?P<char>.)",
    re.DOTALL,
)
_BREAK = {"para": 3, "line": 2, "word": 1}
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")
_EMPTY = re.compile(r"<([A-Za-z][\w-]*)(?:\s[^>]*)?></\1\s*>")


def split_html(text: str, limit: int) -> list[str]:
    """Cut Telegram HTML into parts of at most ``limit`` UTF-16 units, each well-formed.

    Cuts at a paragraph break if one lies in the second half of a part, else at a line
    break, else between words, else between characters; never inside a tag or an entity.
    Tags open at a cut are closed at the end of the part and reopened in the next one.
    Raises ValueError when a single tag (with its enclosing tags) cannot fit.
    """
    if _units(text) <= limit:
        return [text]
    while (shorter := _EMPTY.sub("", text)) != text:
        text = shorter  # empty elements show nothing, but would cost room in every part
    atoms = [(m.group(), m.lastgroup or "char") for m in _ATOM.finditer(text)]
    # After the last visible character only tags and spaces remain; once a cut lies past it,
    # the rest shows nothing (the previous part already closed the open tags).
    last = max((i for i, (_, kind) in enumerate(atoms) if kind in ("char", "entity")), default=-1)
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # open tags: (name, opening tag as written)
    start = 0
    while start <= last:
        end, resume, stack_at_end = _fill(atoms, start, stack, limit)
        body = "".join(atom for atom, _ in atoms[start:end])
        opened = "".join(tag for _, tag in stack)
        closed = "".join(f"</{name}>" for name, _ in reversed(stack_at_end))
        parts.append(opened + body + closed)
        start, stack = resume, stack_at_end
        while start <= last and stack and _apply(stack, atoms[start][0]) == stack[:-1]:
            start, stack = start + 1, stack[:-1]  # closed at the end of the part just made
    return parts


def _fill(
    atoms: list[tuple[str, str]], start: int, stack: list[tuple[str, str]], limit: int
) -> tuple[int, int, list[tuple[str, str]]]:
    """Where the part from ``start`` ends: (end, where the next part starts, open tags)."""
    used = sum(_units(tag) for _, tag in stack)
    current = list(stack)
    best: tuple[tuple[int, int], int, list[tuple[str, str]]] | None = None
    content = False
    index = start
    while index < len(atoms):
        atom, kind = atoms[index]
        after = _apply(current, atom) if kind == "tag" else current
        closing = sum(len(name) + 3 for name, _ in after)
        if used + _units(atom) + closing > limit:
            break
        if kind in _BREAK and content:
            rank = (_BREAK[kind] if 2 * used >= limit else 0, index)
            if best is None or rank >= best[0]:
                best = (rank, index, list(current))
        used += _units(atom)
        current = after
        content = content or kind != "tag"
        index += 1
    if index == len(atoms):
        return index, index, current
    if best is not None:
        return best[1], best[1] + 1, best[2]  # the whitespace at the cut is dropped
    if not content:
        raise ValueError(f"an HTML tag does not fit into {limit} characters with its text")
    return index, index, current


def _apply(stack: list[tuple[str, str]], tag: str) -> list[tuple[str, str]]:
    """The open tags after ``tag``."""
    match = _TAG.match(tag)
    if match is None:
        return stack
    closing, name = match.group(1) == "/", match.group(2).lower()
    if not closing:
        return [*stack, (name, tag)]
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            return stack[:depth] + stack[depth + 1 :]
    return stack


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    if text.isascii():
        return len(text)
    # The codec counts in C: a Python loop over a 1,000-character message cost 0.1 ms.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
