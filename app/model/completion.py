"""Completion replies, filtering and the offsets between Qt and the protocol (Qt-free).

Jupyter counts ``cursor_pos``, ``cursor_start`` and ``cursor_end`` in Unicode code points;
Qt counts text positions in UTF-16 code units. The two differ after any character outside
the Basic Multilingual Plane (an emoji, say), so every offset that crosses the boundary
goes through :func:`to_code_points` / :func:`to_utf16`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Completion:
    """One match: the text that replaces the completed range, and what the kernel says it is."""

    text: str
    type: str = ""
    signature: str = ""


@dataclass(frozen=True)
class CompletionSet:
    """A kernel's answer for one request: matches and the range they replace.

    ``start`` and ``end`` are code-point offsets in the code that was sent.
    """

    start: int
    end: int
    items: tuple[Completion, ...]

    def typed(self, code: str, cursor: int) -> str:
        """What the user has typed of the completed word (from ``start`` to ``cursor``)."""
        return code[self.start:cursor] if self.start <= cursor else ""

    def matching(self, typed: str) -> tuple[Completion, ...]:
        """Items that still fit ``typed``: prefix matches first, then other case-insensitive ones."""
        if not typed:
            return self.items
        exact = tuple(item for item in self.items if item.text.startswith(typed))
        folded = typed.casefold()
        loose = tuple(
            item for item in self.items
            if not item.text.startswith(typed) and item.text.casefold().startswith(folded)
        )
        return exact + loose


def parse_complete_reply(content: Mapping[str, Any], cursor: int) -> CompletionSet | None:
    """The matches of a ``complete_reply``; None if the kernel reported an error.

    Types come from ``metadata._jupyter_types_experimental`` (IPython) when its items agree
    with the reply's range; matches without a type keep an empty one.
    """
    if content.get("status", "ok") != "ok":
        return None
    matches = [m for m in content.get("matches") or () if isinstance(m, str)]
    start = _offset(content.get("cursor_start"), cursor)
    end = _offset(content.get("cursor_end"), cursor)
    start, end = min(start, cursor), max(end, cursor)
    described = _typed_matches(content.get("metadata") or {}, start, end)
    items: list[Completion] = []
    seen: set[str] = set()
    for text in matches:
        if text in seen:
            continue
        seen.add(text)
        info = described.get(text, {})
        items.append(Completion(text, str(info.get("type") or ""), str(info.get("signature") or "")))
    for text, info in described.items():  # typed items the plain list left out
        if text not in seen:
            seen.add(text)
            items.append(Completion(text, str(info.get("type") or ""), str(info.get("signature") or "")))
    return CompletionSet(start, end, tuple(items))


def common_prefix(texts: Iterable[str]) -> str:
    """The longest string every text starts with."""
    texts = list(texts)
    if not texts:
        return ""
    first, last = min(texts), max(texts)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def to_code_points(text: str, utf16_offset: int) -> int:
    """The code-point offset in ``text`` of a UTF-16 offset (as Qt counts)."""
    units = 0
    for index, char in enumerate(text):
        if units >= utf16_offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def to_utf16(text: str, code_point_offset: int) -> int:
    """The UTF-16 offset (as Qt counts) of a code-point offset in ``text``."""
    prefix = text[:code_point_offset]
    return len(prefix) + sum(1 for char in prefix if ord(char) > 0xFFFF)


def _offset(value: Any, default: int) -> int:
    return value if isinstance(value, int) and value >= 0 else default


def _typed_matches(metadata: Mapping[str, Any], start: int, end: int) -> dict[str, Mapping[str, Any]]:
    items = metadata.get("_jupyter_types_experimental")
    if not isinstance(items, list):
        return {}
    described: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            continue
        # An item for another range would replace different text; keep its type only if
        # it covers the same range as the reply.
        if item.get("start", start) == start and item.get("end", end) == end:
            described.setdefault(item["text"], item)
    return described
