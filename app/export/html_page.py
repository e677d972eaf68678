"""A transcript as one self-contained, script-free HTML page, styled like the console (Qt-free).

Prompts and code in a monospace column, stderr tinted, ANSI colours as inline styles, images
inline as ``data:`` URIs (SVG too, as an ``<img>``, where it cannot run scripts), HTML and
Markdown outputs rebuilt from a whitelist (:mod:`conch.app.export.sanitize`), LaTeX as its
source. The page holds no ``<script>`` and forbids every outside resource with its
Content-Security-Policy.
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from conch.app.export.atomic import write_text_atomically
from conch.app.export.sanitize import sanitize_html
from conch.app.look.palette import LIGHT, Palette, style_css
from conch.app.model.mime import RASTER_TYPES, RICHNESS_ORDER, metadata_size
from conch.app.model.outputs import ErrorOutput, Output, RichOutput, StreamOutput
from conch.app.model.plain_text import input_prompt, output_prompt
from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.app.model.terminal_text import TerminalText
from conch.app.model.transcript import Cell, Notice, OutsideOutput, Transcript

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""No scripts, no outside resources: images only as ``data:``, styles only inline."""

_LATEX = "text/latex"
_AFTER_IMAGES = RICHNESS_ORDER.index(RASTER_TYPES[-1]) + 1
EXPORT_ORDER: tuple[str, ...] = (
    *(m for m in RICHNESS_ORDER[:_AFTER_IMAGES] if m != _LATEX), _LATEX, *RICHNESS_ORDER[_AFTER_IMAGES:]
)
"""Which representation of a bundle the page shows, first found wins. The console's order
(``conch.app.model.mime``), except that an image beats LaTeX (the page shows LaTeX only as its
source)."""

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_WHITESPACE = re.compile(r"\s+")


def transcript_to_html(
    transcript: Transcript,
    *,
    title: str,
    palette: Palette | None = None,
    language_info: Mapping[str, Any] | None = None,
) -> str:
    """The whole page: every cell, output and notice of ``transcript``, oldest first.

    ``language_info`` (the kernel's, as in ``kernel_info``) picks the highlighting of code;
    Python without it."""
    colours = palette or LIGHT
    highlight = _highlighter(language_info, colours)
    body: list[str] = []
    for entry in transcript.entries:
        if isinstance(entry, Notice):
            body.append(_notice_html(entry))
        else:
            body.append(_cell_html(entry, colours, highlight))
    return "".join(
        [
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            f'<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP)}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="generator" content="Conch">\n',
            f"<title>{html.escape(title, quote=False)}</title>\n",
            f"<style>\n{page_css(colours)}</style>\n</head>\n",
            f'<body>\n<main class="transcript">\n{"".join(body)}</main>\n</body>\n</html>\n',
        ]
    )


def write_html(
    transcript: Transcript,
    path: str | os.PathLike[str],
    *,
    title: str,
    palette: Palette | None = None,
    language_info: Mapping[str, Any] | None = None,
) -> None:
    """Write :func:`transcript_to_html` to ``path`` (UTF-8, atomically)."""
    page = transcript_to_html(transcript, title=title, palette=palette, language_info=language_info)
    write_text_atomically(path, page)


