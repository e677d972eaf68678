"""The one table of keyboard shortcuts; settings may override any entry (Qt-free).

Keys are written the way ``QKeySequence`` parses them ("Ctrl+Return", "Shift+Tab"); an
action may have several. Qt maps Ctrl to Command on macOS.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    """An action a key can trigger, where it applies, and its default keys."""

    action: str
    keys: tuple[str, ...]
    description: str
    scope: str = "editor"  # "editor": while the input editor has focus; "window": anywhere


_MAC = sys.platform == "darwin"

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("execute", ("Return",), "Run the input if the kernel says it is complete, else start a new line"),
    Shortcut("execute_now", ("Shift+Return",), "Run the input at once"),
    Shortcut("newline", ("Ctrl+Return",), "Insert a new line"),
    Shortcut("complete", ("Tab",), "Complete the word before the cursor (indent at line start)"),
    Shortcut("inspect", ("Shift+Tab",), "Show help for the name at the cursor"),
    Shortcut("history_previous", ("Up",), "Older history entry starting with the text before the cursor"),
    Shortcut("history_next", ("Down",), "Newer history entry"),
    Shortcut("history_search", ("Ctrl+R",), "Search the history as you type"),
    # On macOS Qt reads "Ctrl" as Command and "Meta" as the Control key: there Control+C
    # interrupts, as in a terminal, and Command+C only copies (the editor's own key).
    Shortcut("copy_or_interrupt", ("Meta+C",) if _MAC else ("Ctrl+C",),
             "Interrupt the kernel (Command+C copies)" if _MAC else "Copy the selection, or interrupt the kernel if none"),
    Shortcut("clear_transcript", ("Ctrl+L",), "Clear the transcript"),
    Shortcut("dismiss", ("Escape",), "Close the completion list, help tip or pager"),
    Shortcut("new_tab", ("Ctrl+T",), "Open a tab with a new kernel of the current tab's kind", "window"),
    Shortcut("new_tab_same_kernel", ("Ctrl+Shift+T",), "Open another tab on the current tab's kernel", "window"),
    Shortcut("connect_existing", ("Ctrl+O",), "Open a tab on a kernel started elsewhere (connection file)", "window"),
    Shortcut("connect_server", ("Ctrl+Shift+O",), "Open a tab on a kernel on a Jupyter server", "window"),
    Shortcut("connect_ssh", ("Ctrl+Shift+H",), "Open a tab on a kernel on another machine, over SSH", "window"),
    Shortcut("save_notebook", ("Ctrl+S",), "Save the current tab's session as a Jupyter notebook", "window"),
    Shortcut("export_html", ("Ctrl+Shift+E",), "Export the current tab's session as an HTML page", "window"),
    Shortcut("close_tab", ("Ctrl+W",), "Close the current tab", "window"),
    Shortcut("rename_tab", ("F2",), "Rename the current tab", "window"),
    Shortcut("next_tab", ("Ctrl+PgDown",), "Show the next tab", "window"),
    Shortcut("previous_tab", ("Ctrl+PgUp",), "Show the previous tab", "window"),
    Shortcut("quit", ("Ctrl+Q",), "Quit Conch", "window"),
    Shortcut("interrupt", ("Ctrl+I",), "Interrupt the kernel", "window"),
    Shortcut("restart", ("Ctrl+.",), "Restart the kernel", "window"),
    Shortcut("restart_clear", ("Ctrl+Shift+.",), "Restart the kernel and clear the transcript", "window"),
    Shortcut("find", ("Ctrl+F",), "Find text in the transcript", "window"),
    Shortcut("run_file", ("Ctrl+Shift+R",), "Run a Python script in the current tab's kernel (%run)", "window"),
    Shortcut("print", ("Ctrl+P",), "Print the current tab's transcript", "window"),
    Shortcut("export_pdf", (), "Export the current tab's transcript as a PDF", "window"),
    Shortcut("keyboard_shortcuts", ("F1",), "List every keyboard shortcut", "window"),
    Shortcut("report_problem", (), "Prepare a problem report to send to the maintainers", "window"),
    Shortcut("about", (), "Show Conch's version and those of Qt, Jupyter and the kernel", "window"),
    Shortcut("preferences", ("Ctrl+,",), "Open the preferences", "window"),
    Shortcut("zoom_in", ("Ctrl+=", "Ctrl++"), "Make the text and images larger", "window"),
    Shortcut("zoom_out", ("Ctrl+-",), "Make the text and images smaller", "window"),
    Shortcut("zoom_reset", ("Ctrl+0",), "Show the text at the font size of the preferences", "window"),
    Shortcut("toggle_status_bar", (), "Show or hide the status bar", "window"),
)

BY_ACTION: dict[str, Shortcut] = {s.action: s for s in SHORTCUTS}


def resolve(overrides: Mapping[str, object]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The keys of every action with ``overrides`` applied, and problems found in them.

    An override is a key string or a list of them; an empty list disables the action.
    Unknown actions and values of the wrong type are reported and ignored.
    """
    keys = {s.action: s.keys for s in SHORTCUTS}
    problems: list[str] = []
    for action, value in overrides.items():
        if action not in keys:
            problems.append(f"unknown shortcut action {action!r} (known: {', '.join(sorted(keys))})")
            continue
        if isinstance(value, str):
            keys[action] = (value,)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            keys[action] = tuple(value)
        else:
            problems.append(f"shortcut {action!r} must be a key like \"Ctrl+J\" or a list of them")
    return keys, problems


