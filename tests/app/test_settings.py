"""Settings: defaults, overrides and broken files (no Qt)."""
from __future__ import annotations

from pathlib import Path

from conch.app.settings import Settings
from conch.app.shortcuts import BY_ACTION


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "settings.json")
    assert settings.problems == []
    assert settings.shortcuts["execute_now"] == BY_ACTION["execute_now"].keys == ("Shift+Return",)


def test_overrides_replace_keys_and_bad_entries_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"execute_now": ["Ctrl+J"], "clear_transcript": "Ctrl+K",'
                    ' "fly": "F1", "newline": 3}}')
    settings = Settings.load(path)
    assert settings.shortcuts["execute_now"] == ("Ctrl+J",)
    assert settings.shortcuts["clear_transcript"] == ("Ctrl+K",)
    assert settings.shortcuts["newline"] == ("Ctrl+Return",)
    assert len(settings.problems) == 2
    assert "'fly'" in settings.problems[0] and "'newline'" in settings.problems[1]


def test_broken_json_names_the_file_and_the_place(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {')
    settings = Settings.load(path)
    (problem,) = settings.problems
    assert str(path) in problem and "line 1" in problem and "using defaults" in problem
    assert settings.shortcuts["execute"] == ("Return",)


def test_a_file_that_is_not_an_object_or_not_utf8_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('["confirm_exit"]')
    (problem,) = Settings.load(path).problems
    assert problem == f"Settings file {path} does not hold a JSON object (it holds a list); using defaults"
    path.write_bytes(b'{"confirm_exit": false} // caf\xe9')
    (problem,) = Settings.load(path).problems
    assert "byte 0xE9 at offset 30" in problem and "save the file as UTF-8" in problem
