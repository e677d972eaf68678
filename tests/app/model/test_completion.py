"""Completion replies, filtering and offsets (no Qt)."""
from __future__ import annotations

from conch.app.model.completion import (
    Completion,
    common_prefix,
    parse_complete_reply,
    to_code_points,
    to_utf16,
)


def test_ipython_reply_with_types() -> None:
    content = {
        "status": "ok", "matches": ["opcode", "operator", "os"], "cursor_start": 7, "cursor_end": 8,
        "metadata": {"_jupyter_types_experimental": [
            {"start": 7, "end": 8, "text": "opcode", "type": "module", "signature": ""},
            {"start": 7, "end": 8, "text": "os", "type": "module", "signature": ""},
            {"start": 7, "end": 8, "text": "operator", "type": "module", "signature": ""},
        ]},
    }
    result = parse_complete_reply(content, cursor=8)
    assert result is not None and (result.start, result.end) == (7, 8)
    assert [c.text for c in result.items] == ["opcode", "operator", "os"]
    assert {c.type for c in result.items} == {"module"}
    assert result.typed("import o", 8) == "o"


def test_types_for_another_range_are_not_trusted_and_errors_give_none() -> None:
    content = {
        "matches": ["abc"], "cursor_start": 0, "cursor_end": 2,
        "metadata": {"_jupyter_types_experimental": [{"start": 1, "end": 2, "text": "abc", "type": "function"}]},
    }
    result = parse_complete_reply(content, cursor=2)
    assert result is not None and result.items == (Completion("abc"),)
    assert parse_complete_reply({"status": "error"}, cursor=0) is None


def test_missing_range_defaults_to_the_cursor() -> None:
    result = parse_complete_reply({"matches": ["echo"]}, cursor=3)
    assert result is not None and (result.start, result.end) == (3, 3)


def test_matching_puts_exact_prefixes_before_case_insensitive_ones() -> None:
    result = parse_complete_reply(
        {"matches": ["Path", "pathlib", "print", "PATH_MAX"], "cursor_start": 0, "cursor_end": 2}, cursor=2
    )
    assert result is not None
    assert [c.text for c in result.matching("pat")] == ["pathlib", "Path", "PATH_MAX"]
    assert [c.text for c in result.matching("")] == ["Path", "pathlib", "print", "PATH_MAX"]
    assert result.matching("zz") == ()


def test_common_prefix() -> None:
    assert common_prefix(["operator", "opcode", "optparse"]) == "op"
    assert common_prefix(["os"]) == "os"
    assert common_prefix([]) == ""


def test_offsets_differ_after_characters_outside_the_bmp() -> None:
    text = "s = '😀'; s.up"
    assert to_utf16(text, len(text)) == len(text) + 1
    assert to_code_points(text, len(text) + 1) == len(text)
    assert to_code_points(text, 3) == 3 and to_utf16(text, 3) == 3
