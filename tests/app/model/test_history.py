"""Input history: adding, loading, prefix walks and incremental search (no Qt)."""
from __future__ import annotations

from conch.app.model.history import InputHistory


def make(*entries: str) -> InputHistory:
    history = InputHistory()
    for entry in entries:
        history.add(entry)
    return history


def test_blank_input_and_immediate_repeats_are_not_kept() -> None:
    history = make("a = 1", "", "   ", "a = 1", "b = 2\n", "a = 1")
    assert history.entries == ["a = 1", "b = 2", "a = 1"]


def test_loaded_entries_go_before_local_ones_even_when_they_arrive_late() -> None:
    history = make("local 1", "local 2")
    history.load(["old 1", "old 2\n", ""])
    assert history.entries == ["old 1", "old 2", "local 1", "local 2"]


def test_limit_keeps_the_newest() -> None:
    history = InputHistory(limit=3)
    for i in range(5):
        history.add(f"x = {i}")
    assert history.entries == ["x = 2", "x = 3", "x = 4"]


def test_walk_goes_back_and_forth_and_returns_the_draft() -> None:
    walk = make("a", "b", "c").walk("draft")
    assert [walk.older(), walk.older(), walk.older(), walk.older()] == ["c", "b", "a", None]
    assert walk.current == "a"
    assert [walk.newer(), walk.newer(), walk.newer(), walk.newer()] == ["b", "c", "draft", None]


def test_walk_with_prefix_skips_other_entries_and_repeats_of_the_shown_text() -> None:
    walk = make("import os", "x = 1", "import sys", "import os", "y").walk("imp", prefix="imp")
    assert walk.older() == "import os"
    assert walk.older() == "import sys"
    assert walk.older() == "import os"
    assert walk.older() is None
    assert walk.newer() == "import sys"


def test_search_finds_newest_first_then_older_and_keeps_a_still_valid_match() -> None:
    search = make("print(1)", "x = 2", "print(3)", "y = 4").search("")
    assert search.match is None
    assert search.set_query("pr") == "print(3)"
    assert search.set_query("print(") == "print(3)"  # still contains the longer query
    assert search.older() == "print(1)"
    assert search.older() is None and search.match == "print(1)"
    assert search.set_query("print(1") == "print(1)"
    assert search.set_query("zzz") is None


def test_search_skips_duplicates_of_the_current_match() -> None:
    search = make("ls -l", "pwd", "ls -l", "cd /").search("ls")
    assert search.match == "ls -l"
    assert search.older() is None  # the only other hit is the same text
