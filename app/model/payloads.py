"""Payloads of an ``execute_reply``: pages, next input, exit requests (Qt-free).

A reply comes from whatever kernel is on the other end, so :func:`parse_payloads` trusts no
field: a field of the wrong type is skipped (or given its default) with a log line, and the
function never raises. Nothing is copied here: a page's text is read from the reply's own
strings, so a huge page costs what the message already holds.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

log = logging.getLogger(__name__)

_SHOWN_IN_LOG = 60  # characters of a bad value quoted in a log line


@dataclass(frozen=True)
class Page:
    """Help text to show in a pager (``obj?``): a MIME bundle and the line to start at."""

    data: dict[str, Any] = field(default_factory=dict)
    start: int = 0

    @property
    def text(self) -> str:
        """The ``text/plain`` part ("" if there is none, or it is not text)."""
        return bundle_text(self.data.get("text/plain"))

    @property
    def html(self) -> str:
        """The ``text/html`` part ("" if there is none, or it is not text)."""
        return bundle_text(self.data.get("text/html"))


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


def bundle_text(value: object) -> str:
    """A MIME bundle's text value: a string, or a list of strings (joined, as nbformat
    splits long text); anything else is not text and reads as ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(part, str) for part in value):
        return "".join(value)
    return ""


def parse_payloads(reply_content: object) -> list[Payload]:
    """The payloads a console acts on, in order. Unknown sources and malformed payloads are
    logged and skipped; never raises, whatever ``reply_content`` holds."""
    try:
        if not isinstance(reply_content, Mapping):
            log.warning("execute_reply content is not a mapping: %s", _describe(reply_content))
            return []
        items = reply_content.get("payload")
        if items is None:
            return []
        if not isinstance(items, (list, tuple)):
            log.warning("execute_reply payload is not a list: %s", _describe(items))
            return []
        items = list(items)
    except Exception:  # noqa: BLE001 - a hostile mapping must not stop the reply
        log.exception("unreadable execute_reply content")
        return []
    payloads: list[Payload] = []
    for item in items:
        try:
            payload = _parse_one(item)
        except Exception:  # noqa: BLE001 - never let one payload break the others
            log.exception("unreadable execute_reply payload %s", _describe(item))
            continue
        if payload is not None:
            payloads.append(payload)
    return payloads


def _parse_one(item: object) -> Payload | None:
    if not isinstance(item, Mapping):
        log.warning("ignoring execute_reply payload that is not a mapping: %s", _describe(item))
        return None
    source = item.get("source")
    if source == "page":
        return _page(item)
    if source == "set_next_input":
        text = item.get("text", "")
        if not isinstance(text, str):
            log.warning("ignoring set_next_input payload: text is %s", _describe(text))
            return None
        return NextInput(text, _flag(item, "replace"))
    if source == "ask_exit":
        return ExitRequest(_flag(item, "keepkernel"))
    log.info("ignoring execute_reply payload %s", _describe(source))
    return None


def _page(item: Mapping[Any, Any]) -> Page | None:
    data = item.get("data")
    if not isinstance(data, Mapping):
        text = item.get("text")
        if isinstance(text, str):  # pre-5.0 kernels
            data = {"text/plain": text}
        else:
            log.warning("ignoring page payload: data is %s", _describe(data))
            return None
    bundle = {key: value for key, value in data.items() if isinstance(key, str)}
    if not any(bundle_text(bundle.get(kind)) for kind in ("text/plain", "text/html")):
        log.warning("ignoring page payload without text/plain or text/html text")
        return None
    start = item.get("start", 0)
    if not isinstance(start, int) or isinstance(start, bool):
        log.warning("page payload start is %s: starting at the top", _describe(start))
        start = 0
    return Page(bundle, max(0, start))


def _flag(item: Mapping[Any, Any], name: str) -> bool:
    value = item.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    log.warning("payload field %s is %s: taken as false", name, _describe(value))
    return False


def _describe(value: object) -> str:
    """A short, safe description of a value for a log line (never its whole text)."""
    if isinstance(value, (str, bytes)):
        shown = value[:_SHOWN_IN_LOG]
        more = f"… ({len(value)} characters)" if len(value) > _SHOWN_IN_LOG else ""
        return f"{type(value).__name__} {shown!r}{more}"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an int of {value.bit_length()} bits"
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    return type(value).__name__
