"""The Shortcuts page of Edit ▸ Preferences: every action, its keys, and keys bound twice.

Keys are typed as text, the way the settings file and menus spell them ("Ctrl+J"); several
keys for one action are separated by commas ("Shift+Return, Ctrl+J"). Text that is not a key,
and a key bound to two actions that can fire in the same place, are shown at once (with the
style's warning icon and a tooltip on the rows concerned) and reported by
:meth:`ShortcutTable.problem` (for whoever shows the message: the Preferences dialog).
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from conch.app.shortcuts import BY_ACTION, SHORTCUTS, Conflict, conflicts

_PORTABLE = QKeySequence.SequenceFormat.PortableText
_MAX_KEYS = 4  # what one QKeySequence holds
_SEPARATORS = re.compile(r"(?<!\+),")  # a comma not right after "+" ("Ctrl+," is a key)
DESCRIPTION, KEYS = 0, 1


def parse_keys(text: str) -> tuple[str, ...]:
    """The keys in ``text`` ("Shift+Return, Ctrl+J") in Qt's portable spelling; () for none.

    Raises ValueError with a message for the user if a part is not a key Qt knows."""
    text = text.strip()
    if not text:
        return ()
    if len(_SEPARATORS.findall(text)) >= _MAX_KEYS:
        raise ValueError(f"at most {_MAX_KEYS} keys per action")
    sequence = QKeySequence.fromString(text, _PORTABLE)
    keys: list[str] = []
    for index in range(sequence.count()):
        combination = sequence[index]
        if combination.key() == Qt.Key.Key_unknown:
            raise ValueError(f"“{text}” is not a key Conch knows; write keys like “Ctrl+Shift+K”")
        keys.append(QKeySequence(combination).toString(_PORTABLE))
    return tuple(keys)


def describe(conflict: Conflict) -> str:
    """A conflict in words: the key and the actions' descriptions."""
    names = " and ".join(f"“{BY_ACTION[action].description}”" for action in conflict.actions)
    return f"{conflict.key} is bound to {names}."