def page_css(palette: Palette) -> str:
    """The page's style sheet in ``palette``'s colours."""
    p = palette
    return f"""\
:root {{ color-scheme: {"dark" if p.dark else "light"}; }}
body {{ margin: 0; background: {p.background}; color: {p.foreground};
  font: 13px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }}
main {{ padding: 8px 16px 24px; }}
pre {{ margin: 0; font: inherit; white-space: pre-wrap; overflow-wrap: anywhere; }}
.cell, .notice {{ margin-top: 8px; }}
.row {{ display: flex; align-items: flex-start; }}
.prompt {{ flex: 0 0 auto; min-width: 10ch; padding-right: 1ch; white-space: pre;
  user-select: none; }}
.prompt.in {{ color: {p.in_prompt}; }}
.prompt.out {{ color: {p.out_prompt}; }}
.foreign .prompt.in {{ color: {p.foreign_marker}; }}
.foreign .code {{ background: {p.foreign_background}; padding: 1px; }}
.body {{ flex: 1 1 auto; min-width: 0; overflow-x: auto; }}
.stderr {{ background: {p.stderr_background}; padding: 1px; }}
.header, .notice {{ font-style: italic; }}
.header {{ color: {p.notice_info}; }}
.notice.info, .notice.banner {{ color: {p.notice_info}; }}
.notice.banner {{ font-style: normal; }}
.notice.warning {{ color: {p.notice_warning}; }}
.notice.error {{ color: {p.notice_error}; }}
.rich {{ font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }}
.rich pre, .rich code {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }}
.rich table {{ border-collapse: collapse; margin: 4px 0; font-size: 13px; }}
.rich th, .rich td {{ padding: 3px 8px; border-bottom: 1px solid {p.rule}; text-align: right; }}
.rich thead th {{ border-bottom: 1px solid {p.foreground}; }}
.rich a {{ color: {p.link}; }}
.rich > :first-child {{ margin-top: 0; }}
.rich > :last-child {{ margin-bottom: 0; }}
img {{ max-width: 100%; height: auto; }}
{f"img.svg {{ background: {p.image_card}; }}" if p.dark else ""}
"""


# -- entries -----------------------------------------------------------------------------------
def _notice_html(notice: Notice) -> str:
    level = notice.level if notice.level in ("info", "warning", "error", "banner") else "info"
    text = notice.text if level == "banner" else f"— {notice.text}"
    return f'<pre class="notice {level}">{html.escape(text, quote=False)}</pre>\n'


def _cell_html(cell: Cell, palette: Palette, highlight: Callable[[str], str]) -> str:
    classes = "cell foreign" if cell.foreign else "cell"
    parts: list[str] = []
    if isinstance(cell, OutsideOutput):
        classes += " outside"
        parts.append(f'<pre class="header">— {html.escape(OutsideOutput.HEADER, quote=False)}</pre>\n')
    else:
        prompt = html.escape(input_prompt(cell).rstrip(), quote=False)
        parts.append(
            f'<div class="row input"><span class="prompt in">{prompt}</span>'
            f'<pre class="body code">{highlight(cell.code)}</pre></div>\n'
        )
    for output in cell.outputs:
        parts.append(_output_row(output, palette))
    return f'<section class="{classes}">\n{"".join(parts)}</section>\n'


def _output_row(output: Output, palette: Palette) -> str:
    prompt = ""
    if isinstance(output, RichOutput) and output.kind == "result":
        prompt = html.escape(output_prompt(output).rstrip(), quote=False)
    content = output_html(output, palette)
    return f'<div class="row output"><span class="prompt out">{prompt}</span><div class="body">{content}</div></div>\n'


def output_html(output: Output, palette: Palette) -> str:
    """One output as the page shows it (without its prompt)."""
    if isinstance(output, StreamOutput):
        cls = "stream stderr" if output.kind == "stderr" else "stream stdout"
        return f'<pre class="{cls}">{terminal_html(output.content, palette)}</pre>'
    if isinstance(output, ErrorOutput):
        return f'<pre class="error">{terminal_html(output.content, palette)}</pre>'
    return _rich_html(output, palette)


def _rich_html(output: RichOutput, palette: Palette) -> str:
    for mime in EXPORT_ORDER:
        if mime not in output.data:
            continue
        shown = _represent(output, mime, palette)
        if shown is not None:
            return shown
    return f'<pre class="plain">{terminal_html(output.plain, palette)}</pre>'


