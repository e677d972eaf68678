"""Sample transcripts for the export tests, built through the router from iopub-shaped messages."""
from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from conch.app.model.router import OutputRouter
from conch.app.model.transcript import Transcript

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
"""A 1x1 PNG, base64 as a kernel sends it."""

TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[2], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m\x1b[38;5;241m/\x1b[39m\x1b[38;5;241m0\x1b[39m",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
]

EVIL_HTML = (
    '<b>bold</b><script>alert(1)</script><img src=x onerror="alert(2)">'
    '<a href="javascript:alert(3)">link</a><iframe src="https://evil.example/"></iframe>'
)

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
    '<script>alert(2)</script><rect width="10" height="10"/></svg>'
)


def msg(msg_type: str, parent: str | None, **content: Any) -> dict[str, Any]:
    return {
        "header": {"msg_type": msg_type, "msg_id": f"{msg_type}-x"},
        "parent_header": {"msg_id": parent} if parent else {},
        "content": content,
    }


def run(router: OutputRouter, code: str, msg_id: str, count: int, *outputs: dict[str, Any], status: str = "ok") -> None:
    """One execution of this console, as a kernel would report it."""
    router.transcript.add_cell(code, msg_id)
    router.handle_iopub(msg("execute_input", msg_id, code=code, execution_count=count))
    for output in outputs:
        router.handle_iopub(output)
    router.finish(msg_id, {"content": {"status": status, "execution_count": count}})


def scripted_transcript() -> Transcript:
    """Banner, streams with ``\\r``, an error, a PNG, a table, an updated display, Markdown,
    LaTeX, JSON, SVG, hostile HTML, another client's cell, output from outside any cell and
    a restart notice."""
    transcript = Transcript()
    router = OutputRouter(transcript)
    transcript.add_notice("Python 3.11 | IPython 9 -- An enhanced Interactive Python.", "banner")
    run(router, "print('hello')", "m1", 1,
        msg("stream", "m1", name="stdout", text="hello\n50%\r100%\n"),
        msg("stream", "m1", name="stderr", text="careful\n"))
    run(router, "1/0", "m2", 2,
        msg("error", "m2", ename="ZeroDivisionError", evalue="division by zero", traceback=TRACEBACK),
        status="error")
    run(router, "plot()", "m3", 3,
        msg("display_data", "m3", data={"image/png": PNG + "\n", "text/plain": "<Figure size 640x480 with 1 Axes>"},
            metadata={"image/png": {"width": 10, "height": 8}}))
    run(router, "df", "m4", 4,
        msg("execute_result", "m4", execution_count=4, metadata={},
            data={"text/html": '<table class="dataframe"><tr><th>a</th></tr><tr><td>1</td></tr></table>',
                  "text/plain": "   a\n0  1"}))
    run(router, "h = display(Markdown('first'), display_id=True)", "m5", 5,
        msg("display_data", "m5", data={"text/markdown": "first", "text/plain": "<Markdown>"}, metadata={},
            transient={"display_id": "d1"}))
    run(router, "h.update(Markdown('**final** version'))", "m6", 6,
        msg("update_display_data", "m6", data={"text/markdown": "**final** version", "text/plain": "<Markdown>"},
            metadata={"updated": True}, transient={"display_id": "d1"}))
    run(router, "latex and json", "m7", 7,
        msg("display_data", "m7", data={"text/latex": "$x^2 < 1$", "text/plain": "x**2 < 1"}, metadata={}),
        msg("execute_result", "m7", execution_count=7, metadata={},
            data={"application/json": {"a": [1, 2], "b": None}, "text/plain": "{'a': [1, 2], 'b': None}"}))
    run(router, "SVG(...); HTML(...)", "m8", 8,
        msg("display_data", "m8", data={"image/svg+xml": SVG, "text/plain": "<SVG>"}, metadata={}),
        msg("execute_result", "m8", execution_count=8, metadata={},
            data={"text/html": EVIL_HTML, "text/plain": "<HTML>"}))
    router.handle_iopub(msg("execute_input", "other-1", code="x = 41 + 1\nprint(x)", execution_count=9))
    router.handle_iopub(msg("stream", "other-1", name="stdout", text="42\n"))
    router.handle_iopub(msg("status", "other-1", execution_state="idle"))
    router.handle_iopub(msg("stream", None, name="stdout", text="from a thread\n"))
    transcript.add_notice("Kernel restarted", "warning")
    return transcript


class _Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


def assert_inert(page: str) -> None:
    """No script, handler, frame, plugin or outside reference anywhere in the page."""
    lowered = page.lower()
    assert "<script" not in lowered
    assert "<iframe" not in lowered and "<object" not in lowered and "<embed" not in lowered
    for tag, attrs in tags(page):
        assert tag not in ("script", "iframe", "object", "embed", "svg", "link", "base", "form"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href"):
                assert value is not None and (value.startswith("data:") or value.startswith("#")), (tag, value)
