"""Decodes PNG/JPEG images off the GUI thread, at the size they are shown.

An image's header (its pixel size) is read synchronously: it costs microseconds and lets a
block know its height before any pixel is decoded. The pixels are decoded by
:class:`ImageDecoder` on a small thread pool: ``QImageReader.read()`` releases the GIL, so the
GUI thread keeps running; base64 is decoded there too, in slices, so a big payload never holds
the GIL for long. With a target size the reader scales the image down (``setScaledSize``): an
8000×7900 PNG shown 700 pixels wide is kept as a 1400-pixel-wide QImage, not 240 MB (Qt's PNG
reader still needs the full image while it decodes: one at a time on a two-core machine).
"""
from __future__ import annotations

import atexit
import binascii
import threading
import weakref
from typing import Protocol

import shiboken6
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QIODevice,
    QObject,
    QSize,
    Qt,
    QThread,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QImage, QImageReader

from conch.widgets.render_budget import is_raster

Result = QImage | str
"""Decoded pixels, or why the data could not be decoded."""

_HEAD = 4096
"""Bytes (or base64 characters) read for a header first: a PNG's IHDR, most JPEG headers."""
_SLICE_CHARS = 1 << 18
"""Base64 is decoded in slices this long (about 0.3 ms each, holding the GIL)."""

_count_lock = threading.Lock()
_decodes = 0


def decode_count() -> int:
    """How many decodes :func:`decode` has started in this process (tests, benchmarks)."""
    return _decodes


def b64decode(text: str) -> bytes:
    """Base64 text to bytes, whitespace ignored, in slices so that another thread (the GUI)
    gets the GIL between them. Raises ValueError (``binascii.Error``) on invalid data."""
    if not text.isascii():
        raise binascii.Error("non-ASCII characters")
    if len(text) <= _SLICE_CHARS:
        return binascii.a2b_base64(text)
    parts: list[bytes] = []
    carry = ""
    for start in range(0, len(text), _SLICE_CHARS):
        piece = carry + "".join(text[start : start + _SLICE_CHARS].split())
        cut = len(piece) - len(piece) % 4
        parts.append(binascii.a2b_base64(piece[:cut]))
        carry = piece[cut:]
    if carry:
        parts.append(binascii.a2b_base64(carry))  # raises: the length is not a multiple of 4
    return b"".join(parts)


def _reader(data: bytes) -> tuple[QImageReader, QBuffer]:
    if not is_raster(data[:16]):
        # Qt's reader guesses formats from content: an "image/png" holding SVG would be drawn
        # as SVG, local file references and all. Only raster formats are ever read.
        data = b""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer, _format(data))
    # The format is named, never guessed: guessing asks every image plugin, and the SVG one
    # builds a QTextStream (a QObject connection, under a global Qt lock) on this worker thread
    # while it holds the GIL; with the GUI thread in a disconnect() that waits for the GIL, both
    # threads would wait for ever.
    reader.setAutoDetectImageFormat(False)
    reader.setDecideFormatFromContent(False)
    return reader, buffer  # the buffer must outlive the reader's use


def _format(data: bytes) -> bytes:
    """The Qt image format of raster ``data`` (PNG for anything else: it will not read)."""
    if data.startswith(b"\xff\xd8\xff"):
        return b"jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return b"gif"
    if data.startswith(b"BM"):
        return b"bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return b"webp"
    return b"png"


def _header(data: bytes) -> QSize | str:
    reader, _buffer = _reader(data)
    size = reader.size()
    if size.isValid():
        if size.width() <= 0 or size.height() <= 0:
            return "the image is empty"
        return size
    return "not a PNG or JPEG image" if not reader.canRead() else (reader.errorString() or "unreadable header")


def probe(payload: bytes | str) -> QSize | str:
    """The pixel size an image's header declares, without decoding its pixels; or why there is
    none. ``payload`` is the image file (bytes) or its base64 text (str)."""
    try:
        if isinstance(payload, bytes):
            size = _header(payload[:_HEAD])
            return size if isinstance(size, QSize) or len(payload) <= _HEAD else _header(payload)
        head = "".join(payload[:_HEAD].split())
        if len(payload) <= _HEAD:
            return _header(b64decode(head))
        size = _header(binascii.a2b_base64(head[: len(head) - len(head) % 4]))
        if isinstance(size, QSize):
            return size
        return _header(b64decode(payload))  # a header past the first 3 KB (a JPEG's big EXIF)
    except ValueError:
        return "invalid base64 data"


