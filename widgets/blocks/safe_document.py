"""A QTextDocument that reads nothing from the network or the disk and refuses documents over
their render budget; its embedded ``data:`` images are decoded off the GUI thread."""
from __future__ import annotations

import re
from typing import Any, NamedTuple

import shiboken6
from PySide6.QtCore import QObject, QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QPainter, QTextCursor, QTextDocument, QTextFormat, QTextImageFormat
from PySide6.QtWidgets import QWidget

from conch.widgets.blocks.base import RenderRefused
from conch.widgets.image_decoder import DecodeJob, ImageDecoder, decode, device_pixel_ratio, probe, scaled_size
from conch.widgets.render_budget import OverBudget, check_html, check_markdown, is_raster_base64
from conch.widgets.theme import Theme

# GitHub-flavoured Markdown as Qt offers it, minus md4c's underline extension: that turns
# ``_it_`` into underline and ``__b__`` into underline, where Markdown means italic and bold.
_MD_UNDERLINE = 0x4000  # MD_FLAG_UNDERLINE
MARKDOWN_FEATURES = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value & ~_MD_UNDERLINE
)


class SafeDocument(QTextDocument):
    """A QTextDocument that loads nothing from the network or the file system, and refuses
    documents over their render budget.

    Only images embedded as base64 ``data:`` URLs in a raster format (PNG, JPEG, GIF, BMP,
    WebP: never SVG, which Qt's image reader would render with its references) are shown.
    Every other resource gets a harmless answer from :meth:`loadResource`: a transparent
    pixel for an image (``<img src>``, CSS ``background-image``, Markdown ``![]()``), an empty
    style sheet for ``<link>`` and ``@import``. Never nothing: when ``loadResource`` returns
    nothing, Qt's image handler reads the path from the disk itself (``/abs/x.png``,
    ``file://``, or relative to the working directory). (QTextDocument never runs scripts.)

    :meth:`setHtml` and :meth:`setMarkdown` raise
    :class:`~conch.widgets.blocks.base.RenderRefused` for a document over its render budget
    (:mod:`conch.widgets.render_budget`), before Qt parses it: nesting, size and table
    layout costs that Qt could not stop once started. (A ``QTextEdit.setHtml`` goes to
    Qt's own ``QTextDocument::setHtml``, past these checks; resources are refused all the
    same.)

    Each embedded image is decoded once per document (Qt caches only what :meth:`addResource`
    stores, not what :meth:`loadResource` returns), at the size it is shown: its
    ``width``/``height`` attributes, else its own size but no wider than the text (a browser's
    ``max-width: 100%``), times the device pixel ratio; :meth:`fit_images` refits the latter
    to a new text width without decoding again. Its size comes from its header, so the layout
    is final at once; all but small images are decoded by the shared :class:`ImageDecoder`
    off the GUI thread, a light box standing in meanwhile, and the widget the document was
    last painted on (:meth:`painted_on`) repaints when they arrive.

    Before Qt parses the HTML or Markdown (:meth:`setHtml`, :meth:`setMarkdown`), each image's
    ``data:`` URL is replaced by a short ``conch-embedded:N`` key: Qt would parse the whole
    megabytes-long URL again on every layout and paint (tens of milliseconds each time).
    """

    def __init__(self, parent: QObject | None = None, theme: Theme | None = None) -> None:
        super().__init__(parent)
        self.theme = theme or Theme()
        """Whose colours image placeholders are drawn in."""
        self._sources: dict[str, str] = {}  # conch-embedded:N -> its data: URL, until loaded
        self._uses: dict[str, list[tuple[float, float]]] = {}  # -> (width, height) attributes
        self._spans: dict[str, list[tuple[int, int]]] = {}  # -> (position, length) of each use
        self._embedded: dict[str, _Embedded] = {}
        self._surface: QWidget | None = None

    def setHtml(self, html: str) -> None:  # noqa: N802 - Qt API
        lifted = lift_data_urls(html)
        check_budget(lifted.text, markdown=False)
        self.load(lifted, markdown=False)

    def setMarkdown(  # noqa: N802 - Qt API
        self,
        markdown: str,
        features: QTextDocument.MarkdownFeature = QTextDocument.MarkdownFeature.MarkdownDialectGitHub,
    ) -> None:
        lifted = lift_data_urls(markdown)
        check_budget(lifted.text, markdown=True)
        self.load(lifted, markdown=True, features=features)

    def load(
        self,
        lifted: Lifted,
        *,
        markdown: bool,
        features: QTextDocument.MarkdownFeature = QTextDocument.MarkdownFeature.MarkdownDialectGitHub,
    ) -> None:
        """Fill the document with a text whose ``data:`` URLs :func:`lift_data_urls` has
        lifted out, and whose budget the caller has checked (:func:`check_budget`)."""
        self._forget_images()
        self._sources.update(lifted.sources)
        if markdown:
            super().setMarkdown(lifted.text, features)
        else:
            super().setHtml(lifted.text)
        self._name_embedded_images()

    def loadResource(self, kind: int, url: QUrl) -> Any:  # noqa: N802 - Qt override
        if kind != QTextDocument.ResourceType.ImageResource.value:
            return ""  # a style sheet (<link>, @import) or anything else: empty
        name = url.toString()
        if url.scheme() == _EMBEDDED:
            source, uses, later = self._sources.pop(name, None), self._uses.get(name, []), True
        elif url.scheme() == "data":  # not renamed (a document filled through QTextEdit)
            source, uses, later = name, [], False
        else:  # a file (absolute, relative, file:), the network, a Qt resource: nothing shown
            return self._answer(kind, url, _transparent_pixel())
        header, _, payload = (source or "").partition(",")
        raster = ";base64" in header and is_raster_base64(payload)
        natural = probe(payload) if raster else None
        if not isinstance(natural, QSize):
            return self._answer(kind, url, _broken_image())
        room = self._room(self.textWidth())
        target = scaled_size(natural, _needed_width(natural, uses, room), device_pixel_ratio())
        record = _Embedded(url, natural, target, self.theme, fit=not uses or any(w <= 0 and h <= 0 for w, h in uses))
        if later and len(payload) > _DECODE_NOW_CHARS:
            record.job = DecodeJob(payload, target, self)
            record.job.tag = name
            ImageDecoder.shared().submit(record.job)
        else:
            result = decode(payload, target)
            if not isinstance(result, QImage):
                return None
            record.pixels = result
        self._embedded[name] = record
        image = record.shown(room)
        self.addResource(kind, url, image)
        return image

    def _answer(self, kind: int, url: QUrl, image: QImage) -> QImage:
        """``image`` for ``url``, kept so that Qt asks no more (it asks at every paint)."""
        self.addResource(kind, url, image)
        return image

    def fit_images(self, width: float) -> None:
        """Show the images that have no size attributes at most ``width`` wide (call before
        the document is laid out at that width); the pixels decoded once are rescaled."""
        kind = QTextDocument.ResourceType.ImageResource.value
        room = self._room(width)
        for name, record in self._embedded.items():
            if record.fit and record.fitted_width(room) != record.shown_width:
                self.addResource(kind, record.url, record.shown(room))
                for position, length in self._spans.get(name, []):
                    self.markContentsDirty(position, length)  # Qt measures inline objects once

    def painted_on(self, device: object) -> None:
        """The document was just painted on ``device``: repaint that widget when images
        arrive; the images still decoding are on screen, so they go first."""
        self._surface = device if isinstance(device, QWidget) else None
        for record in self._embedded.values():
            if record.job is not None:
                ImageDecoder.shared().hurry(record.job)

    def pending_images(self) -> int:
        """Embedded images still being decoded."""
        return sum(record.job is not None for record in self._embedded.values())

    def image_decoded(self, job: DecodeJob) -> None:
        """The decoder's answer (on the GUI thread): the pixels replace the placeholder, at
        the same size, so only a repaint is needed."""
        record = self._embedded.get(str(job.tag))
        if record is None or record.job is not job:
            return
        record.job = None
        if isinstance(job.result, QImage):
            record.pixels = job.result
        else:
            record.error = job.result or "no pixels"
        self.addResource(QTextDocument.ResourceType.ImageResource.value, record.url, record.shown(record.room))
        surface, self._surface = self._surface, None
        if surface is not None and shiboken6.isValid(surface):
            surface.update()

    def _room(self, text_width: float) -> float:
        """The width inside the document's margins (no limit when the text does not wrap)."""
        return max(1.0, text_width - 2 * self.documentMargin()) if text_width > 0 else -1.0

    def _forget_images(self) -> None:
        self._sources.clear()
        self._uses.clear()
        self._spans.clear()
        self._embedded.clear()  # answers still on their way find no record and are dropped

    def _new_key(self) -> str:
        return f"{_EMBEDDED}:{len(self._sources) + len(self._embedded) + 1}"

    def _name_embedded_images(self) -> None:
        """Note the size attributes and the position of every use of an embedded image; an
        image still named by its ``data:`` URL (the URL was not quoted) is renamed too."""
        found: list[tuple[int, int, QTextImageFormat]] = []
        block = self.begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                char_format = fragment.charFormat()
                if char_format.isImageFormat():
                    found.append((fragment.position(), fragment.length(), char_format.toImageFormat()))
                fragments += 1
            block = block.next()
        keys: dict[str, str] = {}
        undo = self.isUndoRedoEnabled()
        self.setUndoRedoEnabled(False)
        cursor = QTextCursor(self)
        for position, length, image in found:
            key = image.name()
            if key.startswith("data:"):
                source = key
                key = keys.get(source) or keys.setdefault(source, self._new_key())
                self._sources[key] = source
                image.setName(key)
                cursor.setPosition(position)
                cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(image)
            elif key not in self._sources:
                continue
            w = image.width() if image.hasProperty(QTextFormat.Property.ImageWidth) else 0.0
            h = image.height() if image.hasProperty(QTextFormat.Property.ImageHeight) else 0.0
            self._uses.setdefault(key, []).append((w, h))
            self._spans.setdefault(key, []).append((position, length))
        self.setUndoRedoEnabled(undo)


