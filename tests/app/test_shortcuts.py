"""The shortcut table: keys spelled alike, and keys bound twice (no Qt in what is tested)."""
from __future__ import annotations

import pytest

from conch.app.shortcuts import SHORTCUTS, Conflict, conflicts, normalized_key, scopes_overlap


def defaults() -> dict[str, tuple[str, ...]]:
    return {s.action: s.keys for s in SHORTCUTS}


def test_the_default_table_has_no_conflicts() -> None:
    assert conflicts(defaults()) == []


SPELLINGS = ["Shift+Ctrl+T", "ctrl+shift+t", "Escape", "Page Down", "Ctrl+PgDown", "Delete", "Insert",
             "Meta+Alt+Ctrl+Shift+X", "Ctrl++", "Ctrl+,", "Ctrl+.", "Shift+Ctrl+.", "F2", "f2", "Return", "Space"]


@pytest.mark.parametrize("text", SPELLINGS)
def test_normalized_keys_are_qt_portable_text_lowercased(text: str) -> None:
    from PySide6.QtGui import QKeySequence

    portable = QKeySequence(text).toString(QKeySequence.SequenceFormat.PortableText)
    assert portable and normalized_key(text) == portable.lower()


def test_enter_backtab_and_chords_count_as_the_key_map_reads_them() -> None:
    assert normalized_key("Enter") == normalized_key("Return") == "return"
    assert normalized_key("Backtab") == normalized_key("Shift+Tab") == "shift+tab"
    assert normalized_key("Ctrl+K, Ctrl+C") == "ctrl+k" and normalized_key("") == ""


def test_scopes() -> None:
    assert scopes_overlap("editor", "editor") and scopes_overlap("window", "editor")
    assert scopes_overlap("editor", "window") and scopes_overlap("window", "window")
    assert not scopes_overlap("editor", "pager")


def test_a_key_bound_to_a_window_action_and_an_editor_action_conflicts() -> None:
    keys = defaults() | {"clear_transcript": ("Ctrl+L", "ctrl+shift+t")}
    assert conflicts(keys) == [Conflict("ctrl+shift+t", ("clear_transcript", "new_tab_same_kernel"))]  # as first spelt


def test_two_editor_actions_and_two_window_actions_conflict_in_table_order() -> None:
    keys = defaults() | {"quit": ("Ctrl+W",), "newline": ("Ctrl+Return", "Escape")}
    assert conflicts(keys) == [
        Conflict("Escape", ("newline", "dismiss")),
        Conflict("Ctrl+W", ("close_tab", "quit")),
    ]


def test_one_action_with_a_key_twice_and_unknown_actions_are_no_conflict() -> None:
    keys = defaults() | {"find": ("Ctrl+F", "ctrl+f"), "fly": ("Ctrl+F",)}
    assert conflicts(keys) == []


def test_three_actions_on_one_key() -> None:
    keys = defaults() | {"find": ("F2",), "complete": ("Tab", "F2")}
    (conflict,) = conflicts(keys)
    assert conflict.key == "F2" and conflict.actions == ("complete", "rename_tab", "find")
