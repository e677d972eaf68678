"""Input history of one kernel session: Up/Down walks and incremental search (Qt-free)."""
from __future__ import annotations

from collections.abc import Iterable


class InputHistory:
    """The code a user ran in one kernel session, oldest first.

    Entries loaded from the kernel (``history_request``) go before the ones run here, so
    a late reply never buries what was just typed. Consecutive duplicates are kept once.
    The history belongs to the session, not to a kernel process: it survives restarts.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._loaded: list[str] = []
        self._local: list[str] = []
        self._entries: list[str] | None = None

    @property
    def entries(self) -> list[str]:
        """Every entry, oldest first (do not modify)."""
        if self._entries is None:
            merged = _without_repeats([*self._loaded, *self._local])
            self._entries = merged[-self.limit:]
        return self._entries

    def add(self, code: str) -> None:
        """Remember code that was run (blank input and an immediate repeat are skipped)."""
        code = code.rstrip("\n")
        if not code.strip() or (self._local and self._local[-1] == code):
            return
        self._local.append(code)
        self._entries = None

    def load(self, older: Iterable[str]) -> None:
        """Put entries from the kernel's own history before everything run in this session."""
        self._loaded = [code.rstrip("\n") for code in older if code.strip()]
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


def _without_repeats(entries: list[str]) -> list[str]:
    result: list[str] = []
    for entry in entries:
        if not result or result[-1] != entry:
            result.append(entry)
    return result