def decode(payload: bytes | str, size: QSize | None = None) -> Result:
    """Decode ``payload`` (image bytes, or base64 text) into pixels; scaled down to ``size`` when
    the image is larger. Runs on any thread (the reader releases the GIL while it decodes)."""
    global _decodes
    with _count_lock:
        _decodes += 1
    try:
        data = payload if isinstance(payload, bytes) else b64decode(payload)
    except ValueError:
        return "invalid base64 data"
    reader, _buffer = _reader(data)
    if size is not None and size.isValid():
        full = reader.size()
        if full.isValid() and (size.width() < full.width() or size.height() < full.height()):
            reader.setScaledSize(size)
    image = reader.read()
    if image.isNull():
        return reader.errorString() or "no pixels"
    return image


def scaled_size(pixels: QSize, shown_width: float, pixel_ratio: float) -> QSize:
    """The size to decode an image of ``pixels`` shown ``shown_width`` logical pixels wide at
    ``pixel_ratio`` device pixels each: at most the image's own size, aspect kept."""
    if shown_width <= 0 or pixels.width() <= 0:
        return QSize(pixels)
    factor = min(1.0, shown_width * pixel_ratio / pixels.width())
    return QSize(max(1, round(pixels.width() * factor)), max(1, round(pixels.height() * factor)))


def device_pixel_ratio() -> float:
    """The highest device pixel ratio of the screens (1 without a GUI application)."""
    app = QCoreApplication.instance()
    ratio = getattr(app, "devicePixelRatio", None)
    return float(ratio()) if callable(ratio) else 1.0


class Owner(Protocol):
    def image_decoded(self, job: "DecodeJob") -> None: ...


class DecodeJob:
    """One image to decode for an owner (held weakly: a block dropped meanwhile is skipped)."""

    def __init__(self, payload: bytes | str, size: QSize | None, owner: Owner) -> None:
        self.payload = payload
        self.size = size
        self.owner = weakref.ref(owner)
        self.urgent = False
        """Shown on screen: decoded before the others."""
        self.tag: object = None
        """What the owner wants to know the job by."""
        self.result: Result | None = None


class ImageDecoder(QObject):
    """A queue of :class:`DecodeJob` served by a small thread pool (one thread on a two-core
    machine, so the kernel and the GUI keep a core); urgent (visible) jobs go first. Results
    come back to the GUI thread through a queued signal."""

    decoded = Signal(object)
    """An owner (an ImageBlock, a SafeDocument) has received its pixels or its error; emitted on
    the GUI thread, after the owner's ``image_decoded``."""
    _finished = Signal(object)

    _instance: "ImageDecoder | None" = None

    @classmethod
    def shared(cls) -> "ImageDecoder":
        if cls._instance is None:
            cls._instance = ImageDecoder(QCoreApplication.instance())
            atexit.register(cls._stop_shared)  # no decode left running into interpreter exit
        return cls._instance

    @classmethod
    def _stop_shared(cls) -> None:
        if cls._instance is not None and shiboken6.isValid(cls._instance):
            cls._instance.stop()

    def __init__(self, parent: QObject | None = None, threads: int | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads or max(1, min(2, QThread.idealThreadCount() - 1)))
        # Decoding gets whatever CPU the window and the kernel leave (on Linux SCHED_IDLE): a
        # dozen huge PNGs must not take the GUI thread's core when it has work.
        self._pool.setThreadPriority(QThread.Priority.IdlePriority)
        self._lock = threading.Lock()
        self._queue: list[DecodeJob] = []
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def submit(self, job: DecodeJob) -> None:
        with self._lock:
            self._queue.append(job)
        self._pool.start(self._work)

    def hurry(self, job: DecodeJob) -> None:
        """Decode ``job`` before the jobs that are not on screen."""
        job.urgent = True

    def pending(self) -> int:
        """Jobs not started yet."""
        with self._lock:
            return len(self._queue)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (results still arrive through the event loop)."""
        return bool(self._pool.waitForDone(msecs))

    def stop(self) -> None:
        """Drop what has not started and wait for what has (at application exit)."""
        with self._lock:
            self._queue.clear()
        self._pool.clear()
        self._pool.waitForDone(10000)

    def _take(self) -> DecodeJob | None:
        with self._lock:
            if not self._queue:
                return None
            index = next((i for i, job in enumerate(self._queue) if job.urgent), 0)
            return self._queue.pop(index)

    def _work(self) -> None:  # on a pool thread
        job = self._take()
        if job is None or job.owner() is None:
            return
        try:
            job.result = decode(job.payload, job.size)
        except Exception as error:  # noqa: BLE001 - the owner must hear back, whatever happened
            job.result = f"{type(error).__name__}: {error}"
        job.payload = b""
        try:
            self._finished.emit(job)
        except RuntimeError:  # the decoder was deleted (application exit)
            pass

    def _deliver(self, job: DecodeJob) -> None:  # on the GUI thread
        owner = job.owner()
        if owner is None:
            return
        owner.image_decoded(job)
        self.decoded.emit(owner)
