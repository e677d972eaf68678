"""Hostile HTML, Markdown and SVG: render budgets checked before Qt sees a document, and no
resource outside the output ever loaded (issue 11, items 1, 4 and 8).

The end-to-end tests run one line in a real ipykernel and check that the console lives on,
the next cell's output shows, the UI never stalls more than 100 ms while the bad output
arrives and is laid out, and that no pixel of a local file is drawn."""
from __future__ import annotations

import base64
import ctypes
import ctypes.util
import errno
import os
import random
import struct
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer, QUrl
from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument, QTextTable
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.app.model.payloads import Page
from conch.widgets.blocks import Block, TextBlock, rich_text_block, svg_block
from conch.widgets.blocks.base import RenderRefused
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.blocks.safe_document import SafeDocument
from conch.widgets.blocks.svg_block import SvgBlock
from conch.widgets.image_export import save_image, to_image
from conch.widgets.pager import Pager
from conch.widgets.render_budget import (
    HtmlLimits,
    OverBudget,
    _HtmlScan,
    check_html,
    check_markdown,
    sanitize_svg,
)
from conch.widgets.theme import Metrics, Theme

from .conftest import run

GREEN = QColor("#12ab34")
"""The test image's colour: nothing else in a transcript is this green."""
SVG_HEAD = (
    "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' width='120' height='60'>"
)


def use_bomb(levels: int, fan: int = 10) -> str:
    """An SVG of ~2 KB whose ``<use>`` references draw ``fan ** levels`` rectangles."""
    svg = SVG_HEAD + "<defs><rect id='l0' width='1' height='1' fill='red'/>"
    for level in range(1, levels + 1):
        svg += f"<g id='l{level}'>" + f"<use xlink:href='#l{level - 1}'/>" * fan + "</g>"
    return svg + f"</defs><use xlink:href='#l{levels}'/></svg>"


HOSTILE = {
    "nested tables": ("display(HTML('<table><tr><td>' * 22 + 'x'))", "HTML nested 22 tables deep (limit 8)"),
    "5000 deep": ("display(HTML('<table><tr><td>' * 5000 + 'x'))", "HTML nested more than"),
    "50 000 divs": ("display(HTML('<div>' * 50000 + 'x'))", "HTML nested more than"),
    "100k rows": (
        "display(HTML('<table>' + ''.join(f'<tr><td>{i}</td></tr>' for i in range(100000)) + '</table>'))",
        "HTML has 100000 table rows (limit 20000)",
    ),
    # 10 MB, not 50: receiving a 50 MB message alone holds the GUI thread ~150 ms (signature
    # check and JSON in the transport), before any block sees it.
    "10 MB": ("display(HTML('<p>' + 'x' * 10_000_000 + '</p>'))", "HTML is 10.0 MB (limit 5.0 MB)"),
    "markdown table": (
        "display(Markdown('|a|b|\\n|-|-|\\n' + '|1|2|\\n' * 5000))",
        "Markdown has 5002 table rows (limit 2000)",
    ),
    "use bomb": (f"display(SVG({use_bomb(7)!r}))", "SVG would draw more than 200000 shapes"),
}


# -- helpers -----------------------------------------------------------------------------------


def green_pixels(image: QImage) -> int:
    """Pixels of the test image's colour (within a small tolerance: scaled, not blended)."""
    import numpy as np

    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : 4 * image.width()].reshape(image.height(), image.width(), 4).astype(np.int16)
    wanted = np.array([GREEN.blue(), GREEN.green(), GREEN.red()], dtype=np.int16)
    return int(np.count_nonzero(np.abs(pixels[..., :3] - wanted).max(axis=2) <= 20))


def output_pixels(console: ConsoleWidget) -> QImage:
    """What the view shows of the last output (the highlighted code above it has colours of
    its own)."""
    view = console.view
    view.flush()
    view.scroll_to_bottom()
    QApplication.processEvents()
    block = view.blocks()[-1]
    top = view.block_top(block)
    assert top is not None
    height = block.layout(view.metrics, view.viewport().width()) + 12  # and its scroll strip
    shown = view.viewport().grab().toImage()
    return shown.copy(0, max(0, top), shown.width(), min(height, shown.height() - max(0, top)))


