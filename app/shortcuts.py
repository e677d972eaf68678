"""The one table of keyboard shortcuts; settings may override any entry (Qt-free).

Keys are written the way ``QKeySequence`` parses them ("Ctrl+Return", "Shift+Tab"); an
action may have several. Qt maps Ctrl to Command on macOS.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    """An action a key can trigger, where it applies, and its default keys."""

    action: str
    keys: tuple[str, ...]
    description: str
    scope: str = "editor"  # "editor": while the input editor has focus; "window": anywhere


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("execute", ("Return",), "Run the input if the kernel says it is complete, else start a new line"),
    Shortcut("execute_now", ("Shift+Return",), "Run the input at once"),
    Shortcut("newline", ("Ctrl+Return",), "Insert a new line"),
    Shortcut("complete", ("Tab",), "Complete the word before the cursor (indent at line start)"),
    Shortcut("inspect", ("Shift+Tab",), "Show help for the name at the cursor"),
    Shortcut("history_previous", ("Up",), "Older history entry starting with the text before the cursor"),
    Shortcut("history_next", ("Down",), "Newer history entry"),
    Shortcut("history_search", ("Ctrl+R",), "Search the history as you type"),
    Shortcut("copy_or_interrupt", ("Ctrl+C",), "Copy the selection, or interrupt the kernel if none"),
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
