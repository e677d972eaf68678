"""The transcript view's text selection: an anchor and a head, each a (block, position)."""
from __future__ import annotations

from conch.widgets.blocks import Block, TextPosition

Anchor = tuple[Block, TextPosition]
Span = tuple[TextPosition, TextPosition]


class Selection:
    """Where a mouse selection started (anchor) and where it is now (head), ordered by the
    view's block order: ``block_index`` maps ``id(block)`` to its index and is kept current by
    the view; a block that left the view ends the selection."""

    def __init__(self, block_index: dict[int, int]) -> None:
        self._index = block_index
        self.anchor: Anchor | None = None
        self.head: Anchor | None = None

    def set(self, anchor: Anchor | None, head: Anchor | None) -> None:
        self.anchor, self.head = anchor, head

    def clear(self) -> None:
        self.anchor = self.head = None

    def select_all(self, blocks: list[Block]) -> None:
        if blocks:
            self.set((blocks[0], blocks[0].start()), (blocks[-1], blocks[-1].end()))

    def ordered(self) -> tuple[Anchor, Anchor] | None:
        """(start, end) in reading order, or None without a selection."""
        if self.anchor is None or self.head is None:
            return None
        a_index = self._index.get(id(self.anchor[0]))
        h_index = self._index.get(id(self.head[0]))
        if a_index is None or h_index is None:
            return None
        if (a_index, self.anchor[1]) <= (h_index, self.head[1]):
            return self.anchor, self.head
        return self.head, self.anchor

    def in_block(self, index: int, block: Block, ordered: tuple[Anchor, Anchor] | None) -> Span | None:
        """The selected part of ``block`` (at ``index``), given :meth:`ordered`'s answer."""
        if ordered is None:
            return None
        (b0, p0), (b1, p1) = ordered
        i0, i1 = self._index[id(b0)], self._index[id(b1)]
        if not i0 <= index <= i1 or (b0 is b1 and p0 == p1):
            return None
        return (p0 if index == i0 else block.start(), p1 if index == i1 else block.end())

    def text(self, blocks: list[Block]) -> str:
        """The selected text, the blocks' parts joined by line breaks."""
        ordered = self.ordered()
        if ordered is None:
            return ""
        (b0, p0), (b1, p1) = ordered
        parts = []
        for index in range(self._index[id(b0)], self._index[id(b1)] + 1):
            block = blocks[index]
            start = p0 if block is b0 else block.start()
            end = p1 if block is b1 else block.end()
            parts.append(block.text_between(start, end))
        return "\n".join(parts)
