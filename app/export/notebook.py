"""A transcript as a Jupyter notebook (nbformat v4, Qt-free).

Each cell becomes a code cell with its outputs as the console holds them now: stream text
after ``\\r``/``\\b`` and cursor movement (what the console shows, trimmed scrollback
included), MIME bundles in their final state (after ``update_display_data``), errors with
their traceback. Cells another client ran are marked ``{"conch": {"foreign": true}}``,
output from outside any cell is an empty code cell marked ``{"conch": {"outside": true}}``,
and notices (kernel restarted, died, the banner) are Markdown cells marked
``{"conch": {"notice": level}}``.
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import nbformat
from nbformat import NotebookNode
from nbformat import v4

from conch.app.export.atomic import write_text_atomically
from conch.app.model.outputs import ErrorOutput, Output, RichOutput, StreamOutput
from conch.app.model.style import Color, Span, Style
from conch.app.model.transcript import Cell, CellState, Notice, OutsideOutput, Transcript

# nbformat's builders are untyped: typed views of them.
_new_notebook = cast("Callable[..., NotebookNode]", v4.new_notebook)
_new_code_cell = cast("Callable[..., NotebookNode]", v4.new_code_cell)
_new_markdown_cell = cast("Callable[..., NotebookNode]", v4.new_markdown_cell)
_new_output = cast("Callable[..., NotebookNode]", v4.new_output)
_writes = cast("Callable[..., str]", nbformat.writes)

_JSON_MIME = re.compile(r"application/(?:.*\+)?json")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def transcript_to_notebook(
    transcript: Transcript,
    *,
    kernel_name: str,
    display_name: str,
    language_info: Mapping[str, Any],
) -> NotebookNode:
    """The notebook of ``transcript``: one cell per entry, oldest first.

    ``kernel_name``/``display_name`` are the kernelspec's, ``language_info`` the kernel's
    (``kernel_info_reply``); they go into the notebook's metadata."""
    notebook = _new_notebook()
    info = _language_info(language_info)
    kernelspec: dict[str, Any] = {"name": kernel_name, "display_name": display_name}
    if info["name"]:
        kernelspec["language"] = info["name"]
    notebook.metadata["kernelspec"] = kernelspec
    notebook.metadata["language_info"] = info
    for entry in transcript.entries:
        notebook.cells.append(_notice_cell(entry) if isinstance(entry, Notice) else _code_cell(entry))
    return notebook


def write_notebook(
    transcript: Transcript,
    path: str | os.PathLike[str],
    *,
    kernel_name: str,
    display_name: str,
    language_info: Mapping[str, Any],
) -> None:
    """Validate :func:`transcript_to_notebook` and write it to ``path`` atomically.

    Raises ``nbformat.ValidationError`` (nothing written) should the notebook not be valid."""
    notebook = transcript_to_notebook(
        transcript, kernel_name=kernel_name, display_name=display_name, language_info=language_info
    )
    nbformat.validate(notebook)
    text = _writes(notebook, version=4)
    write_text_atomically(path, text if text.endswith("\n") else text + "\n")


# -- cells --------------------------------------------------------------------------------------
def _code_cell(cell: Cell) -> NotebookNode:
    conch: dict[str, Any] = {}
    if isinstance(cell, OutsideOutput):
        conch["outside"] = True
    elif cell.foreign:
        conch["foreign"] = True
    if cell.state in (CellState.QUEUED, CellState.RUNNING, CellState.ABORTED):
        conch["state"] = cell.state.value
    outputs = [converted for output in cell.outputs if (converted := output_to_nbformat(output)) is not None]
    node = _new_code_cell(
        source="" if isinstance(cell, OutsideOutput) else cell.code,
        execution_count=None if isinstance(cell, OutsideOutput) else _count(cell.execution_count),
        outputs=outputs,
    )
    if conch:
        node.metadata["conch"] = conch
    return node


def _notice_cell(notice: Notice) -> NotebookNode:
    if notice.level == "banner":
        fence = "`" * max(3, _longest_run(notice.text, "`") + 1)
        source = f"{fence}\n{notice.text.rstrip(chr(10))}\n{fence}"
    else:
        lines = notice.text.splitlines() or [""]
        first = f"*— {_markdown_escape(lines[0])}*" if lines[0].strip() else "*—*"
        rest = [f"*{_markdown_escape(line)}*" if line.strip() else "" for line in lines[1:]]
        source = "  \n".join([first, *rest])
    node = _new_markdown_cell(source=source)
    node.metadata["conch"] = {"notice": notice.level}
    return node


