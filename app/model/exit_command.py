"""Recognising ``exit`` / ``quit`` typed into a Python console (Qt-free).

IPython's ``exit`` makes the kernel stop itself a moment after it replies, so a console
that wants to ask "close this tab?" first must catch the command before sending it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conch.app.model.payloads import ExitRequest

_EXIT = re.compile(
    r"""^\s*(?:exit|quit)\s*
        (?:\(\s*
            (?:(?:keep_kernel\s*=\s*)?(?P<keep>True|False))?
        \s*\))?
        \s*;?\s*$""",
    re.VERBOSE,
)


def exit_command(code: str, language_info: Mapping[str, Any]) -> ExitRequest | None:
    """The exit request ``code`` is, for a Python kernel (``exit``, ``quit()``,
    ``exit(keep_kernel=True)``...), or None for anything else and for other languages."""
    if str(language_info.get("name", "")).lower() != "python":
        return None
    match = _EXIT.match(code)
    if match is None:
        return None
    return ExitRequest(keep_kernel=match.group("keep") == "True")