def _represent(output: RichOutput, mime: str, palette: Palette) -> str | None:
    """``output`` shown as ``mime``; None if that representation is unusable."""
    if mime == "text/html":
        return f'<div class="rich html">{sanitize_html(output.source(mime))}</div>'
    if mime == "text/markdown":
        render = _markdown_renderer()
        if render is None:
            return f'<pre class="markdown">{html.escape(output.source(mime), quote=False)}</pre>'
        return f'<div class="rich markdown">{sanitize_html(render(output.source(mime)))}</div>'
    if mime == "text/latex":
        return f'<pre class="latex">{html.escape(output.source(mime), quote=False)}</pre>'
    if mime == "application/json":
        try:
            text = json.dumps(output.data[mime], indent=2, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return None
        return f'<pre class="json">{html.escape(text, quote=False)}</pre>'
    if mime == "image/svg+xml":
        encoded = base64.b64encode(output.source(mime).encode("utf-8")).decode("ascii")
        return _image(output, mime, encoded, "svg")
    if mime in RASTER_TYPES:
        encoded = _WHITESPACE.sub("", output.source(mime))
        if not encoded or _BASE64.fullmatch(encoded) is None:
            return None
        return _image(output, mime, encoded, "raster")
    if mime == "text/plain":
        return f'<pre class="plain">{terminal_html(output.plain, palette)}</pre>'
    return None


def _image(output: RichOutput, mime: str, encoded: str, kind: str) -> str:
    size = output.mime_metadata(mime)
    attributes = [f'class="{kind}"', f'src="data:{mime};base64,{encoded}"']
    for name in ("width", "height"):
        number = _dimension(size.get(name))
        if number is not None:
            attributes.append(f'{name}="{number}"')
    alt = output.text.strip()
    if alt:
        attributes.append(f'alt="{html.escape(alt[:200], quote=True)}"')
    return f"<img {' '.join(attributes)}>"


def _dimension(value: object) -> int | None:
    """A metadata width/height in whole pixels (below a million), else None."""
    number = metadata_size(value)
    return round(number) if number is not None and number < 1e6 else None


# -- styled text ---------------------------------------------------------------------------------
def terminal_html(text: TerminalText, palette: Palette) -> str:
    """The lines of terminal text with their SGR styles as ``<span style>``."""
    return "\n".join(spans_html(text.line_spans(i), palette) for i in range(text.line_count()))


def spans_html(spans: Iterable[Span], palette: Palette) -> str:
    """Styled runs as escaped HTML (adjacent runs of one style in one ``<span>``)."""
    parts: list[str] = []
    pieces: list[str] = []
    current: Style | None = None
    for piece, style in spans:
        if style != current and pieces and current is not None:
            parts.append(_span_html("".join(pieces), current, palette))
            pieces = []
        pieces.append(piece)
        current = style
    if pieces and current is not None:
        parts.append(_span_html("".join(pieces), current, palette))
    return "".join(parts)


def _span_html(piece: str, style: Style, palette: Palette) -> str:
    escaped = html.escape(piece, quote=False)
    if style is DEFAULT_STYLE or style == DEFAULT_STYLE or not piece:
        return escaped
    css = style_css(style, palette)
    return f'<span style="{css}">{escaped}</span>' if css else escaped


# -- code and Markdown ---------------------------------------------------------------------------
def _highlighter(language_info: Mapping[str, Any] | None, palette: Palette) -> Callable[[str], str]:
    """Code as highlighted HTML lines, in the palette's code style (plain if lexing fails)."""
    from pygments.lexers import PythonLexer

    from conch.app.look.code_style import CODE_STYLES, ConchLightStyle
    from conch.app.look.highlight import lexer_for, token_style

    lexer = lexer_for(dict(language_info)) if language_info else PythonLexer(stripnl=False, ensurenl=False)
    code_style = CODE_STYLES.get(palette.code_style, ConchLightStyle)

    def highlight(code: str) -> str:
        try:
            spans = [(value, token_style(token, code_style)) for token, value in lexer.get_tokens(code)]
        except Exception:  # noqa: BLE001 - a lexer's bug must not lose the code
            return html.escape(code, quote=False)
        return spans_html(spans, palette)

    return highlight


@lru_cache(maxsize=1)
def _markdown_renderer() -> Callable[[str], str] | None:
    """markdown-it-py's CommonMark (tables, strikethrough) with raw HTML escaped, if installed."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return None
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).render