def output_to_nbformat(output: Output) -> NotebookNode | None:
    """One output as nbformat v4 wants it; None for stream text that shows nothing."""
    if isinstance(output, StreamOutput):
        text = output.text
        if not text:
            return None
        return _new_output("stream", name=output.kind, text=text)
    if isinstance(output, ErrorOutput):
        return _new_output("error", ename=output.ename, evalue=output.evalue, traceback=traceback_lines(output))
    return _rich(output)


def _rich(output: RichOutput) -> NotebookNode:
    data = _bundle(output.data)
    metadata = _clean(output.metadata)
    if output.kind == "result":
        return _new_output(
            "execute_result", data=data, metadata=metadata, execution_count=_count(output.execution_count)
        )
    return _new_output("display_data", data=data, metadata=metadata)


def traceback_lines(output: ErrorOutput) -> list[str]:
    """The traceback's lines with ANSI colours.

    As the kernel sent them if the output keeps them (a ``traceback`` list of strings), else
    rebuilt from the styled lines the console shows (the same colours, normalised SGR)."""
    raw = getattr(output, "traceback", None)
    if raw and isinstance(raw, Sequence) and not isinstance(raw, str) and all(isinstance(line, str) for line in raw):
        return list(raw)
    content = output.content
    return [spans_to_ansi(content.line_spans(i)) for i in range(content.line_count())]


# -- values --------------------------------------------------------------------------------------
def _bundle(data: Mapping[str, Any]) -> dict[str, Any]:
    """A MIME bundle as the schema wants it: JSON types as JSON, every other as one string."""
    bundle: dict[str, Any] = {}
    for mime, value in data.items():
        if not isinstance(mime, str):
            continue
        bundle[mime] = _clean(value) if _JSON_MIME.fullmatch(mime) else _as_text(value)
    return bundle


def _as_text(value: object) -> str:
    """Jupyter allows multi-line strings as lists of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "".join(part if isinstance(part, str) else str(part) for part in value)
    return "" if value is None else str(value)


def _clean(value: Any) -> Any:
    """``value`` as plain JSON: string keys, no NaN or infinity, anything odd as its ``str``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return str(value)


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _language_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """The kernel's ``language_info``, with the fields the schema types dropped if mistyped."""
    cleaned = _clean(info) if isinstance(info, Mapping) else {}
    assert isinstance(cleaned, dict)
    for key in ("file_extension", "mimetype", "pygments_lexer"):
        if key in cleaned and not isinstance(cleaned[key], str):
            del cleaned[key]
    if "codemirror_mode" in cleaned and not isinstance(cleaned["codemirror_mode"], (str, dict)):
        del cleaned["codemirror_mode"]
    if not isinstance(cleaned.get("name"), str):
        cleaned["name"] = ""
    return cleaned


def _markdown_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _longest_run(text: str, char: str) -> int:
    runs = re.findall(f"{re.escape(char)}+", text)
    return max((len(run) for run in runs), default=0)


# -- ANSI ----------------------------------------------------------------------------------------
def spans_to_ansi(spans: Sequence[Span]) -> str:
    """Styled runs as text with SGR escapes (reset before each styled run and at the end)."""
    parts: list[str] = []
    styled = False
    for text, style in spans:
        codes = _sgr(style)
        if codes:
            parts.append(f"\x1b[0;{codes}m")
            styled = True
        elif styled:
            parts.append("\x1b[0m")
            styled = False
        parts.append(text)
    if styled:
        parts.append("\x1b[0m")
    return "".join(parts)


def _sgr(style: Style) -> str:
    codes: list[str] = []
    for on, code in (
        (style.bold, "1"), (style.dim, "2"), (style.italic, "3"),
        (style.underline, "4"), (style.inverse, "7"), (style.strike, "9"),
    ):
        if on:
            codes.append(code)
    if style.fg is not None:
        codes.append(_colour(style.fg, 30, 90, 38))
    if style.bg is not None:
        codes.append(_colour(style.bg, 40, 100, 48))
    return ";".join(codes)


def _colour(colour: Color, base: int, bright: int, extended: int) -> str:
    if isinstance(colour, tuple):
        r, g, b = colour
        return f"{extended};2;{r};{g};{b}"
    if 0 <= colour < 8:
        return str(base + colour)
    if 8 <= colour < 16:
        return str(bright + colour - 8)
    return f"{extended};5;{colour}"