_EMBEDDED = "conch-embedded"
_SRC_ATTRIBUTE = re.compile(r"\bsrc\s*=\s*\Z", re.IGNORECASE)


class Lifted(NamedTuple):
    """A document's text with its image ``data:`` URLs replaced by ``conch-embedded:N`` keys,
    and the URL of each key."""

    text: str
    sources: dict[str, str]


def lift_data_urls(text: str) -> Lifted:
    """``text`` with each image ``data:`` URL (an HTML ``src="data:…"``, a Markdown
    ``](data:…)``) replaced by a ``conch-embedded:N`` key: Qt's parser then reads kilobytes,
    not the megabytes of the pixels (and the render budget counts what Qt parses)."""
    parts: list[str] = []
    sources: dict[str, str] = {}
    keys: dict[str, str] = {}
    start = 0
    at = text.find("data:")
    while at > 0:
        opener = text[at - 1]
        end = -1
        if opener in "\"'" and _SRC_ATTRIBUTE.search(text, max(0, at - 40), at - 1):
            end = text.find(opener, at)
        elif opener == "(" and text[at - 2 : at - 1] == "]":
            ends = [e for e in (text.find(")", at), text.find(" ", at)) if e >= 0]
            end = min(ends) if ends else -1
        if end < 0:
            at = text.find("data:", at + 5)
            continue
        url = text[at:end]
        key = keys.get(url)
        if key is None:
            key = keys[url] = f"{_EMBEDDED}:{len(sources) + 1}"
            sources[key] = url
        parts += [text[start:at], key]
        start = end
        at = text.find("data:", end)
    if not parts:
        return Lifted(text, sources)
    parts.append(text[start:])
    return Lifted("".join(parts), sources)


