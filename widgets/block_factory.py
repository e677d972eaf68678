"""Turns transcript entries (cells, notices) into the blocks the view stacks."""
from __future__ import annotations

import json

from pygments.lexer import Lexer

from conch.app.model.outputs import ErrorOutput, Output, RichOutput, StreamOutput
from conch.app.model.style import Style
from conch.app.model.plain_text import input_prompt, output_prompt
from conch.app.model.transcript import Cell, Entry, Notice
from conch.app.model.terminal_text import TerminalText
from conch.widgets.blocks import Block, ImageBlock, StaticLines, TextBlock
from conch.widgets.blocks.latex_block import LatexBlock
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.blocks.svg_block import SvgBlock
from conch.widgets.highlight import highlight_lines
from conch.widgets.latex_renderer import LatexRenderer
from conch.widgets.theme import Theme

IMAGE_TYPES = ("image/png", "image/jpeg")
RENDERABLE = (
    "text/html",
    "text/markdown",
    "text/latex",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "application/json",
    "text/plain",
)
"""MIME types the transcript view draws; everything else falls back to text/plain."""

_CELL_GAP = 8


class BlockFactory:
    """Builds and caches blocks per output, so that a growing stream keeps its block."""

    def __init__(self, theme: Theme, lexer: Lexer) -> None:
        self.theme = theme
        self.lexer = lexer
        self._input_blocks: dict[int, tuple[Cell, str, Lexer, TextBlock]] = {}
        # per cell: output id -> (output, revision, block); rebuilt on every change so that
        # outputs removed by clear_output release their blocks.
        self._output_blocks: dict[int, dict[int, tuple[Output, int, Block]]] = {}

    def forget_all(self) -> None:
        self._input_blocks.clear()
        self._output_blocks.clear()

    def blocks_for(self, entry: Entry) -> list[Block]:
        if isinstance(entry, Notice):
            return [self._notice(entry)]
        blocks: list[Block] = [self._input(entry)]
        previous = self._output_blocks.get(id(entry), {})
        current: dict[int, tuple[Output, int, Block]] = {}
        for output in entry.outputs:
            revision = output.revision if isinstance(output, RichOutput) else 0
            cached = previous.get(id(output))
            if cached is None or cached[0] is not output or cached[1] != revision:
                cached = (output, revision, self._make_output_block(entry, output))
            current[id(output)] = cached
            blocks.append(cached[2])
        self._output_blocks[id(entry)] = current
        return blocks

    def _notice(self, notice: Notice) -> Block:
        if notice.level == "banner":  # the kernel's greeting: plain text, as a terminal shows it
            return TextBlock(StaticLines.plain(notice.text), foreground=self.theme.notice["info"], margin_top=_CELL_GAP)
        colour = self.theme.notice.get(notice.level, self.theme.foreground)
        return TextBlock(
            StaticLines.plain(f"— {notice.text}", Style(italic=True)),
            foreground=colour,
            margin_top=_CELL_GAP,
        )

    def _input(self, cell: Cell) -> TextBlock:
        cached = self._input_blocks.get(id(cell))
        if cached is None or cached[0] is not cell or cached[1] != cell.code or cached[2] is not self.lexer:
            lines = highlight_lines(cell.code, self.lexer) if cell.code else [[("", Style())]]
            background = self.theme.foreign_background if cell.foreign else None
            block = TextBlock(StaticLines(lines), margin_top=_CELL_GAP, background=background, padding=1 if background else 0)
            self._input_blocks[id(cell)] = (cell, cell.code, self.lexer, block)
        else:
            block = cached[3]
        block.gutter = _in_prompt(cell)
        block.gutter_color = self.theme.foreign_marker if cell.foreign else self.theme.in_prompt
        return block

    def _make_output_block(self, cell: Cell, output: Output) -> Block:
        if isinstance(output, StreamOutput):
            background = self.theme.stderr_background if output.kind == "stderr" else None
            return TextBlock(output.content, background=background, padding=1 if background else 0)
        if isinstance(output, ErrorOutput):
            return TextBlock(output.content)
        gutter = _out_prompt(output) if output.kind == "result" else ""
        prompt = {"gutter": gutter, "gutter_color": self.theme.out_prompt}
        mime = output.mime_type
        if mime in IMAGE_TYPES or mime == "image/svg+xml":
            size = output.mime_metadata(mime)
            width, height = _number(size.get("width")), _number(size.get("height"))
            if mime == "image/svg+xml":
                return SvgBlock(output.source(mime), width=width, height=height, fallback_text=output.text, **prompt)
            # The base64 text: the block decodes it off the GUI thread (bad data is no exception here).
            return ImageBlock(output.source(mime), width=width, height=height, fallback_text=output.text, **prompt)
        if mime in ("text/html", "text/markdown"):
            return RichTextBlock(
                output.source(mime), markdown=mime == "text/markdown", fallback_text=output.text, **prompt
            )
        if mime == "text/latex":
            return LatexBlock(output.source(mime), LatexRenderer.shared(), **prompt)
        if mime == "application/json":
            text = TerminalText()
            text.feed(json.dumps(output.data[mime], indent=2, ensure_ascii=False))
            return TextBlock(text, **prompt)
        return TextBlock(output.plain, **prompt)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _in_prompt(cell: Cell) -> str:
    return input_prompt(cell).rstrip()


def _out_prompt(output: RichOutput) -> str:
    return output_prompt(output).rstrip()
