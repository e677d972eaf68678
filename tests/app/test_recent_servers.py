"""The recent servers list: newest first, bounded, never a token, unreadable files survived."""
from __future__ import annotations

from pathlib import Path

from conch.app.recent_servers import RECENT_FILE, RECENT_LIMIT, RecentServer, load_recent, remember


def test_newest_first_without_repeats_and_bounded(tmp_path: Path) -> None:
    for i in range(RECENT_LIMIT + 3):
        remember(tmp_path, RecentServer(f"http://host{i}:8888/"))
    remember(tmp_path, RecentServer("http://host5:8888/", token_saved=True))
    servers = load_recent(tmp_path)
    assert len(servers) == RECENT_LIMIT
    assert servers[0] == RecentServer("http://host5:8888/", True)
    assert [s.url for s in servers].count("http://host5:8888/") == 1


def test_a_broken_file_or_an_url_with_a_token_is_not_trusted(tmp_path: Path) -> None:
    (tmp_path / RECENT_FILE).write_bytes(b"\xff not json")
    assert load_recent(tmp_path) == []
    (tmp_path / RECENT_FILE).write_text('{"servers": [{"url": "http://h:1/?token=abc"}, {"url": 5}, "x"]}')
    assert load_recent(tmp_path) == []
    assert remember(tmp_path, RecentServer("http://ok:1/")) == [RecentServer("http://ok:1/")]
