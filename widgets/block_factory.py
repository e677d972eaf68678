"""Turns transcript entries (cells, notices) into the blocks the view stacks."""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

from pygments.lexer import Lexer

from conch.app.model.mime import RASTER_TYPES, RICHNESS_ORDER, metadata_size
from conch.app.model.outputs import ErrorOutput, Output, RichOutput, StreamOutput
from conch.app.model.style import Style
from conch.app.model.plain_text import input_prompt, output_prompt
from conch.app.model.transcript import Cell, Entry, Notice, OutsideOutput
from conch.app.model.terminal_text import TerminalText
from conch.widgets.blocks import Block, ImageBlock, StaticLines, TextBlock
from conch.widgets.blocks.failed_block import BlankBlock, FailedBlock, report_failure
from conch.widgets.blocks.latex_block import LatexBlock
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.blocks.svg_block import SvgBlock
from conch.app.look.highlight import highlight_lines
from conch.widgets.latex_renderer import LatexRenderer
from conch.widgets.theme import Theme

RENDERABLE = RICHNESS_ORDER
"""MIME types the transcript view draws (all of the model's table); everything else falls
back to text/plain."""

_CELL_GAP = 8


class BlockFactory:
    """Builds and caches blocks per entry and output, so that a growing stream keeps its block.

    Isolation: a block that cannot be built (or that the view found failing later, see
    :meth:`replace`) is a :class:`FailedBlock` in the cache, until its output changes."""

    def __init__(self, theme: Theme, lexer: Lexer) -> None:
        self.theme = theme
        self.lexer = lexer
        self._input_blocks: dict[int, tuple[Cell, str, Lexer, Block]] = {}
        self._notice_blocks: dict[int, tuple[Notice, Block]] = {}
        # per cell: output id -> (output, revision, block); rebuilt on every change so that
        # outputs removed by clear_output release their blocks.
        self._output_blocks: dict[int, dict[int, tuple[Output, int, Block]]] = {}

    def retheme(self, theme: Theme) -> None:
        """Make blocks in ``theme`` from now on. Stream and error text keeps its blocks (their
        ANSI colours are looked up when painting; only the stderr tint is set here): a
        million-line stream is not built again. Everything else is built again when asked for."""
        self.theme = theme
        self._input_blocks.clear()
        self._notice_blocks.clear()
        for outputs in self._output_blocks.values():
            for key, (output, revision, block) in list(outputs.items()):
                if isinstance(output, (StreamOutput, ErrorOutput)) and isinstance(block, TextBlock):
                    if isinstance(output, StreamOutput) and output.kind == "stderr":
                        block.background = theme.stderr_background
                else:
                    del outputs[key]

    def forget_all(self) -> None:
        self._input_blocks.clear()
        self._notice_blocks.clear()
        self._output_blocks.clear()

    def blocks_for(self, entry: Entry) -> list[Block]:
        if isinstance(entry, Notice):
            cached_notice = self._notice_blocks.get(id(entry))
            if cached_notice is None or cached_notice[0] is not entry:
                block = self._guarded("notice", lambda: self._notice(entry), entry.text, _CELL_GAP)
                cached_notice = self._notice_blocks[id(entry)] = (entry, block)
            return [cached_notice[1]]
        blocks: list[Block] = [self._input(entry)]
        previous = self._output_blocks.get(id(entry), {})
        current: dict[int, tuple[Output, int, Block]] = {}
        for output in entry.outputs:
            revision = output.revision if isinstance(output, RichOutput) else 0
            cached = previous.get(id(output))
            if cached is None or cached[0] is not output or cached[1] != revision:
                build = partial(self._make_output_block, entry, output)
                gutter = _out_prompt(output) if isinstance(output, RichOutput) and output.kind == "result" else ""
                made = self._guarded(output.mime_type, build, output.text, gutter=gutter)
                cached = (output, revision, made)
            current[id(output)] = cached
            blocks.append(cached[2])
        self._output_blocks[id(entry)] = current
        return blocks

    def fit(self, block: Block, measure: Callable[[Block], int], *, sync: bool = False) -> tuple[Block, int]:
        """``block`` (synced first if asked) and its height by ``measure``; if either raises,
        its fallback (from now on in its place, see :meth:`replace`) and the fallback's height."""
        for _ in range(3):  # the block, its FailedBlock, a BlankBlock
            step = "sync"
            try:
                if sync:
                    block.sync()
                step = "layout"
                return block, measure(block)
            except Exception as error:  # noqa: BLE001 - isolation: one block, not the console
                block, sync = self.replace(block, step, error), False
        return BlankBlock(), 0

    def replace(self, block: Block, step: str, error: BaseException) -> Block:
        """``block`` failed in ``step`` ("sync", "layout", "paint"): the :class:`FailedBlock`
        that stands for it from now on (cached in its place; logged once per kind of failure).
        Should a fallback fail too, a :class:`BlankBlock` replaces it: nothing loops."""
        reason = report_failure(type(block).__name__, step, error)

        def fallback(text: str) -> Block:
            return BlankBlock() if isinstance(block, (FailedBlock, BlankBlock)) else self._failed(text, reason, block)

        for key, (cell, code, lexer, cached) in self._input_blocks.items():
            if cached is block:
                self._input_blocks[key] = (cell, code, lexer, made := fallback(code))
                return made
        for key, (notice, cached) in self._notice_blocks.items():
            if cached is block:
                self._notice_blocks[key] = (notice, made := fallback(notice.text))
                return made
        for outputs in self._output_blocks.values():
            for key, (output, revision, cached) in outputs.items():
                if cached is block:
                    outputs[key] = (output, revision, made := fallback(output.text))
                    return made
        return fallback(getattr(block, "fallback_text", ""))

    def _guarded(
        self, what: str, build: Callable[[], Block], text: str, margin_top: int = 0, gutter: str = ""
    ) -> Block:
        """``build()``, or a :class:`FailedBlock` of ``text`` if it raises."""
        try:
            return build()
        except Exception as error:  # noqa: BLE001 - one bad output must not stop the console
            reason = report_failure(f"{what} block", "build", error)
            return FailedBlock(text, reason, self.theme.notice["error"], gutter=gutter,
                               gutter_color=self.theme.out_prompt, margin_top=margin_top)

    def _failed(self, text: str, reason: str, block: Block) -> Block:
        return FailedBlock(
            text, reason, self.theme.notice["error"],
            gutter=block.gutter, gutter_color=block.gutter_color, margin_top=block.margin_top,
        )

    def _notice(self, notice: Notice) -> Block:
        if notice.level == "banner":  # the kernel's greeting: plain text, as a terminal shows it
            return TextBlock(StaticLines.plain(notice.text), foreground=self.theme.notice["info"], margin_top=_CELL_GAP)
        colour = self.theme.notice.get(notice.level, self.theme.foreground)
        return TextBlock(
            StaticLines.plain(f"— {notice.text}", Style(italic=True)),
            foreground=colour,
            margin_top=_CELL_GAP,
        )

    def _input(self, cell: Cell) -> Block:
        cached = self._input_blocks.get(id(cell))
        if cached is None or cached[0] is not cell or cached[1] != cell.code or cached[2] is not self.lexer:
            block = self._guarded("input", lambda: self._make_input_block(cell), cell.code, _CELL_GAP)
            self._input_blocks[id(cell)] = (cell, cell.code, self.lexer, block)
        else:
            block = cached[3]
        if not isinstance(cell, OutsideOutput):
            block.gutter = _in_prompt(cell)
            block.gutter_color = self.theme.foreign_marker if cell.foreign else self.theme.in_prompt
        return block

    def _make_input_block(self, cell: Cell) -> Block:
        if isinstance(cell, OutsideOutput):  # no code: a header line, as a notice looks
            header = StaticLines.plain(f"— {OutsideOutput.HEADER}", Style(italic=True))
            return TextBlock(header, foreground=self.theme.notice["info"], margin_top=_CELL_GAP)
        lines = highlight_lines(cell.code, self.lexer, self.theme.code_style) if cell.code else [[("", Style())]]
        background = self.theme.foreign_background if cell.foreign else None
        return TextBlock(StaticLines(lines), margin_top=_CELL_GAP, background=background, padding=1 if background else 0)

    def _make_output_block(self, cell: Cell, output: Output) -> Block:
        if isinstance(output, StreamOutput):
            background = self.theme.stderr_background if output.kind == "stderr" else None
            return TextBlock(output.content, background=background, padding=1 if background else 0)
        if isinstance(output, ErrorOutput):
            return TextBlock(output.content)
        gutter = _out_prompt(output) if output.kind == "result" else ""
        prompt = {"gutter": gutter, "gutter_color": self.theme.out_prompt}
        mime = output.mime_type
        if mime in RASTER_TYPES or mime == "image/svg+xml":
            size = output.mime_metadata(mime)
            width, height = metadata_size(size.get("width")), metadata_size(size.get("height"))
            if mime == "image/svg+xml":
                return SvgBlock(output.source(mime), width=width, height=height, fallback_text=output.text, **prompt)
            # The base64 text: the block decodes it off the GUI thread (bad data is no exception here).
            return ImageBlock(output.source(mime), width=width, height=height, fallback_text=output.text, **prompt)
        if mime in ("text/html", "text/markdown"):
            return RichTextBlock(
                output.source(mime), markdown=mime == "text/markdown", fallback_text=output.text, theme=self.theme,
                **prompt,
            )
        if mime == "text/latex":
            return LatexBlock(output.source(mime), LatexRenderer.shared(), **prompt)
        if mime == "application/json":
            text = TerminalText()
            text.feed(json.dumps(output.data[mime], indent=2, ensure_ascii=False))
            return TextBlock(text, **prompt)
        return TextBlock(output.plain, **prompt)




def _in_prompt(cell: Cell) -> str:
    return input_prompt(cell).rstrip()


def _out_prompt(output: RichOutput) -> str:
    return output_prompt(output).rstrip()
