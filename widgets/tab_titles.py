"""Numbering tabs so that every one can be told apart (kernels of one kind, tabs on one kernel)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conch.widgets.kernel_tab import KernelTab


def number_tabs(tabs: Sequence["KernelTab"]) -> None:
    """Give each tab its ``kernel_number`` (1 for the first kernel of a display name in the
    window, 2 for the next...), ``console_number`` (its place among the tabs on its kernel)
    and ``shared`` flag (0: not numbered yet). A number, once given, stays while its tab is
    open; a freed number is given again to the next newcomer."""
    kernels: dict[str, dict[int, int]] = {}  # display name -> id(kernel) -> number
    consoles: dict[int, list["KernelTab"]] = {}
    for tab in tabs:  # keep numbers already given
        session = tab.session
        if session is None:
            continue
        taken = kernels.setdefault(session.kernel.display_name, {})
        if tab.kernel_number and id(session.kernel) not in taken and tab.kernel_number not in taken.values():
            taken[id(session.kernel)] = tab.kernel_number
        consoles.setdefault(id(session.kernel), []).append(tab)
    for tab in tabs:
        session = tab.session
        if session is None:
            tab.kernel_number, tab.console_number, tab.shared = 0, 0, False
            continue
        taken = kernels[session.kernel.display_name]
        if id(session.kernel) not in taken:
            taken[id(session.kernel)] = _lowest_free(set(taken.values()))
        tab.kernel_number = taken[id(session.kernel)]
    for group in consoles.values():
        used: set[int] = set()
        newcomers = []
        for tab in group:
            if not tab.console_number or tab.console_number in used:
                newcomers.append(tab)
            else:
                used.add(tab.console_number)
        for tab in newcomers:
            tab.console_number = _lowest_free(used)
            used.add(tab.console_number)
        for tab in group:
            tab.shared = len(group) > 1


def _lowest_free(used: set[int]) -> int:
    number = 1
    while number in used:
        number += 1
    return number
