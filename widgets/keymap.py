"""Key events to action names, from the shortcut table (with the user's overrides)."""
from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

from conch.app.shortcuts import SHORTCUTS

_MODIFIERS = (
    Qt.KeyboardModifier.ShiftModifier
    | Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


class KeyMap:
    """Which actions a key press may mean (the scope it is typed in picks the one it handles).

    Built from ``conch.app.shortcuts`` keys per action; Enter on the keypad counts as
    Return and Backtab as Shift+Tab, so one entry covers both.
    """

    def __init__(self, keys: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self._sequences: dict[str, list[QKeySequence]] = {}
        self._actions: dict[int, list[str]] = {}
        self.set_keys(keys if keys is not None else {s.action: s.keys for s in SHORTCUTS})

    def set_keys(self, keys: Mapping[str, tuple[str, ...]]) -> None:
        """Use ``keys`` per action from now on (edited in the preferences): every scope that
        shares this map sees the change at its next key press."""
        self._sequences.clear()
        self._actions.clear()
        for action, texts in keys.items():
            sequences = [QKeySequence(text) for text in texts]
            self._sequences[action] = [s for s in sequences if not s.isEmpty()]
            for sequence in self._sequences[action]:
                self._actions.setdefault(sequence[0].toCombined(), []).append(action)

    def action_for(self, event: QKeyEvent) -> str | None:
        """The first action (in table order) bound to the key, if any."""
        actions = self._actions.get(_combined(event))
        return actions[0] if actions else None

    def actions_for(self, event: QKeyEvent) -> list[str]:
        """Every action bound to the key, in table order."""
        return list(self._actions.get(_combined(event), ()))

    def text(self, action: str) -> str:
        """The keys of ``action`` as a menu shows them ("Ctrl+T"), or "" if it has none."""
        sequences = self._sequences.get(action)
        return sequences[0].toString(QKeySequence.SequenceFormat.NativeText) if sequences else ""

    def sequences(self, action: str) -> list[QKeySequence]:
        """The key sequences bound to ``action`` (for menus and tooltips)."""
        return list(self._sequences.get(action, []))


def _combined(event: QKeyEvent) -> int:
    key = event.key()
    modifiers = event.modifiers() & _MODIFIERS
    if key == Qt.Key.Key_Enter:
        key = Qt.Key.Key_Return
    elif key == Qt.Key.Key_Backtab:
        key = Qt.Key.Key_Tab
        modifiers |= Qt.KeyboardModifier.ShiftModifier
    return QKeyCombination(modifiers, Qt.Key(key)).toCombined()
