"""The one path every key press in Conch's widgets takes to become an action.

A :class:`KeyScope` belongs to a widget (the input editor, a console, the main window, a
bar) and says what the shortcut table's actions do while keyboard focus is inside that
widget. :class:`KeyDispatcher` sees each key press once, before the focused widget does,
and offers it to the scopes from the focused widget outwards: the innermost scope that
handles it wins. Keys no scope takes go to the focused widget as usual (typing, a line
edit's own Return). Menus only *show* the keys; no ``QShortcut`` or ``QAction`` shortcut
competes, so which handler runs never depends on construction order. A dialog or menu is a
window of its own: keys typed there never reach the scopes of the window behind it.
"""
from __future__ import annotations

from typing import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from conch.widgets.keymap import KeyMap

KeyFilter = Callable[[QKeyEvent], bool]
"""Sees a key press before the scope's actions; returns True when it consumed it."""
Fallback = Callable[[QWidget, QKeyEvent], bool]
"""Sees a key press (and the widget it was typed into) that no action took."""
ActionHandler = Callable[[], bool]
"""Runs an action; returns False to let the key do what it otherwise would."""


class KeyScope:
    """What the shortcut table's actions do while focus is inside :attr:`widget`.

    Filters run first (an open completion list takes Up/Down), then the handlers of the
    actions the key is bound to, then :attr:`fallback` (e.g. forwarding typing to the editor).
    """

    def __init__(self, widget: QWidget, keymap: KeyMap) -> None:
        self.widget = widget
        self.keymap = keymap
        self._handlers: dict[str, ActionHandler] = {}
        self._filters: list[KeyFilter] = []
        self.fallback: Fallback | None = None

    def bind(self, action: str, handler: ActionHandler) -> None:
        """Run ``handler`` for ``action`` (a name from ``conch.app.shortcuts``) in this scope."""
        self._handlers[action] = handler

    def add_filter(self, key_filter: KeyFilter) -> None:
        self._filters.append(key_filter)

    def handles(self, action: str) -> bool:
        return action in self._handlers

    def handle(self, receiver: QWidget, event: QKeyEvent) -> bool:
        """Offer a key press typed into ``receiver``; True if this scope consumed it."""
        for key_filter in self._filters:
            if key_filter(event):
                return True
        for action in self.keymap.actions_for(event):
            handler = self._handlers.get(action)
            if handler is not None and handler():
                return True
        return self.fallback is not None and self.fallback(receiver, event)


class KeyDispatcher(QObject):
    """Offers every key press to the :class:`KeyScope` chain of the widget receiving it.

    One per application (:meth:`instance`), installed as an application event filter. A key
    press that Qt propagates to parent widgets (because the first receiver ignored it) is
    dispatched only once.
    """

    _instance: "KeyDispatcher | None" = None

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._scopes: dict[int, KeyScope] = {}
        # (event address, key, modifiers), receiver: the press being delivered
        self._last_press: tuple[tuple[int, int, int], QWidget] | None = None
        app.installEventFilter(self)

    @classmethod
    def instance(cls) -> "KeyDispatcher":
        app = QApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication before Conch's widgets")
        if cls._instance is None or not shiboken6.isValid(cls._instance) or cls._instance.parent() is not app:
            cls._instance = KeyDispatcher(app)
        return cls._instance

    def scope(self, widget: QWidget, keymap: KeyMap | None = None) -> KeyScope:
        """The scope of ``widget`` (created on first use, with ``keymap`` or the default one);
        it goes away with the widget."""
        key = _address(widget)
        scope = self._scopes.get(key)
        if scope is None:
            scope = KeyScope(widget, keymap or KeyMap())
            self._scopes[key] = scope
            widget.destroyed.connect(lambda *_: self._scopes.pop(key, None))
        elif keymap is not None:
            scope.keymap = keymap
        return scope

    def scopes_for(self, widget: QWidget) -> list[KeyScope]:
        """The scopes a key typed in ``widget`` is offered to, innermost first (up to its window)."""
        chain: list[KeyScope] = []
        current: QWidget | None = widget
        while current is not None:
            scope = self._scopes.get(_address(current))
            if scope is not None:
                chain.append(scope)
            if current.isWindow():
                break
            current = current.parentWidget()
        return chain

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.KeyRelease:
            self._last_press = None
            return False
        if kind != QEvent.Type.KeyPress or not isinstance(watched, QWidget) or not self._scopes:
            return False
        assert isinstance(event, QKeyEvent)
        press = (_address(event), event.key(), event.modifiers().value)
        last = self._last_press
        self._last_press = (press, watched)
        if (
            last is not None and last[0] == press and shiboken6.isValid(last[1])
            and last[1] is not watched and watched.isAncestorOf(last[1])
        ):
            return False  # Qt propagating the same press to a parent: already offered
        for scope in self.scopes_for(watched):
            if scope.handle(watched, event):
                return True
        return False


def _address(obj: object) -> int:
    return int(shiboken6.getCppPointer(obj)[0])
