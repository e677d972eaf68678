"""Help ▸ About Conch, Keyboard Shortcuts and Report a Problem… on a real window and kernel."""
from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app import help_dialogs
from conch.app.settings import Settings
from conch.app.shortcuts import SHORTCUTS
from conch.widgets.problem_report import scrub
from tests.app.conftest import close_window, focused, open_window, press, type_keys

SHOTS = Path("/tmp/conch_shots")


def test_about_shows_the_real_versions_and_the_kernel(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    dialog = help_dialogs.show_about(window)
    assert dialog.isVisible()
    text = dialog.text()
    for line in (f"Conch: {metadata.version('conch')}", f"Qt: {qVersion()}",
                 f"jupyter_client: {metadata.version('jupyter_client')}", f"pyzmq: {metadata.version('pyzmq')}",
                 f"Python: {platform.python_version()}"):
        assert line in text
    import IPython
    import PySide6

    assert f"PySide6: {PySide6.__version__}" in text
    assert f"Kernel: ipython {IPython.__version__} (python {platform.python_version()})" in text
    assert metadata.version("jupyter_client") in dialog.table.text()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == text
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "about.png"))
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()), timeout=5000)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    close_window(qtbot, window)


def test_about_says_no_kernel_without_one(qtbot: QtBot) -> None:
    window = open_window(qtbot, tabs=0)
    dialog = help_dialogs.show_about(window)
    assert "Kernel: no kernel" in dialog.text()
    dialog.reject()
    close_window(qtbot, window)


def test_shortcuts_lists_every_action_with_its_current_keys_and_filters(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"shortcuts": {"interrupt": "Ctrl+Shift+I", "export_pdf": "Ctrl+Alt+P"}}')
    window = open_window(qtbot, tabs=0, settings=Settings.load(path))
    dialog = help_dialogs.show_shortcuts(window)
    assert dialog.visible_actions() == [s.action for s in SHORTCUTS]
    native = QKeySequence.SequenceFormat.NativeText
    assert dialog.keys_text("interrupt") == QKeySequence("Ctrl+Shift+I").toString(native)
    assert dialog.keys_text("export_pdf") == QKeySequence("Ctrl+Alt+P").toString(native)
    assert dialog.keys_text("new_tab") == QKeySequence("Ctrl+T").toString(native)
    assert dialog.keys_text("about") == "none"
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "shortcuts.png"))
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.search, timeout=5000)
    type_keys(qtbot, "interrupt")
    assert set(dialog.visible_actions()) == {"interrupt", "copy_or_interrupt"}
    dialog.search.clear()
    type_keys(qtbot, "ctrl+shift+i")  # keys as shown narrow the list too
    assert dialog.visible_actions() == ["interrupt"]
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    close_window(qtbot, window)


def test_the_problem_report_has_no_home_path_and_no_token(qtbot: QtBot, tmp_path: Path, monkeypatch) -> None:
    home = str(tmp_path / "home" / "alice")
    monkeypatch.setenv("HOME", home)
    path = Path(home) / ".config" / "conch" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"shortcuts": {"nonsense": "F9"}}')
    window = open_window(qtbot, settings=Settings.load(path))
    dialog = help_dialogs.show_problem_report(window)
    report = dialog.text()
    assert home not in report and "~/.config/conch/settings.json" in report
    assert "nonsense" in report and "local, launched by Conch" in report and "ipython (python3)" in report
    assert f"Qt: {qVersion()}" in report and f"Qt platform plugin: {QGuiApplication.platformName()}" in report
    assert dialog.tracker_button is None and "message to Conch's maintainers" in dialog.findChild(
        type(dialog.layout().itemAt(0).widget())).text()
    dialog.report.appendPlainText(f"my server http://me:pw@host:8888/?token=abc123secret and {home}/x.py")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QApplication.clipboard().text()
    assert "abc123secret" not in copied and ":pw@" not in copied and home not in copied and "~/x.py" in copied
    assert scrub("Authorization token: 0123abcd", home) == "Authorization token: (removed)"
    dialog.grab().save(str(SHOTS / "report.png"))
    dialog.reject()
    close_window(qtbot, window)
    assert os.environ["HOME"] == home
