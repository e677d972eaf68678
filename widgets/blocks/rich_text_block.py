"""HTML and Markdown outputs, laid out by a locked-down QTextDocument."""
from __future__ import annotations

import base64
from typing import Any

from PySide6.QtCore import QByteArray, QRectF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QImage,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextOption,
)

from conch.widgets.blocks.base import Block, TextPosition, tint_selected
from conch.widgets.theme import Metrics, Theme

# Qt rich text understands a subset of CSS; these make pandas tables look like tables.
_STYLE_SHEET = """
table { border-collapse: collapse; margin: 2px 0; }
th, td { padding: 2px 8px; border: 1px solid #d0d0d0; text-align: right; }
th { background: #f2f2f2; font-weight: bold; }
code, pre { font-family: monospace; background: #f5f5f5; }
pre { line-height: 100%; }
"""

# GitHub-flavoured Markdown as Qt offers it, minus md4c's underline extension: that turns
# ``_it_`` into underline and ``__b__`` into underline, where Markdown means italic and bold.
_MD_UNDERLINE = 0x4000  # MD_FLAG_UNDERLINE
_MARKDOWN = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value & ~_MD_UNDERLINE
)


class SafeDocument(QTextDocument):
    """A QTextDocument that loads nothing from the network or the file system.

    Only images embedded as ``data:`` URLs are shown; every other resource is refused.
    (QTextDocument never runs scripts.)
    """

    def loadResource(self, kind: int, url: QUrl) -> Any:  # noqa: N802 - Qt override
        if url.scheme() == "data" and kind == QTextDocument.ResourceType.ImageResource.value:
            return _decode_data_url(url.toString())
        return None


def _decode_data_url(url: str) -> QImage | None:
    header, _, payload = url.partition(",")
    if ";base64" not in header:
        return None
    try:
        image = QImage.fromData(QByteArray(base64.b64decode(payload)))
    except ValueError:
        return None
    return None if image.isNull() else image


class RichTextBlock(Block):
    """Formatted text from ``text/html`` or ``text/markdown``; selectable as plain text."""

    def __init__(
        self,
        source: str,
        *,
        markdown: bool,
        fallback_text: str = "",
        gutter: str = "",
        gutter_color: QColor | None = None,
    ) -> None:
        self.gutter = gutter
        self.gutter_color = gutter_color
        self.fallback_text = fallback_text
        self._source = source
        self._markdown = markdown
        self._document: SafeDocument | None = None
        self._width = -1
        self._height = 0
        self._natural = 0.0

    @property
    def document(self) -> SafeDocument:
        if self._document is None:
            document = SafeDocument()
            document.setDocumentMargin(2)
            document.setDefaultStyleSheet(_STYLE_SHEET)
            # Break lines between words only, as browsers do: a table cell's "…" or number
            # never breaks; what cannot fit makes the document wider (and the block scroll).
            option = QTextOption()
            option.setWrapMode(QTextOption.WrapMode.WordWrap)
            document.setDefaultTextOption(option)
            if self._markdown:
                document.setMarkdown(self._source, _MARKDOWN)
                _underline_links(document)
            else:
                document.setHtml(self._source)
            self._document = document
        return self._document

    def layout(self, metrics: Metrics, width: int) -> int:
        if width != self._width or self._document is None:
            document = self.document
            document.setDefaultFont(_proportional(metrics))
            document.setTextWidth(width)
            # Paragraphs wrap at the width; a wide table or ``pre`` keeps its natural width,
            # which makes the document wider than ``width`` (the view scrolls it).
            self._width = width
            size = document.size()
            self._natural = size.width()
            self._height = int(size.height() + 0.999)
        return self._height

    def natural_width(self) -> float:
        return self._natural

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
