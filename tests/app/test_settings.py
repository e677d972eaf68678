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


# -- the Preferences keys -------------------------------------------------------------------------
import json  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402

from conch.app.settings import SettingsSaveError  # noqa: E402

GOOD = {
    "font_family": ("Iosevka", "Iosevka"),
    "font_size": (12.5, 12.5),
    "theme": ("dark", "dark"),
    "scrollback_lines": (5000, 5000),
    "confirm_exit": (False, False),
    "confirm_close": (False, False),
    "auto_restart": (0, 0),
    "default_kernel": ("ir", "ir"),
}


@pytest.mark.parametrize("key", list(GOOD))
def test_a_good_value_of_each_key_loads(tmp_path: Path, key: str) -> None:
    path = tmp_path / "settings.json"
    written, loaded = GOOD[key]
    path.write_text(json.dumps({key: written}))
    settings = Settings.load(path)
    assert settings.problems == []
    assert getattr(settings, key) == loaded != getattr(Settings(), key)


def test_limits_are_included_and_integral_floats_are_whole_numbers(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"font_size": 72, "scrollback_lines": 1e7, "auto_restart": 10, "font_family": null}')
    settings = Settings.load(path)
    assert settings.problems == []
    assert (settings.font_size, settings.scrollback_lines, settings.auto_restart) == (72.0, 10_000_000, 10)
    assert isinstance(settings.scrollback_lines, int) and settings.font_family is None


BAD = [
    ("font_family", 12, "name of a font"),
    ("font_size", "12", "number of points"),
    ("font_size", 5.5, "from 6 to 72"),
    ("font_size", 73, "from 6 to 72"),
    ("font_size", True, "number of points"),
    ("theme", "blue", '"system", "light", "dark"'),
    ("theme", 1, '"system", "light", "dark"'),
    ("scrollback_lines", 999, "from 1000 to 10000000"),
    ("scrollback_lines", 10_000_001, "from 1000 to 10000000"),
    ("scrollback_lines", 1500.5, "whole number"),
    ("scrollback_lines", "1000", "whole number"),
    ("confirm_exit", "no", "true or false"),
    ("confirm_close", 0, "true or false"),
    ("auto_restart", -1, "from 0 to 10"),
    ("auto_restart", 11, "from 0 to 10"),
    ("auto_restart", False, "whole number"),
    ("default_kernel", "", "name of a kernelspec"),
    ("default_kernel", "python 3", "name of a kernelspec"),
    ("default_kernel", None, "name of a kernelspec"),
]


@pytest.mark.parametrize("key, value, expected", BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_a_bad_value_is_reported_with_its_key_and_ignored(tmp_path: Path, key: str, value: object, expected: str) -> None:
    path = tmp_path / "settings.json"
    # a good neighbour is still read
    path.write_text(json.dumps({key: value, "theme" if key != "theme" else "font_size": "light" if key != "theme" else 11}))
    settings = Settings.load(path)
    (problem,) = settings.problems
    default = getattr(Settings(), key)
    assert problem.startswith(f'{path}: "{key}" ') and expected in problem
    assert problem.endswith(f"using the default ({json.dumps(default)})")
    assert getattr(settings, key) == default
    assert (settings.theme, settings.font_size) == (("light", 10.0) if key != "theme" else ("system", 11.0))


def test_nan_is_not_a_font_size(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"font_size": NaN}')
    settings = Settings.load(path)
    assert settings.font_size == 10.0 and '"font_size"' in settings.problems[0]


def changed() -> Settings:
    settings = Settings(font_family="Iosevka", font_size=13.5, theme="light", scrollback_lines=20_000,
                        confirm_exit=False, confirm_close=False, auto_restart=0, default_kernel="ir",
                        ca_file="/etc/ca.pem")
    settings.shortcuts["execute_now"] = ("Shift+Return", "Ctrl+J")
    settings.shortcuts["clear_transcript"] = ()
    return settings


def test_save_then_load_gives_the_same_settings(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "settings.json"  # the folder is made
    settings = changed()
    settings.save(path)
    loaded = Settings.load(path)
    assert loaded.problems == [] and loaded == settings
    assert Settings() != settings  # the comparison sees the settings
    # only what differs from the defaults is written, shortcuts only when overridden
    data = json.loads(path.read_text())
    assert data["shortcuts"] == {"execute_now": ["Shift+Return", "Ctrl+J"], "clear_transcript": []}
    assert set(data) == {"shortcuts", "font_family", "font_size", "theme", "scrollback_lines", "confirm_exit",
                         "confirm_close", "auto_restart", "default_kernel", "ca_file"}
    assert not list(path.parent.glob(".*tmp"))  # no temporary file left


def test_saving_defaults_writes_an_empty_object(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    Settings().save(path)
    assert json.loads(path.read_text()) == {}
    assert Settings.load(path) == Settings()


def test_save_keeps_unknown_keys_and_what_the_user_wrote(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        '{"zoom": 1.25, "ca_file": "~/certs/ca.pem", "confirm_exit": true, "font_size": 12,\n'
        ' "shortcuts": {"clear_transcript": "Ctrl+K", "fly": "F1", "find": "Ctrl+F"}, "theme": "blue"}'
    )
    settings = Settings.load(path)
    assert settings.ca_file == os.path.expanduser("~/certs/ca.pem") and len(settings.problems) == 2
    settings.auto_restart = 5
    settings.theme = "dark"
    settings.shortcuts["find"] = BY_ACTION["find"].keys  # unchanged: the user's entry stays
    settings.shortcuts["clear_transcript"] = BY_ACTION["clear_transcript"].keys  # reset: the entry goes
    settings.save(path)
    data = json.loads(path.read_text())
    assert data == {
        "zoom": 1.25, "ca_file": "~/certs/ca.pem", "confirm_exit": True, "font_size": 12,
        "shortcuts": {"fly": "F1", "find": "Ctrl+F"}, "theme": "dark", "auto_restart": 5,
    }
    assert list(data)[:4] == ["zoom", "ca_file", "confirm_exit", "font_size"]  # the user's order
    text = path.read_text()
    assert text.startswith('{\n  "zoom": 1.25,\n') and text.endswith("}\n")  # indented, one key a line


def test_save_refuses_to_overwrite_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    broken = '{"theme": "dark",, }'
    path.write_text(broken)
    with pytest.raises(SettingsSaveError) as error:
        changed().save(path)
    assert str(path) in str(error.value) and "line 1" in str(error.value) and "not overwritten" in str(error.value)
    assert path.read_text() == broken
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_save_reports_a_place_it_cannot_write(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("a file where the folder should be")
    with pytest.raises(SettingsSaveError, match=r"Could not save the settings to .*config/settings\.json"):
        changed().save(tmp_path / "config" / "settings.json")
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(SettingsSaveError, match="is a folder.*not overwritten"):
        changed().save(tmp_path / "folder.json")


def test_save_through_a_symlink_writes_the_target(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "conch.json"
    target.parent.mkdir()
    target.write_text('{"zoom": 2}')
    link = tmp_path / "settings.json"
    link.symlink_to(target)
    changed().save(link)
    assert link.is_symlink() and json.loads(target.read_text())["zoom"] == 2
    assert Settings.load(link) == changed()
