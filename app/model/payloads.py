"""Payloads of an ``execute_reply``: pages, next input, exit requests (Qt-free)."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """Help text to show in a pager (``obj?``): a MIME bundle and the line to start at."""

    data: dict[str, Any] = field(default_factory=dict)
    start: int = 0

    @property
    def text(self) -> str:
        value = self.data.get("text/plain", "")
        return "".join(value) if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class NextInput:
    """Text for the input editor (``%load``, ``set_next_input``)."""

    text: str
    replace: bool = False


@dataclass(frozen=True)
class ExitRequest:
    """The user ran ``exit``/``quit``: close the console (after confirming)."""

    keep_kernel: bool = False


Payload = Union[Page, NextInput, ExitRequest]


def parse_payloads(reply_content: Mapping[str, Any]) -> list[Payload]:
    """The payloads a console acts on, in order; unknown sources are logged and skipped."""
    payloads: list[Payload] = []
    for item in reply_content.get("payload") or ():
        if not isinstance(item, Mapping):
            continue
        source = item.get("source")
        if source == "page":
            data = item.get("data")
            if not isinstance(data, Mapping) and isinstance(item.get("text"), str):
                data = {"text/plain": item["text"]}  # pre-5.0 kernels
            start = item.get("start", 0)
            payloads.append(Page(dict(data or {}), start if isinstance(start, int) else 0))
        elif source == "set_next_input":
            payloads.append(NextInput(str(item.get("text", "")), bool(item.get("replace", False))))
        elif source == "ask_exit":
            payloads.append(ExitRequest(bool(item.get("keepkernel", False))))
        else:
            log.info("ignoring execute_reply payload %r", source)
    return payloads