class ShortcutTable(QWidget):
    """Every shortcut action with its keys, editable, with conflicts shown as they appear."""

    changed = Signal()
    """The keys of an action changed (or its text stopped, or started, being keys)."""

    def __init__(self, keys: Mapping[str, tuple[str, ...]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys = {s.action: tuple(keys.get(s.action, s.keys)) for s in SHORTCUTS}
        self._unreadable: dict[str, str] = {}  # action: why its text is not keys
        self._conflicts: list[Conflict] = []
        self._warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

        self.table = QTableWidget(len(SHORTCUTS), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.setAccessibleName("Shortcuts")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(KEYS, QHeaderView.ResizeMode.ResizeToContents)
        for row, shortcut in enumerate(SHORTCUTS):
            item = QTableWidgetItem(shortcut.description)
            item.setData(Qt.ItemDataRole.UserRole, shortcut.action)
            self.table.setItem(row, DESCRIPTION, item)
            self.table.setItem(row, KEYS, QTableWidgetItem())
            self._show_keys(row)

        self.editing = QLabel(self)
        self.editing.setWordWrap(True)
        self.keys_edit = QLineEdit(self)
        self.keys_edit.setAccessibleName("Keys for the selected action")
        self.keys_edit.setPlaceholderText("None. Type keys like Ctrl+J; several: Shift+Return, Ctrl+J")
        self.keys_edit.setClearButtonEnabled(True)
        self.editing.setBuddy(self.keys_edit)
        self.reset_button = QPushButton("&Reset to Default", self)
        self.reset_button.setAccessibleName("Reset the selected action's keys to the default")
        self.reset_all_button = QPushButton("R&eset All", self)
        self.reset_all_button.setAccessibleName("Reset every shortcut to its default")

        row_layout = QHBoxLayout()
        row_layout.addWidget(self.keys_edit, 1)
        row_layout.addWidget(self.reset_button)
        row_layout.addWidget(self.reset_all_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.editing)
        layout.addLayout(row_layout)

        self.table.currentCellChanged.connect(lambda row, *_: self._select(row))
        self.keys_edit.textEdited.connect(self._on_text_edited)
        self.reset_button.clicked.connect(self.reset_current)
        self.reset_all_button.clicked.connect(self.reset_all)
        self.table.setCurrentCell(0, KEYS)
        self._check()

    # -- reading ---------------------------------------------------------------------------------
    def keys(self) -> dict[str, tuple[str, ...]]:
        """Every action's keys as they stand (an action whose text is not keys keeps its last
        good keys)."""
        return dict(self._keys)

    def conflicts(self) -> list[Conflict]:
        return list(self._conflicts)

    def problem(self) -> str | None:
        """Why these shortcuts cannot be saved (keys bound twice, text that is not keys), or None."""
        lines = [f"{BY_ACTION[action].description}: {why}" for action, why in self._unreadable.items()]
        lines += [describe(conflict) for conflict in self._conflicts]
        return "\n".join(lines) or None

    def current_action(self) -> str:
        row = max(self.table.currentRow(), 0)
        return SHORTCUTS[row].action

    # -- editing ---------------------------------------------------------------------------------
    def select_action(self, action: str) -> None:
        """Select ``action``'s row and put the focus in its keys."""
        self.table.setCurrentCell([s.action for s in SHORTCUTS].index(action), KEYS)
        self.keys_edit.setFocus()

    def reset_current(self) -> None:
        """The selected action gets its default keys back."""
        action = self.current_action()
        self._set(action, BY_ACTION[action].keys)
        self.keys_edit.setText(", ".join(self._keys[action]))

    def reset_all(self) -> None:
        """Every action gets its default keys back."""
        for shortcut in SHORTCUTS:
            self._keys[shortcut.action] = shortcut.keys
        self._unreadable.clear()
        for row in range(len(SHORTCUTS)):
            self._show_keys(row)
        self.keys_edit.setText(", ".join(self._keys[self.current_action()]))
        self._check()

    def _select(self, row: int) -> None:
        if not 0 <= row < len(SHORTCUTS):
            return
        shortcut = SHORTCUTS[row]
        self.editing.setText(f"Keys for “{shortcut.description}”:")
        self.keys_edit.setText(", ".join(self._keys[shortcut.action]))
        self.reset_button.setEnabled(True)

    def _on_text_edited(self, text: str) -> None:
        action = self.current_action()
        try:
            keys = parse_keys(text)
        except ValueError as error:
            self._unreadable[action] = str(error)
            self._check()
            return
        self._unreadable.pop(action, None)
        self._set(action, keys)

    def _set(self, action: str, keys: tuple[str, ...]) -> None:
        self._unreadable.pop(action, None)
        self._keys[action] = keys
        self._show_keys([s.action for s in SHORTCUTS].index(action))
        self._check()

    def _show_keys(self, row: int) -> None:
        shortcut = SHORTCUTS[row]
        keys = self._keys[shortcut.action]
        item = self.table.item(row, KEYS)
        item.setText(", ".join(keys))
        changed = keys != shortcut.keys
        font = item.font()
        font.setBold(changed)  # changed from the default
        item.setFont(font)
        item.setToolTip(f"Default: {', '.join(shortcut.keys) or 'none'}" if changed else "")

    def _check(self) -> None:
        """Find conflicts again; mark the rows concerned and say what is wrong."""
        self._conflicts = conflicts(self._keys)
        marked: dict[str, str] = {}
        for conflict in self._conflicts:
            for action in conflict.actions:
                marked[action] = describe(conflict)
        for action, why in self._unreadable.items():
            marked[action] = why
        for row, shortcut in enumerate(SHORTCUTS):
            item = self.table.item(row, DESCRIPTION)
            why = marked.get(shortcut.action)
            item.setIcon(self._warning if why else QIcon())
            item.setToolTip(why or "")
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, f"Problem: {why}" if why else "")
        self.changed.emit()