def render(block: Block, width: int = 400) -> QImage:
    """The block laid out at ``width`` and painted on white."""
    metrics = Metrics()
    height = max(1, block.layout(metrics, width))
    canvas = QImage(width + metrics.gutter_width + 200, height, QImage.Format.Format_RGB32)
    canvas.fill(QColor("white"))
    painter = QPainter(canvas)
    block.paint(painter, metrics, Theme(), 0, (0, height), None)
    painter.end()
    return canvas


@pytest.fixture
def green_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real PNG of the test colour, in the current directory (so that ``green.png`` is a
    relative path that resolves)."""
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(GREEN)
    path = tmp_path / "green.png"
    assert image.save(str(path))
    monkeypatch.chdir(tmp_path)
    return path


def local_forms(path: Path) -> list[str]:
    return [str(path), QUrl.fromLocalFile(str(path)).toString(), path.name]


def data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


@contextmanager
def opens_of(path: Path) -> Iterator[list[int]]:
    """Count the times ``path`` is opened or read while the block runs (inotify, Linux); the
    list holds one number once the block has run."""
    libc_name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or libc_name is None:
        pytest.skip("inotify is Linux only")
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        pytest.skip("no inotify")
    in_access, in_open = 0x1, 0x20
    if libc.inotify_add_watch(fd, os.fsencode(path), in_access | in_open) < 0:
        os.close(fd)
        pytest.skip(f"inotify_add_watch: {errno.errorcode.get(ctypes.get_errno())}")
    counted: list[int] = []
    try:
        yield counted
        QApplication.processEvents()
        events = 0
        while True:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                break
            at = 0
            while at + 16 <= len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, at)
                events += bool(mask & (in_access | in_open))
                at += 16 + length
        counted.append(events)
    finally:
        os.close(fd)


def longest_stall(qtbot: QtBot, console: ConsoleWidget, code: str, timeout: int = 120000) -> float:
    """Run ``code``; the longest gap (ms) between ticks of a 5 ms timer meanwhile: how long the
    UI was frozen while the output arrived and was laid out and painted."""
    ticks: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(clock.nsecsElapsed() / 1e6))
    timer.start()
    try:
        run(qtbot, console, code, timeout=timeout)
        console.view.flush()
        console.view.viewport().repaint()
        qtbot.wait(50)
    finally:
        timer.stop()
    ticks.append(clock.nsecsElapsed() / 1e6)
    return max(b - a for a, b in zip(ticks, ticks[1:]))


def failed_blocks(console: ConsoleWidget) -> list[Block]:
    return [b for b in console.view.blocks() if type(b).__name__ == "FailedBlock"]


def still_works(qtbot: QtBot, console: ConsoleWidget) -> None:
    """The next cell runs and its output shows."""
    run(qtbot, console, "print('next')")
    assert console.outputs()[-1].text == "next\n"
    assert "next\n" in console.transcript_text()
    assert any(isinstance(b, TextBlock) and b.text_between(b.start(), b.end()).strip() == "next"
               for b in console.view.blocks())
    assert not console.view.grab().isNull()


# -- budgets (Qt-free checks) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<table><tr><td>" * 22 + "x", "HTML nested 22 tables deep (limit 8)"),
        ("<table><tr><td>" * 5000 + "x", "HTML nested more than 33 tables deep (limit 8)"),
        ("<div>" * 50000 + "x", "HTML nested more than 401 elements deep (limit 100)"),
        ("<table>" + "<tr><td>1</td></tr>" * 100000 + "</table>", "HTML has 100000 table rows (limit 20000)"),
        ("x" * 50_000_000, "HTML is 50.0 MB (limit 5.0 MB)"),
        ("<pre>" + "x\n" * 200000 + "</pre>", "HTML has 200000 lines (limit 100000)"),
        ("<ul>" + "<li>x" * 5000 + "</ul>", "HTML has a list of more than 3000 items"),
        (
            "<table>" + ("<tr>" + "<td>x</td>" * 100 + "</tr>") * 300 + "</table>",
            "HTML has 30000 table cells (limit 20000)",
        ),
        # what Qt reads as tables however they are spelled
        ('<"table"><tr><td>' * 12, "HTML nested 12 tables deep (limit 8)"),
        ("<t&#97;ble><tr><td>" * 12, "HTML nested 12 tables deep (limit 8)"),
        ("< table>< tr>< td>" * 12, "HTML nested 12 tables deep (limit 8)"),
        ("<TABLE><TR><TD>" * 12, "HTML nested 12 tables deep (limit 8)"),
        ("<table a='/>'><tr><td>" * 12, "HTML nested 12 tables deep (limit 8)"),
        ("<table>" + "<t&#114;>x" * 30000, "HTML has more than 20000 table rows"),
        # sibling tables directly inside a table: Qt's importer nests each in the one before
        ("<table>" + "<table><tr><td>x</td></tr></table>" * 22, "HTML nested 22 tables deep (limit 8)"),
    ],
)
def test_html_over_budget_is_refused_quickly_with_its_reason(html: str, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(OverBudget) as refused:
        check_html(html)
    assert str(refused.value).startswith(reason)
    assert time.perf_counter() - started < 2.0


SVG_PLAIN_HEAD = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'>"


@pytest.mark.parametrize(
    ("check", "text"),
    [
        (check_html, "<a " + "x=1 " * 1_000_000 + '"' + ">"),  # one tag, a million attributes
        (check_html, "<" + " " * 4_000_000 + "table"),
        (check_html, ("<a title='" + "x" * 100 + ">") * 20000),
        (check_markdown, "|a|\n-" + " " * 4_000_000 + "x"),  # blanks a delimiter pattern could split
        (check_markdown, "- x\n" + " " * 4_000_000 + "\n- y"),
        (sanitize_svg, SVG_PLAIN_HEAD + "<style>" + "url(" * 1_000_000 + "</style></svg>"),
        (sanitize_svg, SVG_PLAIN_HEAD + "<style>" + "@import " * 500_000 + "</style></svg>"),
    ],
)
def test_the_checks_take_linear_time_on_crafted_text(check: object, text: str) -> None:
    started = time.perf_counter()
    try:
        check(text)  # type: ignore[operator]
    except OverBudget:
        pass
    assert time.perf_counter() - started < 2.0


def test_ordinary_html_is_accepted() -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(np.arange(12).reshape(4, 3))
    for html in (
        frame.to_html(),
        frame.style.highlight_max().to_html(),
        frame.to_html() * 30,  # many tables, one after another
        "<table><tr><td>" + frame.to_html() * 10 + "</td></tr></table>",  # siblings inside a cell
        "<table><tr><td>" * 8 + "deep enough",
        "<p>a" * 2000 + "<ul>" + "<li>b" * 2000 + "</ul>",  # unclosed, as Qt closes them
        "<div><svg>" + "<path d='M0 0 L1 1'/>" * 500 + "</svg></div>",  # self-closed elements
        "<p>" + "x <= y and y < z " * 500 + "</p>",
        "<script>" + "if (a<b) {}" * 50 + "</script><!--" + "<table>" * 100 + "-->",
        pd.DataFrame(np.arange(18000).reshape(1800, 10)).to_html(),  # 19 800 cells
    ):
        check_html(html)


def qt_table_nesting(html: str) -> int:
    document = QTextDocument()
    document.setHtml(html)
    deepest, frames = 0, [(document.rootFrame(), 0)]
    while frames:
        frame, depth = frames.pop()
        depth += isinstance(frame, QTextTable)
        deepest = max(deepest, depth)
        frames.extend((child, depth) for child in frame.childFrames())
    return deepest


def test_the_table_nesting_found_is_never_below_what_qt_builds(qtbot: QtBot) -> None:
    # Random tag soup: whatever Qt makes of it, the scan must not see fewer nested tables.
    pieces = [
        "<table>", "<table", "</table>", "<tr", "<td", "<th", "</td>", "</tr>", "<tbody>", "</tbody>",
        "<caption>", "<p>", "<li>", "<ul>", "<div>", "</div>", "<b>", ">", ">", "/", "/>", "'", '"',
        " ", "=", "a=", "x", "\n", "\\", "<!--", "-->", "<!", "&#97;", '<"table">', "< table", "</ table>",
    ]
    generator = random.Random(11)
    unlimited = HtmlLimits(table_nesting=10**6, depth=10**6)
    for _ in range(400):
        html = "".join(generator.choice(pieces) for _ in range(generator.randint(5, 80)))
        scan = _HtmlScan(html, unlimited)
        scan.run()
        assert scan.deepest_tables >= qt_table_nesting(html), html


@pytest.mark.parametrize(
    ("markdown", "reason"),
    [
        ("|a|b|\n|-|-|\n" + "|1|2|\n" * 5000, "Markdown has 5002 table rows (limit 2000)"),
        ("- x\n" * 10000, "Markdown has a list of 10000 items (limit 3000)"),
        ("x  \n" * 100000, "Markdown has 100000 lines (limit 30000)"),
        ("x" * 6_000_000, "Markdown is 6.0 MB (limit 5.0 MB)"),
    ],
)
def test_markdown_over_budget_is_refused(markdown: str, reason: str) -> None:
    with pytest.raises(OverBudget) as refused:
        check_markdown(markdown)
    assert str(refused.value) == reason


def test_ordinary_markdown_is_accepted() -> None:
    for markdown in (
        "# Title\n\nSome *text* with `code`.\n\n|a|b|\n|-|-|\n" + "|1|2|\n" * 500,
        ("- item\n" * 200 + "\nparagraph\n\n") * 20,  # many lists of 200
        "> " * 5000 + "deep quote",  # Qt flattens these
        "```\n" + "code line\n" * 20000 + "```\n",
    ):
        check_markdown(markdown)


def test_svg_references_outside_the_svg_are_removed() -> None:
    png = "data:image/png;base64," + base64.b64encode(
        b"\x89PNG\r\n\x1a\n" + b"\0" * 20
    ).decode()
    svg = sanitize_svg(
        SVG_HEAD
        + "<image xlink:href='/etc/x.png' width='4' height='4'/>"
        + "<image href='x.png' width='4' height='4'/>"
        + "<image xlink:href='file:///x.png'/>"
        + f"<image xlink:href='{png}'/>"
        + "<image xlink:href='data:image/svg+xml;base64,PHN2Zy8+'/>"  # an SVG inside: refused
        + "<a href='http://example.com/'><text>t</text></a>"
        + "<script>alert(1)</script><foreignObject><div/></foreignObject>"
        + "<style>@import url(x.css); rect { fill: url(#g); stroke: url(http://x/y) }</style>"
        + "<rect id='g' style='fill: url(file.svg#r)' width='1' height='1'/>"
        + "<use xlink:href='other.svg#r'/><use xlink:href='#g'/></svg>"
    )
    for gone in ("/etc/x.png", "x.png", "file:", "svg+xml", "example.com", "http://x/y", "script",
                 "foreignObject", "@import", "file.svg", "other.svg"):
        assert gone not in svg, gone
    assert png in svg and "url(#g)" in svg and "xlink:href=\"#g\"" in svg
    entity = "<!DOCTYPE svg [<!ENTITY f '/etc/x.png'>]>" + SVG_HEAD + "<image xlink:href='&f;'/></svg>"
    assert "/etc/x.png" not in sanitize_svg(entity)
    stylesheet = "<?xml-stylesheet href='x.css'?>" + SVG_HEAD + "<rect/></svg>"
    assert "x.css" not in sanitize_svg(stylesheet)
    plain = SVG_HEAD + "<rect width='10' height='10'/></svg>"
    assert sanitize_svg(plain) is plain  # nothing to remove: the text as it came


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (use_bomb(7), "SVG would draw more than 200000 shapes"),
        (SVG_HEAD + "<g id='a'><use xlink:href='#a'/></g></svg>", "SVG references form a cycle"),
        (
            SVG_HEAD + "<g id='a'><use href='#b'/></g><g id='b'><use href='#a'/></g></svg>",
            "SVG references form a cycle",
        ),
        (SVG_HEAD + "<use href='#a'/><oops></svg>", "SVG is not well-formed XML"),
        (
            use_bomb(4).replace(
                "</defs>", "<marker id='m'><use xlink:href='#l4'/></marker></defs>"
                "<path d='" + "L1 1 " * 1000 + "' marker-mid='url(#m)'/>"
            ),
            "SVG would draw more than 200000 shapes",
        ),
    ],
)
def test_svg_over_budget_is_refused(svg: str, reason: str) -> None:
    with pytest.raises(OverBudget) as refused:
        sanitize_svg(svg)
    assert str(refused.value).startswith(reason)


# -- blocks ------------------------------------------------------------------------------------


def test_blocks_over_budget_refuse_in_their_constructor(qtbot: QtBot) -> None:
    with pytest.raises(RenderRefused, match=r"HTML nested 22 tables deep \(limit 8\)"):
        RichTextBlock("<table><tr><td>" * 22 + "x", markdown=False)
    with pytest.raises(RenderRefused, match="Markdown has 5002 table rows"):
        RichTextBlock("|a|b|\n|-|-|\n" + "|1|2|\n" * 5000, markdown=True)
    with pytest.raises(RenderRefused, match="SVG would draw more than 200000 shapes"):
        SvgBlock(use_bomb(7))
    with pytest.raises(RenderRefused, match="SVG could not be parsed"):
        SvgBlock("<html/>")
    with pytest.raises(RenderRefused, match="HTML nested 22 tables deep"):
        SafeDocument().setHtml("<table><tr><td>" * 22)  # the document itself refuses too
    # Embedded images do not count against the size: what Qt parses is a short key.
    big_image = "data:image/png;base64," + "A" * 6_000_000
    RichTextBlock(f'<p>x</p><img src="{big_image}">', markdown=False)


def test_a_slow_document_keeps_its_first_layout_width(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    html = "<p>" + "word " * 400 + "</p>"
    metrics = Metrics()
    quick = RichTextBlock(html, markdown=False)
    quick.layout(metrics, 600)
    assert not quick.frozen  # an ordinary document follows the width
    narrow = quick.layout(metrics, 300)
    assert narrow > quick.layout(metrics, 600) and quick.natural_width() <= 600
    monkeypatch.setattr(rich_text_block, "_SLOW_LAYOUT", 0.0)  # as if every layout were slow
    slow = RichTextBlock(html, markdown=False)
    height = slow.layout(metrics, 600)
    assert slow.frozen
    width_laid_out = slow.document.textWidth()
    assert slow.layout(metrics, 300) == height  # no new layout: the same lines
    assert slow.document.textWidth() == width_laid_out
    assert slow.natural_width() >= 600  # the view scrolls it sideways at 300
    assert slow.layout(metrics, 900) == height


def test_svg_is_rendered_once_per_size_and_stays_sharp(qtbot: QtBot) -> None:
    block = SvgBlock(SVG_HEAD + "<rect width='120' height='60' fill='#ff0000'/></svg>")
    first = block.image(120, 60, 1.0)
    assert first is not None and block.renders == 1
    assert block.image(120, 60, 1.0) is first and block.renders == 1  # painted again: cached
    sharp = block.image(120, 60, 2.0)  # a HiDPI screen: twice the pixels, same logical size
    assert sharp is not None and block.renders == 2
    assert (sharp.width(), sharp.height(), sharp.devicePixelRatio()) == (240, 120, 2.0)
    render(block)
    render(block)
    assert block.renders == 3  # its display size at 1×, once


def test_svg_images_share_a_memory_budget(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svg_block, "_CACHE_BYTES", 120 * 60 * 4 * 2)  # room for two images
    blocks = [SvgBlock(SVG_HEAD + f"<rect width='{i + 1}' height='60'/></svg>") for i in range(3)]
    for block in blocks:
        assert block.image(120, 60, 1.0) is not None
    assert blocks[0]._image is None and blocks[1]._image is not None  # the least recently painted
    blocks[0].image(120, 60, 1.0)  # painted again: rendered again
    assert blocks[0].renders == 2 and blocks[1]._image is None


def test_a_slow_svg_is_rendered_again_at_most_once_a_second(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svg_block, "_SLOW_RENDER", -1.0)  # as if every rendering were slow
    block = SvgBlock(SVG_HEAD + "<rect width='120' height='60' fill='#ff0000'/></svg>")
    first = block.image(120, 60, 1.0)
    assert block.image(100, 50, 1.0) is first and block.renders == 1  # resized: scaled meanwhile
    qtbot.wait(1100)
    later = block.image(100, 50, 1.0)
    assert later is not first and block.renders == 2 and later.width() == 100


def test_svg_copy_and_save_use_the_sanitized_svg(qtbot: QtBot, tmp_path: Path, green_png: Path) -> None:
    block = SvgBlock(SVG_HEAD + f"<image xlink:href='{green_png}' width='120' height='60'/></svg>")
    assert save_image(block, str(tmp_path / "saved.svg"))
    saved = (tmp_path / "saved.svg").read_text()
    assert "green.png" not in saved and saved.startswith("<svg")
    assert green_pixels(to_image(block)) == 0


@pytest.mark.parametrize("kind", ["html img", "html css", "html background", "markdown", "svg image", "svg href"])
def test_no_local_file_is_ever_drawn_or_opened(qtbot: QtBot, green_png: Path, kind: str) -> None:
    def block_for(source: str) -> Block:
        if kind == "html img":
            html = f'<p>before</p><img src="{source}" width="60" height="40"><p>after</p>'
            return RichTextBlock(html, markdown=False)
        if kind == "html css":
            return RichTextBlock(
                f'<table style="background-image: url({source})"><tr><td style="background-image: url({source})">'
                + "cell " * 20 + "</td></tr></table>",
                markdown=False,
            )
        if kind == "html background":
            return RichTextBlock(f'<body background="{source}"><p>{"text " * 40}</p></body>', markdown=False)
        if kind == "markdown":
            return RichTextBlock(f"before\n\n![the image]({source})\n\nafter", markdown=True)
        attribute = "xlink:href" if kind == "svg image" else "href"
        return SvgBlock(SVG_HEAD + f"<image {attribute}='{source}' width='120' height='60'/></svg>")

    with opens_of(green_png) as opened:
        green_png.read_bytes()
    assert opened[0] > 0  # the watch sees an open
    for source in local_forms(green_png):
        with opens_of(green_png) as opened:
            shown = render(block_for(source))
        assert green_pixels(shown) == 0, source
        assert opened == [0], source  # not even opened
    if kind in ("html img", "markdown", "svg image", "svg href"):  # the check itself sees green:
        assert green_pixels(render(block_for(data_url(green_png)))) > 100  # the same image, embedded


def test_refused_resources_get_harmless_answers_never_none(qtbot: QtBot, tmp_path: Path) -> None:
    # None would let Qt's image handler read the path itself.
    local = tmp_path / "secret.png"
    QImage(4, 4, QImage.Format.Format_RGB32).save(str(local))
    document = SafeDocument()
    image, style = QTextDocument.ResourceType.ImageResource.value, QTextDocument.ResourceType.StyleSheetResource.value
    for url in (QUrl.fromLocalFile(str(local)), QUrl(str(local)), QUrl("secret.png"), QUrl("http://127.0.0.1:9/x.png"),
                QUrl("qrc:/x.png")):
        answer = document.loadResource(image, url)
        assert isinstance(answer, QImage) and answer.size().width() == 1
        assert answer.pixelColor(0, 0).alpha() == 0
        assert document.loadResource(style, url) == ""
    svg_inside = "data:image/svg+xml;base64," + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
    broken = document.loadResource(image, QUrl(svg_inside))  # an SVG is never an embedded image
    assert isinstance(broken, QImage) and broken.width() <= 16


def test_the_pager_draws_no_local_file(qtbot: QtBot, green_png: Path) -> None:
    pager = Pager(Theme(), Metrics())
    qtbot.addWidget(pager)
    pager.resize(600, 300)
    for source in local_forms(green_png):
        pager.show_page(Page({"text/html": f'<p>help</p><img src="{source}" width="60" height="40">'}))
        QApplication.processEvents()
        assert green_pixels(pager.text.viewport().grab().toImage()) == 0, source


# -- end to end: one line in a real kernel -----------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_output_is_refused_and_the_console_goes_on(qtbot: QtBot, console: ConsoleWidget, case: str) -> None:
    code, reason = HOSTILE[case]
    run(qtbot, console, "from IPython.display import HTML, Markdown, SVG, display")
    stall = longest_stall(qtbot, console, code)
    refused = failed_blocks(console)
    assert len(refused) == 1, "the output is shown as its text and why (the view's fallback)"
    assert reason in refused[0].text_between(refused[0].start(), refused[0].end())
    assert stall <= 100, f"the UI stalled {stall:.0f} ms"
    still_works(qtbot, console)


@pytest.mark.timeout(120)
def test_local_files_are_never_drawn_in_the_console(
    qtbot: QtBot, console: ConsoleWidget, green_png: Path
) -> None:
    run(qtbot, console, "from IPython.display import HTML, Markdown, SVG, display")
    for source in local_forms(green_png):
        image = f'<img src="{source}" width="120" height="80">'
        background = f'<table><tr><td style="background-image: url({source})">' + "cell " * 30 + "</td></tr></table>"
        markdown = f"![the image]({source})"
        svg = SVG_HEAD + f'<image xlink:href="{source}" width="120" height="60"/></svg>'
        cells = [
            f"display(HTML({image!r}))",
            f"display(HTML({background!r}))",
            f"display(Markdown({markdown!r}))",
            f"display(SVG({svg!r}))",
        ]
        for code in cells:
            run(qtbot, console, code)
            assert green_pixels(output_pixels(console)) == 0, code
    assert not failed_blocks(console)  # shown, only without the file
    run(qtbot, console, f"display(HTML('<img src=\"{data_url(green_png)}\">'))")  # the check sees green
    qtbot.waitUntil(lambda: green_pixels(output_pixels(console)) > 100, timeout=10000)
    still_works(qtbot, console)