def check_budget(text: str, *, markdown: bool) -> None:
    """Raise :class:`RenderRefused` if ``text`` (HTML or Markdown, ``data:`` URLs lifted) is
    over its render budget."""
    try:
        if markdown:
            check_markdown(text)
        else:
            check_html(text)
    except OverBudget as refused:
        raise RenderRefused(str(refused)) from None


def _transparent_pixel() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    return image


def _broken_image() -> QImage:
    """Qt's own "broken image" icon (from its resources, not the file system)."""
    image = QImage(":/qt-project.org/styles/commonstyle/images/file-16.png")
    return image if not image.isNull() else _transparent_pixel()


_DECODE_NOW_CHARS = 48_000
"""Embedded images up to this much base64 (36 KB: icons, small plots; a few ms) are decoded at
once, without a placeholder."""


class _Embedded:
    """A ``data:`` image of a document: its own size, the size it is decoded at, its pixels
    once decoded (or why not), and the copy the document shows."""

    def __init__(self, url: QUrl, natural: QSize, target: QSize, theme: Theme, *, fit: bool) -> None:
        self.url = url
        self.theme = theme
        self.natural = natural
        self.target = target
        self.fit = fit
        self.pixels: QImage | None = None
        self.error: str | None = None
        self.job: DecodeJob | None = None
        self.shown_width = 0.0
        self.room = -1.0

    def fitted_width(self, room: float) -> float:
        natural = float(self.natural.width())
        return natural if not self.fit or room <= 0 else min(natural, room)

    def shown(self, room: float) -> QImage:
        """The pixels for the width the text has (``room``), with a device pixel ratio that
        makes Qt lay them out at the fitted width (or at their own size, when attributes size
        every use); while they are decoded, a placeholder of exactly the same size."""
        self.room = room
        self.shown_width = self.fitted_width(room)
        base = self.pixels.size() if self.pixels is not None else self.target
        size = QSize(base)
        wanted = min(base.width(), max(1, round(self.shown_width * device_pixel_ratio())))
        if self.fit and wanted < base.width():
            size = QSize(wanted, max(1, round(base.height() * wanted / base.width())))
        if self.pixels is None:
            image = self._placeholder(size)
        elif size == self.pixels.size():
            image = QImage(self.pixels)
        else:
            smooth = Qt.TransformationMode.SmoothTransformation
            image = self.pixels.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, smooth)
        image.setDevicePixelRatio(size.width() / self.shown_width)
        return image

    def _placeholder(self, size: QSize) -> QImage:
        image = QImage(size, QImage.Format.Format_RGB32)
        theme = self.theme
        image.fill(theme.placeholder)
        painter = QPainter(image)
        painter.setPen(theme.placeholder_edge)
        painter.drawRect(0, 0, image.width() - 1, image.height() - 1)
        painter.setPen(theme.notice["error"] if self.error else theme.notice["info"])
        text = f"image could not be decoded: {self.error}" if self.error else "decoding image…"
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(QRectF(8, 6, max(1, image.width() - 16), max(1, image.height() - 12)), int(flags), text)
        painter.end()
        return image


def _needed_width(pixels: QSize, sizes: list[tuple[float, float]], room: float) -> float:
    """The widest an image of ``pixels`` is shown (logical pixels), from its uses' attributes;
    a use without them shows it at its own width, at most the text's (twice that is decoded,
    so that a wider view later does not need a new decode)."""
    widest = 0.0
    for w, h in sizes or [(0.0, 0.0)]:
        if w > 0:
            widest = max(widest, w)
        elif h > 0:
            widest = max(widest, h * pixels.width() / pixels.height())
        else:
            widest = max(widest, pixels.width() if room <= 0 else min(pixels.width(), 2 * room))
    return widest
