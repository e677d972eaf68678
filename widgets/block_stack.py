"""The transcript's blocks flattened top to bottom, with where each one starts."""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from conch.app.model.transcript import Entry
from conch.widgets.blocks import Block
from conch.widgets.theme import Metrics

ScrollAnchor = tuple[Block, object, int]
"""A block, what is at the top of the viewport inside it, and how far below that the top is."""


class BlockStack:
    """Per entry its blocks and their heights (margins and scroll strips included), and the
    flattened list of all blocks with their tops, a prefix sum rebuilt from the first changed
    entry only (what is above it does not move)."""

    def __init__(self) -> None:
        self.entry_blocks: list[list[Block]] = []
        self.entry_heights: list[list[int]] = []
        self._entry_index: dict[int, int] = {}
        self.blocks: list[Block] = []
        self.tops: list[int] = [0]
        """tops[i] = document y where block i starts; tops[-1] = the total height."""
        self.index: dict[int, int] = {}
        """id(block) → its index in :attr:`blocks` (kept up to date in place)."""
        self._entry_start: list[int] = [0]  # index in blocks of each entry's first block

    @property
    def height(self) -> int:
        return self.tops[-1]

    def add_entry(self, entry: Entry) -> int:
        """Make room for a new last entry (laid out later); its position."""
        self._entry_index[id(entry)] = len(self.entry_blocks)
        self.entry_blocks.append([])
        self.entry_heights.append([])
        return len(self.entry_blocks) - 1

    def entry_position(self, entry: Entry) -> int | None:
        return self._entry_index.get(id(entry))

    def clear(self) -> None:
        self.entry_blocks.clear()
        self.entry_heights.clear()
        self._entry_index.clear()
        self._entry_start = [0]
        self.rebuild_from(0)

    def set_entry(self, position: int, blocks: list[Block], heights: list[int]) -> None:
        """New blocks for an entry; call :meth:`rebuild_from` afterwards."""
        self.entry_blocks[position] = blocks
        self.entry_heights[position] = heights

    def remeasure(self, fit: Callable[[Block], tuple[Block, int]]) -> None:
        """Every block's height again (the width or font changed). ``fit`` gives the block to
        keep (itself, or what replaces it if it failed) and its height."""
        for blocks, heights in zip(self.entry_blocks, self.entry_heights):
            fitted = [fit(block) for block in blocks]
            blocks[:] = [block for block, _ in fitted]
            heights[:] = [height for _, height in fitted]
        self.rebuild_from(0)

    def entry_of(self, block: Block) -> int | None:
        """The position of the entry ``block`` belongs to (None if it is not in the stack)."""
        index = self.index.get(id(block))
        return None if index is None else bisect_right(self._entry_start, index) - 1

    def entry_top(self, position: int) -> int:
        """Document y where the entry at ``position`` starts (the end if it has no blocks yet)."""
        return self.tops[min(self._entry_start[position], len(self.blocks))]

    def index_at(self, doc_y: float) -> int:
        """The index of the block at document y, clamped to the stack (-1 when it is empty)."""
        return min(len(self.blocks) - 1, max(0, bisect_right(self.tops, doc_y) - 1))

    def rebuild_from(self, first_entry: int) -> None:
        """Re-flatten blocks and their tops from ``first_entry`` on; earlier ones are untouched."""
        del self._entry_start[first_entry + 1:]
        start = self._entry_start[first_entry] if first_entry < len(self._entry_start) else len(self.blocks)
        for block in self.blocks[start:]:
            self.index.pop(id(block), None)
        del self.blocks[start:]
        del self.tops[start + 1:]
        top = self.tops[start]
        for i in range(first_entry, len(self.entry_blocks)):
            if i >= len(self._entry_start):
                self._entry_start.append(len(self.blocks))
            for block, height in zip(self.entry_blocks[i], self.entry_heights[i]):
                self.index[id(block)] = len(self.blocks)
                self.blocks.append(block)
                top += height
                self.tops.append(top)

    # -- keeping a reader's place --------------------------------------------------------------
    def anchor(self, doc_y: int, metrics: Metrics) -> ScrollAnchor | None:
        """What is at document y (the top of the viewport), to find again after a relayout."""
        if not self.blocks:
            return None
        index = self.index_at(doc_y)
        block = self.blocks[index]
        content_y = doc_y - self.tops[index] - block.margin_top
        try:
            key = block.anchor_at(metrics, content_y)
            found = block.anchor_y(metrics, key)
        except Exception:  # noqa: BLE001 - a block's bug costs the reader's place, nothing more
            return None
        return block, key, content_y - (found if found is not None else content_y)

    def find(self, anchor: ScrollAnchor, metrics: Metrics) -> int | None:
        """The document y of an anchor now (None if its block or line has gone)."""
        block, key, delta = anchor
        index = self.index.get(id(block))
        if index is None:
            return None
        try:
            found = block.anchor_y(metrics, key)
        except Exception:  # noqa: BLE001 - as in anchor()
            found = None
        if found is None:
            return self.tops[index]  # its line left the front: the block's start is nearest
        return self.tops[index] + block.margin_top + found + delta
