"""Input history of one kernel session: Up/Down walks and incremental search (Qt-free)."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

log = logging.getLogger(__name__)

MAX_INPUT: Final = 2_000_000
"""Characters the input editor takes: more would cost seconds to insert and hundreds of
megabytes in Qt's document (20 MB: 3.5 million lines)."""
MAX_INPUT_LINE: Final = 100_000
"""The longest line the input editor takes: Qt lays out a line in one go (~0.3 µs a
character, in the GUI thread), so a longer one would stall the window."""
MAX_TOTAL: Final = 50_000_000
"""Characters the history keeps in all; the oldest entries go first."""


def input_refusal(code: str) -> str | None:
    """Why ``code`` is too big for the input editor, or None if it fits."""
    if len(code) > MAX_INPUT:
        return f"{_size(len(code))} is more than the editor takes ({_size(MAX_INPUT)})"
    if has_long_line(code, MAX_INPUT_LINE):
        longest = max(map(len, code.split("\n")))
        return f"a line of {longest:,} characters is longer than the editor takes ({MAX_INPUT_LINE:,})"
    return None


def has_long_line(text: str, limit: int) -> bool:
    """Whether a line of ``text`` is longer than ``limit`` characters. Looks for the last line
    break in each window of ``limit + 1`` characters, so a megabyte of short lines takes about
    ``len(text) / limit`` steps (splitting it into lines would take 20 ms)."""
    start = 0
    while len(text) - start > limit:
        newline = text.rfind("\n", start, start + limit + 1)
        if newline < 0:
            return True
        start = newline + 1
    return False


def _size(characters: int) -> str:
    return f"{characters / 1_000_000:.1f} MB" if characters >= 100_000 else f"{characters:,} characters"


class InputHistory:
    """The code a user ran in one kernel session, oldest first.

    Entries loaded from the kernel (``history_request``) go before the ones run here, so
    a late reply never buries what was just typed. Consecutive duplicates are kept once.
    The history belongs to the session, not to a kernel process: it survives restarts.
    Entries the editor could not take (:func:`input_refusal`) are not kept, and at most
    ``max_total`` characters are (the oldest entries go first), so memory stays bounded.
    """

    def __init__(self, limit: int = 10_000, max_total: int = MAX_TOTAL) -> None:
        self.limit = limit
        self.max_total = max_total
        self._loaded: list[str] = []
        self._local: list[str] = []
        self._entries: list[str] | None = None

    @property
    def entries(self) -> list[str]:
        """Every entry, oldest first (do not modify)."""
        if self._entries is None:
            self._entries = _bounded(_without_repeats([*self._loaded, *self._local]), self.limit, self.max_total)
        return self._entries

    def add(self, code: str) -> None:
        """Remember code that was run (blank input, an immediate repeat and code too big
        for the editor are skipped)."""
        code = code.rstrip("\n")
        if not code.strip() or (self._local and self._local[-1] == code) or not _fits(code):
            return
        self._local.append(code)
        self._entries = None
        self._local = _bounded(self._local, self.limit, self.max_total)

    def load(self, older: Iterable[str]) -> None:
        """Put entries from the kernel's own history before everything run in this session
        (entries that are not text are skipped)."""
        kept = [code.rstrip("\n") for code in older if isinstance(code, str) and code.strip() and _fits(code)]
        self._loaded = _bounded(kept, self.limit, self.max_total)
        self._entries = None

    def walk(self, draft: str, prefix: str = "") -> "HistoryWalk":
        """Start walking from the newest entry; ``draft`` is what the editor held."""
        return HistoryWalk(self.entries, draft, prefix)

    def search(self, query: str) -> "HistorySearch":
        """Start an incremental (Ctrl+R) search, newest first."""
        return HistorySearch(self.entries, query)


class HistoryWalk:
    """One Up/Down session: steps through entries that start with ``prefix``.

    Position ``len(entries)`` is the draft (what the user was typing before the walk).
    Entries equal to the one shown are skipped, so every step changes the text.
    """

    def __init__(self, entries: list[str], draft: str, prefix: str) -> None:
        self._entries = entries
        self.draft = draft
        self.prefix = prefix
        self.index = len(entries)

    @property
    def current(self) -> str:
        return self.draft if self.index >= len(self._entries) else self._entries[self.index]

    def older(self) -> str | None:
        """The previous matching entry, or None (and no move) at the oldest."""
        shown = self.current
        for i in range(self.index - 1, -1, -1):
            entry = self._entries[i]
            if entry.startswith(self.prefix) and entry != shown:
                self.index = i
                return entry
        return None

    def newer(self) -> str | None:
        """The next matching entry, the draft after the newest, or None at the draft."""
        if self.index >= len(self._entries):
            return None
        shown = self.current
        for i in range(self.index + 1, len(self._entries)):
            entry = self._entries[i]
            if entry.startswith(self.prefix) and entry != shown:
                self.index = i
                return entry
        self.index = len(self._entries)
        return self.draft


class HistorySearch:
    """An incremental reverse search: the newest entry containing the query, then older ones."""

    def __init__(self, entries: list[str], query: str = "") -> None:
        self._entries = entries
        self.query = query
        self.index: int | None = None
        self.set_query(query)

    @property
    def match(self) -> str | None:
        return None if self.index is None else self._entries[self.index]

    def set_query(self, query: str) -> str | None:
        """Change the query; the current match stays if it still contains it."""
        self.query = query
        start = len(self._entries) - 1 if self.index is None else self.index
        if not query:
            self.index = None
            return None
        self.index = self._find(query, start)
        return self.match

    def older(self) -> str | None:
        """The next older entry containing the query; the current match stays if there is none."""
        if not self.query:
            return self.match
        start = len(self._entries) - 1 if self.index is None else self.index - 1
        found = self._find(self.query, start)
        if found is not None:
            self.index = found
            return self.match
        return None

    def _find(self, query: str, start: int) -> int | None:
        shown = self.match
        for i in range(start, -1, -1):
            entry = self._entries[i]
            if query in entry and (entry != shown or i == self.index):
                return i
        return None


def _bounded(entries: list[str], limit: int, max_total: int) -> list[str]:
    """The newest of ``entries``: at most ``limit`` of them, ``max_total`` characters in all."""
    entries = entries[-limit:]
    total = 0
    for first in range(len(entries) - 1, -1, -1):
        total += len(entries[first])
        if total > max_total:
            return entries[first + 1:]
    return entries


def _fits(code: str) -> bool:
    refusal = input_refusal(code)
    if refusal is not None:
        log.info("not kept in the input history: %s", refusal)
    return refusal is None


def _without_repeats(entries: list[str]) -> list[str]:
    result: list[str] = []
    for entry in entries:
        if not result or result[-1] != entry:
            result.append(entry)
    return result
