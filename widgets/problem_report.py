"""Help ▸ Report a Problem…: a plain-text report to paste into a message to the maintainers.

It says what runs (versions, platform, Qt's platform plugin, each tab's kind of kernel and
state, problems in the settings) and nothing private: tokens are cut out and the home folder
is written ``~``.
"""
from __future__ import annotations

import os
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from conch.widgets.about_dialog import versions_text

_TOKEN = re.compile(r"(?i)(token|password|secret|key)([=:]\s*|%3D)[^\s&'\"]+")
_AUTH_IN_URL = re.compile(r"(?i)(\w+://)[^/\s@]+@")


@dataclass(frozen=True)
class TabFacts:
    """What the report says about one tab (nothing that names the user or a server)."""

    kind: str
    """How the kernel is reached ("local, launched by Conch", "on a Jupyter server"...)."""
    kernel: str
    """Its implementation and language as ``kernel_info`` says, or its kernelspec name."""
    state: str


def scrub(text: str, home: str | None = None) -> str:
    """``text`` without secrets: ``token=…``-like values and passwords in URLs removed, the home
    folder written ``~``."""
    home = os.path.expanduser("~") if home is None else home
    text = _TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}(removed)", text)
    text = _AUTH_IN_URL.sub(lambda m: f"{m.group(1)}(removed)@", text)
    if home and home not in ("/", "~"):
        text = text.replace(home, "~")
    return text


def issue_tracker_url() -> str | None:
    """The issue tracker named in Conch's package metadata (a "Project-URL" for issues or
    bugs), or None when it names none."""
    try:
        urls = metadata.metadata("conch").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = str(entry).partition(",")
        if any(word in label.lower() for word in ("issue", "bug", "tracker")) and url.strip().startswith("https://"):
            return url.strip()
    return None


def report_text(
    kernel_info: Mapping[str, object] | None,
    tabs: Sequence[TabFacts],
    settings_problems: Sequence[str],
    qt_platform: str,
) -> str:
    """The whole report, scrubbed (see :func:`scrub`)."""
    lines = [
        "Conch problem report",
        "",
        "What happened (please describe; what you did, what you expected, what you saw):",
        "",
        "",
        "-- versions (the current tab's kernel) --",
        versions_text(kernel_info),
        f"Platform: {platform.platform()}",
        f"Qt platform plugin: {qt_platform or 'unknown'}",
        "",
        f"-- tabs ({len(tabs)}) --",
    ]
    lines += [f"{index}. {tab.kernel} — {tab.kind} — {tab.state}" for index, tab in enumerate(tabs, 1)] or ["(none)"]
    lines += ["", "-- settings problems --"]
    lines += list(settings_problems) or ["(none)"]
    return scrub("\n".join(lines) + "\n")


class ProblemReportDialog(QDialog):
    """The report in an editable plain-text box (the user adds what happened), Copy Report, and
    Open Issue Tracker when the package names one; otherwise it says where the report goes.
    Esc closes."""

    def __init__(self, report: str, parent: QWidget | None = None, tracker: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Report a Problem")
        self.resize(640, 520)
        self.tracker = tracker
        where = (
            "Copy the report and paste it into a new issue on the tracker, with what happened."
            if tracker else
            "Copy the report and paste it into a message to Conch's maintainers, with what happened."
        )
        intro = QLabel(f"{where} It holds no tokens, and your home folder is written ~.", self)
        intro.setWordWrap(True)
        self.report = QPlainTextEdit(self)
        self.report.setPlainText(report)
        self.report.setAccessibleName("Problem report")
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report.setTabChangesFocus(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy Report", self)
        self.copy_button.setAccessibleName("Copy Report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        self.tracker_button: QPushButton | None = None
        if tracker:
            self.tracker_button = QPushButton("&Open Issue Tracker", self)
            self.tracker_button.setAccessibleName("Open Issue Tracker")
            buttons.addButton(self.tracker_button, QDialogButtonBox.ButtonRole.ActionRole)
            self.tracker_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl(tracker)))
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.report, 1)
        layout.addWidget(buttons)
        self.copy_button.setDefault(True)
        self.copy_button.setFocus()

    def text(self) -> str:
        """The report as it stands (with what the user added)."""
        return self.report.toPlainText()

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(scrub(self.text()))
        self.copy_button.setText("Copied")
