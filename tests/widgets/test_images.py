"""Image outputs never freeze the UI: decoded off the GUI thread at the size they are shown,
HTML ``data:`` images decoded once, bad data shown as a note (real ipykernel, offscreen)."""
from __future__ import annotations

import base64
import gc
import struct
import time
import weakref
import zlib
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import Transcript
from conch.widgets.blocks import ImageBlock
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.image_decoder import DecodeJob, ImageDecoder, decode, decode_count
from conch.widgets.image_export import to_image
from conch.widgets.theme import Metrics, Theme
from conch.widgets.transcript_view import TranscriptView

from .conftest import run


def png(width: int, height: int, band: int = 400) -> bytes:
    """A legal RGB PNG, quick to build at any size: horizontal bands of a left-to-right
    gradient, each band's rows repeated through the PNG "Up" filter."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    gradient = bytes(x * 255 // max(1, width - 1) for x in range(width))
    same_as_above = b"\x02" + bytes(3 * width)
    deflate = zlib.compressobj(1)
    parts = []
    for y in range(height):
        if y % band == 0:
            row = bytearray(3 * width)
            row[0::3] = gradient
            row[1::3] = bytes([(y // band) * 47 % 256]) * width
            row[2::3] = b"\xa0" * width
            parts.append(deflate.compress(b"\x00" + bytes(row)))
        else:
            parts.append(deflate.compress(same_as_above))
    parts.append(deflate.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


class Ticks:
    """The longest interval between ticks of a 5 ms precise timer: how long the GUI thread
    went without serving its event loop."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.start(5)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def stop(self) -> float:
        self._tick()
        self._timer.stop()
        return self.longest


def image_blocks(console: ConsoleWidget) -> list[ImageBlock]:
    return [b for b in console.view.blocks() if isinstance(b, ImageBlock)]


def content_width(console: ConsoleWidget) -> int:
    view = console.view
    return view.viewport().width() - view.metrics.gutter_width - 8


def on_screen_equals_fresh_render(console: ConsoleWidget) -> bool:
    """Whether the transcript on screen is what painting it afresh gives: nothing was left
    unrepainted (the editor below is left out: its caret blinks)."""
    QApplication.processEvents()  # deliver pending paint events
    view = console.view
    area = QRect(view.mapTo(console, QPoint(0, 0)), view.size())
    shown = QGuiApplication.primaryScreen().grabWindow(console.winId()).toImage().copy(area)
    fresh = console.grab(area).toImage().convertToFormat(shown.format())
    return shown == fresh


def test_twenty_plots_are_all_decoded_at_their_sizes(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
        "for i in range(20):\n    plt.figure(); plt.plot(range(i + 2)); plt.show()",
        timeout=60000,
    )
    blocks = image_blocks(console)
    assert len(blocks) == 20
    qtbot.waitUntil(lambda: all(block.pixels is not None for block in blocks), timeout=30000)
    outputs = [o for o in console.outputs() if o.mime_type == "image/png"]
    for block, output in zip(blocks, outputs):
        own = QImage.fromData(output.binary("image/png")).size()
        assert block.natural_size() == (own.width(), own.height())
        assert block.pixels is not None and not block.pixels.isNull()
        assert block.pixels.size() == own  # narrower than twice the view: every pixel kept
        assert not block.pending and block.error is None
    assert on_screen_equals_fresh_render(console)  # the decoded plots were repainted


def test_huge_png_is_decoded_off_the_ui_thread_at_its_display_size(
    qtbot: QtBot, console: ConsoleWidget, tmp_path: Path
) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(png(8000, 7900))
    run(qtbot, console, "from IPython.display import Image, display")
    ticks = Ticks()
    run(qtbot, console, f"display(Image(filename={str(path)!r}))")
    (block,) = image_blocks(console)
    qtbot.waitUntil(lambda: block.pixels is not None, timeout=30000)
    longest = ticks.stop()

    width = content_width(console)
    assert block.natural_size() == (8000.0, 7900.0)
    pixels = block.pixels
    assert pixels is not None and not pixels.isNull()
    # As many pixels as the view shows (twice, for headroom), not 8000×7900.
    ratio = QGuiApplication.instance().devicePixelRatio()  # type: ignore[union-attr]
    assert width * ratio <= pixels.width() <= 2 * console.view.viewport().width() * ratio
    assert abs(pixels.height() / pixels.width() - 7900 / 8000) < 0.01
    top = console.view.block_top(block)
    assert top is not None
    assert on_screen_equals_fresh_render(console)

    started = time.perf_counter()
    full = to_image(block)  # Copy / Save Image: the original pixels, decoded on demand
    on_ui_thread = time.perf_counter() - started
    assert (full.width(), full.height()) == (8000, 7900)
    print(f"\nlongest UI gap while decoding: {longest * 1000:.1f} ms; "
          f"the same image decoded on the UI thread: {on_ui_thread * 1000:.0f} ms")
    assert longest < 0.100


