"""Output items of a cell: stream text, rich MIME bundles, errors."""
from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from conch.app.model.mime import RICHNESS_ORDER, choose_mime
from conch.app.model.terminal_text import TerminalText

StreamName = Literal["stdout", "stderr"]


class StreamOutput:
    """Text a kernel wrote to stdout or stderr, as ANSI-interpreted lines."""

    mime_type = "text/plain"

    def __init__(self, name: StreamName) -> None:
        self.kind: StreamName = name
        self.content = TerminalText()

    @property
    def text(self) -> str:
        return self.content.plain_text()


class RichOutput:
    """An ``execute_result`` ("result") or ``display_data`` ("display") MIME bundle."""

    def __init__(
        self,
        kind: Literal["result", "display"],
        data: Mapping[str, Any],
        metadata: Mapping[str, Any],
        *,
        renderable: Iterable[str] = RICHNESS_ORDER,
        execution_count: int | None = None,
        display_id: str | None = None,
    ) -> None:
        self.kind = kind
        self.execution_count = execution_count
        self.display_id = display_id
        self._renderable = tuple(renderable)
        self.data: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self.mime_type = "text/plain"
        self.plain = TerminalText()
        self.revision = 0
        self.update(data, metadata)

    def update(self, data: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
        """Replace the bundle (``update_display_data``). Either one that is not a mapping (a
        kernel's mistake) counts as empty."""
        self.data = dict(data) if isinstance(data, Mapping) else {}
        self.metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
        self.mime_type = choose_mime(self.data, self._renderable)
        self.plain = TerminalText()
        self.plain.feed(_as_text(self.data.get("text/plain", "")))
        self.revision += 1

    @property
    def text(self) -> str:
        return self.plain.plain_text()

    def source(self, mime: str) -> str:
        """A text type's content (HTML, Markdown, SVG, LaTeX) as one string."""
        return _as_text(self.data.get(mime, ""))

    def binary(self, mime: str) -> bytes:
        """Decoded bytes of a base64 image type."""
        return base64.b64decode(_as_text(self.data.get(mime, "")))

    def mime_metadata(self, mime: str) -> dict[str, Any]:
        """Metadata for one type (``metadata[mime]``), e.g. image width/height."""
        value = self.metadata.get(mime, {})
        return dict(value) if isinstance(value, Mapping) else {}


class ErrorOutput:
    """An exception: name, value and the ANSI-coloured traceback."""

    kind = "error"
    mime_type = "text/plain"

    def __init__(self, ename: str, evalue: str, traceback: Iterable[str]) -> None:
        self.ename = ename
        self.evalue = evalue
        self.content = TerminalText()
        lines = list(traceback) or [f"{ename}: {evalue}"]
        self.content.feed("\n".join(lines))

    @property
    def text(self) -> str:
        return self.content.plain_text()


Output = StreamOutput | RichOutput | ErrorOutput


def _as_text(value: Any) -> str:
    """Jupyter allows multi-line strings to arrive as lists of lines."""
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else str(value)