@dataclass(frozen=True)
class Conflict:
    """One key bound to actions that can be triggered in the same place."""

    key: str
    """The key as the first of the actions spells it ("Ctrl+T")."""
    actions: tuple[str, ...]
    """The actions it is bound to, in table order (two or more)."""


_MODIFIER_ORDER = ("meta", "ctrl", "alt", "shift")  # QKeySequence's PortableText order
_KEY_ALIASES = {
    "escape": "esc", "delete": "del", "insert": "ins", "page up": "pgup", "page down": "pgdown",
    "enter": "return",  # the keypad's Enter counts as Return (see conch.widgets.keymap)
}


def normalized_key(text: str) -> str:
    """``text`` ("Shift+Ctrl+t", "Escape") as one spelling per key ("ctrl+shift+t", "esc").

    Mirrors what ``QKeySequence(text).toString(PortableText)`` gives, lowercased: modifiers
    in Qt's order (Meta, Ctrl, Alt, Shift), Qt's alternative key names folded onto the
    portable ones (Escape → Esc, Delete → Del, Page Down → PgDown), and as the key map reads
    keys, Enter as Return, Backtab as Shift+Tab, and only the first chord of a sequence
    ("Ctrl+K, Ctrl+C" is Ctrl+K). "" for an empty key.
    """
    chord = text.split(", ")[0].strip().lower()
    if not chord:
        return ""
    parts = chord.split("+")
    # "Ctrl++" is Ctrl and the plus key: an empty part before the end is a "+".
    if len(parts) > 1 and parts[-1] == "" and parts[-2] == "":
        parts = parts[:-2] + ["+"]
    *modifiers, key = (part.strip() for part in parts)
    key = _KEY_ALIASES.get(key, key)
    mods = set(modifiers)
    if key == "backtab":
        key = "tab"
        mods.add("shift")
    return "+".join([m for m in _MODIFIER_ORDER if m in mods] + sorted(mods - set(_MODIFIER_ORDER)) + [key])


def scopes_overlap(first: str, second: str) -> bool:
    """Whether keys of both scopes reach the same place: "window" keys work everywhere."""
    return first == second or "window" in (first, second)


def conflicts(keys: Mapping[str, tuple[str, ...]]) -> list[Conflict]:
    """Keys bound to two or more actions whose scopes overlap, in table order of their first
    action. Keys are compared as :func:`normalized_key` spells them; actions not in the table
    are ignored (settings reports them)."""
    bound: dict[str, list[tuple[str, str]]] = {}  # normalized key: (action, key as written)
    for shortcut in SHORTCUTS:
        for text in keys.get(shortcut.action, ()):
            key = normalized_key(text)
            if key and all(action != shortcut.action for action, _ in bound.get(key, [])):
                bound.setdefault(key, []).append((shortcut.action, text))
    found: list[Conflict] = []
    for entries in bound.values():
        clashing = [
            (action, text) for action, text in entries
            if any(other != action and scopes_overlap(BY_ACTION[action].scope, BY_ACTION[other].scope)
                   for other, _ in entries)
        ]
        if len(clashing) > 1:
            found.append(Conflict(clashing[0][1], tuple(action for action, _ in clashing)))
    order = {s.action: i for i, s in enumerate(SHORTCUTS)}
    return sorted(found, key=lambda conflict: order[conflict.actions[0]])
