"""``conch --install-desktop`` and ``--uninstall-desktop`` into a temporary XDG data folder,
checked by the desktop's own validators; one version number everywhere."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from importlib.metadata import version
from pathlib import Path

import pytest

import conch
from conch.app.desktop_integration import APP_ID, ICON_SIZES, desktop_entry, exec_argument


def conch_cli(*args: str, data_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return subprocess.run([sys.executable, "-m", "conch", *args], capture_output=True, text=True, env=env, timeout=60)


def every_path(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_install_then_uninstall_leaves_nothing_behind(tmp_path: Path) -> None:
    home = tmp_path / "share"
    installed = conch_cli("--install-desktop", data_home=home)
    assert installed.returncode == 0, installed.stderr
    entry = home / "applications" / f"{APP_ID}.desktop"
    assert entry.is_file() and (home / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (home / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg").is_file()
    for size in ICON_SIZES:
        assert png_size(home / f"icons/hicolor/{size}x{size}/apps" / f"{APP_ID}.png") == (size, size)
    text = entry.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" %f") and os.path.isabs(exec_line.split("=", 1)[1].split()[0].strip('"'))
    assert "Actions=new-window;connect-server;connect-ssh;" in text
    assert "--new-window" in text and "--connect-server" in text and "--connect-ssh" in text
    assert "MimeType" not in text  # no claim on JSON (or any) files
    assert str(entry) in installed.stdout

    # What the user keeps there is not touched; everything Conch put there goes.
    (home / "applications" / "other.desktop").write_text("[Desktop Entry]\n")
    removed = conch_cli("--uninstall-desktop", data_home=home)
    assert removed.returncode == 0, removed.stderr
    assert every_path(home) == ["applications", "applications/other.desktop"]
    (home / "applications" / "other.desktop").unlink()
    assert conch_cli("--install-desktop", data_home=home).returncode == 0
    assert conch_cli("--uninstall-desktop", data_home=home).returncode == 0
    assert every_path(home) == []
    again = conch_cli("--uninstall-desktop", data_home=home)  # nothing there: says so, no error
    assert again.returncode == 0 and "Removed 0 file(s)" in again.stdout


def validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install appstream desktop-file-utils); .ci/run installs it")
    return path


def test_the_desktop_file_passes_desktop_file_validate(tmp_path: Path) -> None:
    tool = validator("desktop-file-validate")
    assert conch_cli("--install-desktop", data_home=tmp_path).returncode == 0
    result = subprocess.run([tool, str(tmp_path / "applications" / f"{APP_ID}.desktop")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_the_metainfo_passes_appstreamcli_validate(tmp_path: Path) -> None:
    tool = validator("appstreamcli")
    assert conch_cli("--install-desktop", data_home=tmp_path).returncode == 0
    metainfo = tmp_path / "metainfo" / f"{APP_ID}.metainfo.xml"
    result = subprocess.run([tool, "validate", "--no-net", "--pedantic", str(metainfo)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_version_everywhere() -> None:
    metainfo = ElementTree.parse(Path(conch.__file__).parent / "resources" / "metainfo.xml").getroot()
    (release,) = metainfo.findall("./releases/release")[:1]
    assert release.get("version") == conch.__version__ == version("conch")
    result = subprocess.run([sys.executable, "-m", "conch", "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"conch {version('conch')}"
    assert metainfo.findtext("id") == APP_ID
    assert metainfo.findtext("launchable") == f"{APP_ID}.desktop"
    assert metainfo.find("content_rating") is not None and metainfo.findall("./screenshots/screenshot")


def test_exec_arguments_are_quoted_as_the_spec_asks() -> None:
    assert exec_argument("/usr/bin/conch") == "/usr/bin/conch"
    assert exec_argument("/home/ada/my apps/conch") == '"/home/ada/my apps/conch"'
    assert exec_argument('/x/a"b$c`d\\e') == '"/x/a\\"b\\$c\\`d\\\\e"'
    assert exec_argument("/x/100%") == "/x/100%%"
    entry = desktop_entry(["/opt/My Apps/python", "-m", "conch"])
    assert 'Exec="/opt/My Apps/python" -m conch %f' in entry
