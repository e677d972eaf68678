"""HTML and Markdown outputs, laid out by a locked-down QTextDocument."""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)

from conch.widgets.blocks.base import Block, TextPosition, tint_selected
from conch.widgets.blocks.safe_document import MARKDOWN_FEATURES, Lifted, SafeDocument, check_budget, lift_data_urls
from conch.widgets.theme import Metrics, Theme

# Qt rich text understands a subset of CSS; these make pandas tables look like tables.
_STYLE_SHEET = """
table {{ border-collapse: collapse; margin: 2px 0; }}
th, td {{ padding: 2px 8px; border: 1px solid {rule}; text-align: right; }}
th {{ background: {table_header}; font-weight: bold; }}
code, pre {{ font-family: monospace; background: {code_background}; }}
pre {{ line-height: 100%; }}
a {{ color: {link}; }}
"""


def document_style_sheet(theme: Theme) -> str:
    """The CSS rich outputs are laid out with, in ``theme``'s colours."""
    p = theme.palette
    return _STYLE_SHEET.format(rule=p.rule, table_header=p.table_header, code_background=p.code_background, link=p.link)


_SLOW_LAYOUT = 0.2
"""Seconds: a document whose layout takes longer keeps the width of its first layout."""


class RichTextBlock(Block):
    """Formatted text from ``text/html`` or ``text/markdown``; selectable as plain text.

    The render budget is checked in the constructor, before Qt sees the text: over it, the
    block raises :class:`RenderRefused` (the view shows the output's text instead, and why).
    What is accepted can still take up to a second or two to lay out (a 20 000-row table);
    a document whose layout took longer than 200 ms keeps the width of that layout: resizing
    the view does not pay for it again (it scrolls sideways when the view is narrower, as a
    wide table does; a new font size lays it out again)."""

    def __init__(
        self,
        source: str,
        *,
        markdown: bool,
        fallback_text: str = "",
        gutter: str = "",
        gutter_color: QColor | None = None,
        theme: Theme | None = None,
    ) -> None:
        self.gutter = gutter
        self.gutter_color = gutter_color
        self.fallback_text = fallback_text
        self._theme = theme or Theme()
        lifted = lift_data_urls(source)
        check_budget(lifted.text, markdown=markdown)
        self._lifted: Lifted | None = lifted
        self._markdown = markdown
        self._document: SafeDocument | None = None
        self._width = -1
        self._point_size = -1.0
        self._height = 0
        self._natural = 0.0
        self.layout_seconds = 0.0
        """How long the last layout took."""
        self.frozen = False
        """The layout keeps its width (it took longer than ``_SLOW_LAYOUT``)."""

    @property
    def document(self) -> SafeDocument:
        if self._document is None:
            document = SafeDocument(theme=self._theme)
            document.setDocumentMargin(2)
            document.setDefaultStyleSheet(document_style_sheet(self._theme))
            # Break lines between words only, as browsers do: a table cell's "…" or number
            # never breaks; what cannot fit makes the document wider (and the block scroll).
            option = QTextOption()
            option.setWrapMode(QTextOption.WrapMode.WordWrap)
            document.setDefaultTextOption(option)
            lifted = self._lifted or Lifted("", {})
            self._lifted = None  # the document holds it now
            document.load(lifted, markdown=self._markdown, features=MARKDOWN_FEATURES)  # checked in __init__
            if self._markdown:
                _underline_links(document)
            self._document = document
        return self._document

    def layout(self, metrics: Metrics, width: int) -> int:
        point_size = metrics.font.pointSizeF()
        if self._document is not None and point_size == self._point_size and (width == self._width or self.frozen):
            return self._height
        document = self.document
        started = time.perf_counter()
        document.setDefaultFont(_proportional(metrics))
        document.fit_images(width)  # embedded images: no wider than the text, no new decode
        document.setTextWidth(width)
        # Paragraphs wrap at the width; a wide table or ``pre`` keeps its natural width,
        # which makes the document wider than ``width`` (the view scrolls it).
        size = document.size()
        self.layout_seconds = time.perf_counter() - started
        self.frozen = self.frozen or self.layout_seconds > _SLOW_LAYOUT
        self._width = width
        self._point_size = point_size
        self._natural = size.width()
        self._height = int(size.height() + 0.999)
        return self._height

    def natural_width(self) -> float:
        # A frozen layout is as wide as it was laid out, whatever the view's width is now.
        return max(self._natural, float(self._width)) if self.frozen else self._natural

    def pending_images(self) -> int:
        """Embedded images still being decoded (their placeholders show meanwhile)."""
        return self._document.pending_images() if self._document is not None else 0

    def paint(
        self,
        painter: QPainter,
        metrics: Metrics,
        theme: Theme,
        top: int,
        clip: tuple[int, int],
        selection: tuple[TextPosition, TextPosition] | None,
        highlight: str = "",
    ) -> None:
        painter.save()
        painter.translate(metrics.gutter_width, top)
        context = QAbstractTextDocumentLayout.PaintContext()
        # The view has translated the painter by -x_offset: what shows starts at x_offset.
        context.clip = QRectF(self.x_offset, clip[0], painter.device().width(), clip[1] - clip[0])
        context.palette.setColor(QPalette.ColorRole.Text, theme.foreground)
        painter.setClipRect(context.clip, Qt.ClipOperation.IntersectClip)
        self.document.documentLayout().draw(painter, context)
        self.document.painted_on(painter.device())  # repainted there when its images arrive
        if selection is not None:
            area = QRectF(0, 0, max(self._natural, self._width), self._height)
            tint_selected(painter, context.clip.intersected(area), theme)
        painter.restore()

    def text_between(self, start: TextPosition, end: TextPosition) -> str:
        return self.document.toPlainText()


def _underline_links(document: QTextDocument) -> None:
    """Underline the anchors (Qt's Markdown importer only colours them, unlike its HTML one)."""
    links = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.charFormat().isAnchor():
                links.append((fragment.position(), fragment.position() + fragment.length()))
            fragments += 1
        block = block.next()
    underline = QTextCharFormat()
    underline.setFontUnderline(True)
    cursor = QTextCursor(document)
    for start, end in links:
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(underline)


def _proportional(metrics: Metrics) -> Any:
    from PySide6.QtGui import QFont, QFontDatabase

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    font.setPointSizeF(metrics.font.pointSizeF())
    return QFont(font)