def test_copy_image_gives_full_resolution_pixels(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(png(3000, 900, band=100))
    run(qtbot, console, f"from IPython.display import Image, display\ndisplay(Image(filename={str(path)!r}))")
    (block,) = image_blocks(console)
    qtbot.waitUntil(lambda: block.pixels is not None, timeout=30000)
    assert block.pixels is not None and block.pixels.width() < 3000  # the block keeps fewer
    view = console.view
    view.scroll_to_bottom()
    top = view.block_top(block)
    assert top is not None
    menu = view.context_menu(view.metrics.gutter_width + 20, top + 20)
    actions = {a.text(): a for a in menu.actions()}
    actions["Copy Image"].trigger()
    copied = QGuiApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (3000, 900)
    assert copied.pixelColor(2999, 0).red() == 255  # the gradient's right end, not a scaled copy


def test_html_data_png_is_decoded_once(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    encoded = base64.b64encode(png(1600, 1200, band=150)).decode()
    page = tmp_path / "page.html"
    page.write_text(f'<p>before</p><img src="data:image/png;base64,{encoded}"><p>after</p>')
    view = console.view
    ImageDecoder.shared().wait()
    decodes = decode_count()
    run(qtbot, console, f"from IPython.display import HTML, display\ndisplay(HTML(open({str(page)!r}).read()))")
    (block,) = [b for b in view.blocks() if isinstance(b, RichTextBlock)]
    view.scroll_to_bottom()
    QApplication.processEvents()  # the scroll bar shows up: the view lays out at its final width
    width = content_width(console)
    height = block.layout(view.metrics, width)
    qtbot.waitUntil(lambda: block.document.pending_images() == 0, timeout=30000)  # off the GUI thread
    block.document.setTextWidth(width + 1)  # lay the document out again (same fit: no decode)
    block.document.setTextWidth(width)
    assert int(block.document.size().height() + 0.999) == height  # sized from the header at once
    assert on_screen_equals_fresh_render(console)  # the view was repainted when it arrived
    for _ in range(3):
        view.viewport().repaint()
    console.resize(700, 600)  # a new width: laid out again, the image refitted
    QApplication.processEvents()
    view.viewport().repaint()
    assert decode_count() - decodes == 1
    # Shown no wider than the text (as a browser's max-width: 100%), aspect kept.
    assert block.natural_width() <= content_width(console) + 1
    text = block.document.toPlainText()
    assert "before" in text and "after" in text


def test_bad_image_data_shows_why_and_the_console_keeps_working(qtbot: QtBot, console: ConsoleWidget) -> None:
    good = base64.b64encode(png(40, 30)).decode()
    corrupt = png(40, 30)
    corrupt = corrupt[:45] + bytes(b ^ 0x5A for b in corrupt[45:-20]) + corrupt[-20:]  # IDAT garbled
    bundles = [
        {"image/png": "!!! not base64 !!!", "text/plain": "bad base64"},
        {"image/png": base64.b64encode(b"hello, not an image").decode(), "text/plain": "not an image"},
        {"image/png": base64.b64encode(corrupt).decode(), "text/plain": "corrupt"},
        {"image/png": good, "text/plain": "zero size"},
        {"image/png": good, "text/plain": "huge size"},
    ]
    metadata = [{}, {}, {}, {"image/png": {"width": 0, "height": 0}}, {"image/png": {"width": 1e12, "height": 1e12}}]
    code = "".join(f"display({bundle!r}, metadata={meta!r}, raw=True)\n" for bundle, meta in zip(bundles, metadata))
    run(qtbot, console, code)
    blocks = image_blocks(console)
    assert len(blocks) == 5
    qtbot.waitUntil(lambda: not any(block.pending for block in blocks), timeout=30000)
    bad_base64, not_image, garbled, zero, huge = blocks
    assert bad_base64.error is not None and not_image.error is not None and garbled.error is not None
    assert garbled.natural_size() == (40.0, 30.0)  # the header was fine: its box keeps its size
    assert zero.error is None and zero.natural_size() == (40.0, 30.0)  # metadata ignored
    assert huge.error is None and huge.natural_size() == (40.0, 30.0)
    assert on_screen_equals_fresh_render(console)  # painted without raising
    run(qtbot, console, "print('still working')")
    assert console.outputs()[-1].text == "still working\n"


class _Held(ImageDecoder):
    """A decoder that keeps its jobs until :meth:`release` hands them to the real thread pool."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[DecodeJob] = []

    def submit(self, job: DecodeJob) -> None:
        self.jobs.append(job)

    def release(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            super().submit(job)


def test_placeholder_until_the_pixels_arrive_then_the_image(qtbot: QtBot) -> None:
    decoder = _Held()
    block = ImageBlock(base64.b64encode(png(300, 200, band=50)).decode(), decoder=decoder)
    metrics, theme = Metrics(), Theme()
    height = block.layout(metrics, 600)
    assert height == 200 + 8  # known from the header, before any pixel is decoded
    (job,) = decoder.jobs
    assert block.pending and block.pixels is None

    canvas = QImage(800, 240, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#ffffff"))
    painter = QPainter(canvas)
    block.paint(painter, metrics, theme, 0, (0, height), None)
    painter.end()
    x0 = metrics.gutter_width
    assert canvas.pixelColor(x0 + 290, 190).name() == "#f2f2f2"  # the light placeholder box
    assert job.urgent  # painted: decoded before what is off screen

    job.result = decode(job.payload, job.size)
    block.image_decoded(job)
    assert not block.pending and block.pixels is not None and block.pixels.size().width() == 300
    painter = QPainter(canvas)
    block.paint(painter, metrics, theme, 0, (0, height), None)
    painter.end()
    assert canvas.pixelColor(x0 + 290, 190).name() != "#f2f2f2"  # now the image


def test_results_for_a_deleted_view_or_a_dropped_block_are_harmless(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoder = _Held()
    monkeypatch.setattr(ImageDecoder, "_instance", decoder)
    transcript = Transcript()
    view = TranscriptView(transcript)
    view.resize(600, 300)
    view.show()
    router = OutputRouter(transcript)
    transcript.add_cell("show()", "m1")
    for n in range(2):
        router.handle_iopub({
            "header": {"msg_type": "display_data"},
            "parent_header": {"msg_id": "m1"},
            "content": {
                "data": {"image/png": base64.b64encode(png(200 + n, 100)).decode(), "text/plain": "image"},
                "metadata": {},
            },
        })
    view.flush()
    view.viewport().repaint()  # placeholders: the blocks will ask the viewport to repaint
    kept, dropped = [b for b in view.blocks() if isinstance(b, ImageBlock)]
    assert len(decoder.jobs) == 2
    view.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(view)
    del view, transcript, router
    dropped_ref = weakref.ref(dropped)
    del dropped
    gc.collect()
    assert dropped_ref() is None
    decoder.release()
    qtbot.waitUntil(lambda: kept.pixels is not None, timeout=30000)  # delivered, nothing raised
    assert decoder.wait()
    QApplication.processEvents()


def test_markdown_and_unquoted_data_images_are_decoded_once_too(qtbot: QtBot) -> None:
    encoded = base64.b64encode(png(1200, 900, band=30)).decode()
    markdown = RichTextBlock(f"# Plot\n\n![a plot](data:image/png;base64,{encoded})\n\ntext", markdown=True)
    sized = RichTextBlock(f'<img src="data:image/png;base64,{encoded}" width="300">', markdown=False)
    unquoted = RichTextBlock(f"<p>x</p><img src=data:image/png;base64,{encoded}>", markdown=False)
    metrics = Metrics()
    decodes = decode_count()
    for block in (markdown, sized, unquoted):
        height = block.layout(metrics, 500)
        assert height > 200  # the image's box is laid out from its header at once
        qtbot.waitUntil(lambda: block.pending_images() == 0, timeout=30000)
        for _ in range(3):
            canvas = QImage(600, height, QImage.Format.Format_RGB32)
            painter = QPainter(canvas)
            block.paint(painter, metrics, Theme(), 0, (0, height), None)
            painter.end()
        block.layout(metrics, 400)
    assert decode_count() - decodes == 3
    assert abs(markdown.document.idealWidth() - 400) <= 1  # fitted to the text
    assert abs(sized.document.idealWidth() - 304) <= 1  # its width attribute (+ the margins)
    assert abs(unquoted.document.idealWidth() - 400) <= 1
    assert markdown.document.toPlainText().startswith("Plot")


def test_an_svg_posing_as_a_png_is_never_rendered_and_reads_no_local_file(qtbot: QtBot, console: ConsoleWidget, tmp_path: Path) -> None:
    local = tmp_path / "secret.png"
    marker = QImage(40, 40, QImage.Format.Format_RGB32)
    marker.fill(QColor("#13f2a7"))
    marker.save(str(local))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">'
        f'<image xlink:href="{local}" width="40" height="40"/></svg>'
    )
    assert isinstance(decode(svg.encode()), str)  # refused: not a raster image
    payload = base64.b64encode(svg.encode()).decode()
    run(qtbot, console, f"display({{'image/png': {payload!r}, 'text/plain': 'posing'}}, raw=True)")
    run(qtbot, console, "print('next')")
    console.view.flush()
    QApplication.processEvents()
    shown = console.view.viewport().grab().toImage()
    assert not any(
        shown.pixelColor(x, y).name() == "#13f2a7" for x in range(0, shown.width(), 3) for y in range(0, shown.height(), 3)
    )
    assert console.outputs()[-1].text == "next\n"
