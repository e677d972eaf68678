"""session.json: what Conch remembers of the last session, read safely and written atomically."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from conch.app.recent_servers import RECENT_FILE, RECENT_HOSTS_FILE, RecentServer, load_recent, remember
from conch.app.session_memory import (
    RECENT_FILES_LIMIT,
    SESSION_FILE,
    SessionState,
    TabRecord,
    clear_recent,
    load_session,
    remember_connection_file,
    save_session,
    server_record,
    update_session,
)
from conch.app.settings import config_dir

TABS = [
    TabRecord("local", "python3", display_name="Python 3 (ipykernel)", title="work"),
    TabRecord("server", "ir", url="https://hub.example.org/user/ada/", ca_file="/etc/lab-ca.pem"),
    TabRecord("ssh", "python3", host="lab", ssh_options=("-p", "2222")),
    TabRecord("connection_file", "python3", path="/run/user/1/jupyter/kernel-1.json"),
]


def test_the_state_round_trips_through_the_config_folder() -> None:
    state = SessionState(geometry=bytes(range(256)), window_state=b"\x00\xff state", zoom=-2,
                         tabs=TABS, recent_files=["/a/kernel-1.json"])
    save_session(state)
    assert (config_dir() / SESSION_FILE).is_file()
    assert load_session() == state
    assert [p.name for p in config_dir().iterdir()] == [SESSION_FILE]  # no temporary file left
    assert update_session(zoom=3) == SessionState(state.geometry, state.window_state, 3, TABS, state.recent_files)
    assert load_session().zoom == 3


def test_records_describe_themselves_for_the_offer() -> None:
    assert [t.describe() for t in TABS] == [
        "work", "ir (on https://hub.example.org/user/ada/)", "python3 (over SSH on lab)", "python3 (from kernel-1.json)"
    ]
    assert [t.reopenable for t in TABS] == [True, True, True, False]
    assert TabRecord("local", "ir", display_name="R").describe() == "R"


def test_a_missing_file_means_a_fresh_start() -> None:
    assert load_session() == SessionState()


@pytest.mark.parametrize("content", [
    b"not json {",
    b"\xff\xfe latin junk",
    b"[1, 2, 3]",
    b'{"tabs": ' + b"[" * 200 + b"]" * 200 + b"}",
    b'{"geometry": 12, "window_state": "%%% not base64", "zoom": "big", "tabs": {"a": 1}, "recent_files": "x"}',
    b'{"zoom": true, "tabs": null}',
])
def test_a_malformed_file_is_ignored_without_raising(content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / SESSION_FILE).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert load_session() == SessionState()
    assert caplog.records, "the problem is logged"


def test_a_huge_file_is_not_read() -> None:
    config_dir().mkdir(parents=True, exist_ok=True)
    huge = {"tabs": [TABS[0].to_json()] * 30000}
    (config_dir() / SESSION_FILE).write_text(json.dumps(huge))
    assert (config_dir() / SESSION_FILE).stat().st_size > 1 << 20
    assert load_session() == SessionState()


def test_bad_entries_are_skipped_and_good_ones_kept(caplog: pytest.LogCaptureFixture) -> None:
    good = [t.to_json() for t in TABS]
    bad = [
        "python3", 7, None, [],
        {"kind": "teleport", "kernel_name": "python3"},
        {"kind": "local"},  # no kernel name
        {"kind": "local", "kernel_name": 3},
        {"kind": "local", "kernel_name": "x" * 100000},
        {"kind": "server", "kernel_name": "python3"},  # no URL
        {"kind": "server", "kernel_name": "python3", "url": "http://host:8888/?token=s3cret"},
        {"kind": "server", "kernel_name": "python3", "url": "http://ada:s3cret@host:8888/"},
        {"kind": "ssh", "kernel_name": "python3", "host": "lab", "ssh_options": "-p 22"},
        {"kind": "ssh", "kernel_name": "python3"},
        {"kind": "connection_file", "kernel_name": "python3"},
    ]
    data = {"tabs": [bad[0], good[0], *bad[1:6], good[1], *bad[6:], good[2], good[3]],
            "recent_files": ["/a.json", 5, None, "/b.json", "/a.json", "x\0y"]}
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / SESSION_FILE).write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        state = load_session()
    assert state.tabs == TABS
    assert state.recent_files == ["/a.json", "/b.json"]
    assert len(caplog.records) == len(bad)
    assert "s3cret" not in json.dumps(state.to_json())


def test_a_server_url_with_a_token_is_never_remembered() -> None:
    assert server_record("http://host:8888/?token=abc").url is None
    assert server_record("http://ada:pw@host:8888/").url is None
    assert server_record("https://host/").url == "https://host/"


def test_recent_connection_files_are_newest_first_deduplicated_and_limited(tmp_path: Path) -> None:
    for number in range(15):
        remember_connection_file(tmp_path / f"kernel-{number}.json")
    remember_connection_file(tmp_path / "kernel-12.json")
    files = load_session().recent_files
    assert len(files) == RECENT_FILES_LIMIT
    assert files[:3] == [str(tmp_path / f"kernel-{n}.json") for n in (12, 14, 13)]
    assert len(set(files)) == len(files)
    assert str(tmp_path / "kernel-4.json") not in files


def test_clear_recent_empties_files_servers_and_hosts_but_keeps_the_rest(tmp_path: Path) -> None:
    save_session(SessionState(geometry=b"g", tabs=TABS[:1], recent_files=["/a.json"]))
    remember(config_dir(), RecentServer("https://host/"))
    remember(config_dir(), RecentServer("lab"), RECENT_HOSTS_FILE)
    clear_recent()
    assert load_session() == SessionState(geometry=b"g", tabs=TABS[:1])
    assert load_recent(config_dir()) == [] and load_recent(config_dir(), RECENT_HOSTS_FILE) == []
    assert not (config_dir() / RECENT_FILE).exists()
