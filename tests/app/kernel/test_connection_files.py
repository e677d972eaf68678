"""Finding and reading connection files (no Qt, no kernel)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from conch.app.kernel.connection_files import (
    ConnectionFileError,
    list_connection_files,
    newest_connection_file,
    read_connection_file,
    resolve_connection_file,
)

GOOD = {"ip": "127.0.0.1", "key": "k", "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
        "control_port": 4, "hb_port": 5, "kernel_name": "python3"}


def write(folder: Path, name: str, content: object, age: float = 0.0) -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_listing_is_newest_first_and_names_the_kernel(tmp_path: Path) -> None:
    write(tmp_path, "kernel-old.json", GOOD, age=600)
    write(tmp_path, "kernel-new.json", {**GOOD, "kernel_name": "bash"})
    write(tmp_path, "kernel-broken.json", "{", age=60)
    write(tmp_path, "other.json", GOOD)
    listed = list_connection_files(tmp_path)
    assert [(f.path.name, f.kernel_name) for f in listed] == [
        ("kernel-new.json", "bash"), ("kernel-broken.json", ""), ("kernel-old.json", "python3")]
    assert [bool(f.problem) for f in listed] == [False, True, False]
    assert "not valid JSON" in listed[1].problem
    assert newest_connection_file(tmp_path).name == "kernel-new.json"
    with pytest.raises(ConnectionFileError, match="No kernel connection files"):
        newest_connection_file(tmp_path / "empty")


def test_names_resolve_like_jupyter_console_existing(tmp_path: Path) -> None:
    path = write(tmp_path, "kernel-abc123.json", GOOD)
    assert resolve_connection_file("kernel-abc123.json", tmp_path) == path
    assert resolve_connection_file("abc123", tmp_path) == path
    assert resolve_connection_file(str(path), tmp_path) == path
    assert resolve_connection_file("nothing-like-it", tmp_path) == Path("nothing-like-it")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "does not hold a JSON object"),
        ({"ip": "127.0.0.1"}, "lacks key, shell_port"),
        ({**GOOD, "hb_port": 0}, "invalid ports: hb_port"),
        ({**GOOD, "transport": "udp"}, "unknown transport"),
        ({**GOOD, "hb_port": True}, "invalid ports: hb_port"),
        ({**GOOD, "key": 1234}, "invalid key"),
        ({**GOOD, "key": "clé"}, "invalid key"),
        ({**GOOD, "ip": ["127.0.0.1"]}, "invalid ip"),
        ({**GOOD, "signature_scheme": "hmac-nothing"}, "unknown signature_scheme 'hmac-nothing'"),
        ("[" * 10 + "]" * 10, "more than 8 levels deep"),
    ],
)
def test_bad_files_are_named_with_the_problem(tmp_path: Path, content: object, message: str) -> None:
    path = write(tmp_path, "kernel-x.json", content)
    with pytest.raises(ConnectionFileError, match=message) as info:
        read_connection_file(path)
    assert str(path) in str(info.value)


def test_a_good_file_gets_defaults_and_a_missing_one_says_so(tmp_path: Path) -> None:
    info = read_connection_file(write(tmp_path, "kernel-x.json", GOOD))
    assert info["transport"] == "tcp" and info["signature_scheme"] == "hmac-sha256"
    with pytest.raises(ConnectionFileError, match="does not exist"):
        read_connection_file(tmp_path / "kernel-gone.json")


def test_fifos_and_broken_files_are_listed_with_the_reason_and_never_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "kernel-pipe.json")  # read, it would block until someone writes
    (tmp_path / "kernel-folder.json").mkdir()
    (tmp_path / "kernel-latin.json").write_bytes(b'{"ip": "caf\xe9"}')
    started = time.monotonic()
    listed = {f.path.name: f.problem for f in list_connection_files(tmp_path)}
    assert time.monotonic() - started < 2
    assert "named pipe (FIFO)" in listed["kernel-pipe.json"]
    assert "is a folder" in listed["kernel-folder.json"]
    assert "not UTF-8" in listed["kernel-latin.json"]
    with pytest.raises(ConnectionFileError, match="No usable kernel connection files") as caught:
        newest_connection_file(tmp_path)
    assert "kernel-pipe.json" in str(caught.value) and "named pipe" in str(caught.value)
    write(tmp_path, "kernel-good.json", GOOD, age=3600)  # older than the broken ones, but usable
    assert newest_connection_file(tmp_path).name == "kernel-good.json"
