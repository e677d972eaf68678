"""The Jupyter servers a user connected to, newest first (Qt-free). Tokens are never here: a
token the user asked to remember is in the OS keyring (``conch.app.token_store``)."""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from conch.app.safe_read import UnreadableFile, read_json

log = logging.getLogger(__name__)

RECENT_FILE = "servers.json"
RECENT_HOSTS_FILE = "ssh_hosts.json"
"""SSH hosts the user connected to (``url`` is the host as typed)."""
RECENT_LIMIT = 10
_FILE_LIMIT = 64 * 1024


@dataclass(frozen=True)
class RecentServer:
    """A server as the user last used it: its base URL (never with a token) and whether its
    token is in the keyring."""

    url: str
    token_saved: bool = False


def load_recent(folder: Path, file: str = RECENT_FILE) -> list[RecentServer]:
    """The recent servers (or hosts) in ``folder`` (none if the file is missing or unreadable)."""
    try:
        data = read_json(folder / file, _FILE_LIMIT, "recent servers file", max_depth=4)
    except UnreadableFile as error:
        if error.problem != "missing":
            log.warning("%s; starting a new list", error)
        return []
    entries = data.get("servers")
    if not isinstance(entries, list):
        return []
    servers = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str) and "token=" not in entry["url"]:
            servers.append(RecentServer(entry["url"], entry.get("token_saved") is True))
    return servers[:RECENT_LIMIT]


def remember(folder: Path, server: RecentServer, file: str = RECENT_FILE) -> list[RecentServer]:
    """Put ``server`` first in the list in ``folder`` (written atomically); returns the list."""
    servers = [server, *(s for s in load_recent(folder, file) if s.url != server.url)][:RECENT_LIMIT]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file
    temporary = target.with_suffix(".tmp")
    payload = {"servers": [{"url": s.url, "token_saved": s.token_saved} for s in servers]}
    temporary.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(temporary, target)
    return servers
