"""Help ▸ About Conch: Conch's version, and those of everything under it and of the kernel."""
from __future__ import annotations

import platform
from collections.abc import Mapping
from importlib import metadata

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget


def package_version(name: str) -> str:
    """An installed distribution's version, or "not installed"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def kernel_version(kernel_info: Mapping[str, object] | None) -> str:
    """The kernel as its ``kernel_info`` describes it: "ipython 9.1 (python 3.12.3)", or "no kernel"."""
    if not kernel_info:
        return "no kernel"
    implementation = str(kernel_info.get("implementation") or "unknown kernel")
    version = kernel_info.get("implementation_version")
    text = f"{implementation} {version}" if version else implementation
    language = kernel_info.get("language_info")
    if isinstance(language, Mapping) and language.get("name"):
        language_version = language.get("version")
        text += f" ({language.get('name')}{' ' + str(language_version) if language_version else ''})"
    protocol = kernel_info.get("protocol_version")
    return f"{text}, protocol {protocol}" if protocol else text


def versions(kernel_info: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """(what, version) for Conch, its libraries, Python, the OS and the current kernel."""
    return [
        ("Conch", package_version("conch")),
        ("Qt", qVersion()),
        ("PySide6", package_version("PySide6") if package_version("PySide6") != "not installed"
         else package_version("PySide6_Essentials")),
        ("jupyter_client", package_version("jupyter_client")),
        ("pyzmq", package_version("pyzmq")),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Kernel", kernel_version(kernel_info)),
    ]


def versions_text(kernel_info: Mapping[str, object] | None) -> str:
    """:func:`versions` as plain text, one "what: version" a line."""
    return "\n".join(f"{what}: {version}" for what, version in versions(kernel_info))


class AboutDialog(QDialog):
    """Conch's name and purpose, and the versions table; the text is selectable and Copy puts
    the versions on the clipboard as plain text. Esc closes."""

    def __init__(self, kernel_info: Mapping[str, object] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Conch")
        self.kernel_info = dict(kernel_info) if kernel_info else None
        icon = QLabel(self)
        window_icon = parent.windowIcon() if parent is not None else QIcon()
        if not window_icon.isNull():
            icon.setPixmap(window_icon.pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        title = QLabel(f"<h2>Conch {package_version('conch')}</h2><p>A desktop console for Jupyter kernels.</p>", self)
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QLabel(self)
        self.table.setObjectName("versions")
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.table.setAccessibleName("Versions")
        self.set_kernel_info(kernel_info)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("&Copy", self)
        self.copy_button.setAccessibleName("Copy versions")
        self.copy_button.setToolTip("Copy the versions as plain text (to paste into a problem report)")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        self.copy_button.clicked.connect(self.copy_versions)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(title)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        close.setDefault(True)
        close.setFocus()

    def set_kernel_info(self, kernel_info: Mapping[str, object] | None) -> None:
        """Show the versions with the kernel of ``kernel_info`` (None: "no kernel")."""
        self.kernel_info = dict(kernel_info) if kernel_info else None
        rows = "".join(
            f"<tr><td align='right'><b>{_escape(what)}:</b>&nbsp;&nbsp;</td><td>{_escape(version)}</td></tr>"
            for what, version in versions(self.kernel_info)
        )
        self.table.setText(f"<table cellspacing='2'>{rows}</table>")

    def text(self) -> str:
        """The versions as plain text (what Copy puts on the clipboard)."""
        return versions_text(self.kernel_info)

    def copy_versions(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

