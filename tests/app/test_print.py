"""File ▸ Export as PDF… and Print…: the transcript through QPrinter (real ipykernel)."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog
from pytestqt.qtbot import QtBot

from conch.app import window_files
from conch.widgets.transcript_printer import pdf_printer, printable_html, transcript_document
from tests.app.conftest import close_window, open_window

PLOT = (
    "from IPython.display import Image, display\n"
    "import base64, struct, zlib\n"
    "def png(w, h):\n"
    "    raw = b''.join(b'\\x00' + bytes([200, 40, 40]) * w for _ in range(h))\n"
    "    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))\n"
    "    return (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))\n"
    "            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))\n"
    "display(Image(png(240, 160)))\n"
)


def _lines_cross_pages(document: QTextDocument) -> list[str]:
    """Text lines that a page bottom would cut in two."""
    page = document.pageSize().height()
    layout = document.documentLayout()
    crossing = []
    block = document.begin()
    while block.isValid():
        top = layout.blockBoundingRect(block).top()
        text_layout = block.layout()
        for i in range(text_layout.lineCount()):
            line = text_layout.lineAt(i)
            y0, y1 = top + line.y(), top + line.y() + line.height()
            if int(y0 // page) != int((y1 - 0.01) // page):
                crossing.append(block.text()[line.textStart():line.textStart() + line.textLength()])
        block = block.next()
    return crossing


def test_export_pdf_of_text_and_a_plot(qtbot: QtBot, tmp_path: Path) -> None:
    window = open_window(qtbot)
    tab = window.current_tab()
    assert tab is not None and tab.console is not None
    console = tab.console
    for code in ("for i in range(150): print('line', i, '\\x1b[31mred\\x1b[0m')", PLOT):
        with qtbot.waitSignal(console.execution_finished, timeout=20000):
            console.execute(code)
    path = tmp_path / "session.pdf"
    assert window_files.export_pdf(window, str(path))
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert pages >= 3, pages  # 150 lines do not fit on one A4 page
    assert b"/Subtype /Image" in data or b"/Subtype/Image" in data  # the plot
    assert len(data) > 10_000
    assert "Saved" in window.statusBar().currentMessage()

    # What went to the printer: the text and the image, ANSI red as a colour, no line cut by a page.
    html = printable_html(console)
    assert "data:image/png;base64," in html and "line 149" in html and "<table" in html
    document = transcript_document(console, pdf_printer(str(tmp_path / "unused.pdf"), "t"))
    assert "line 149" in document.toPlainText() and "range(150)" in document.toPlainText()
    assert document.pageCount() == pages
    assert _lines_cross_pages(document) == []
    # A look at the first page, as printed (QtPdf is not installed to render the PDF itself).
    size = document.pageSize()
    image = QImage(int(size.width()), int(size.height()), QImage.Format.Format_ARGB32)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    document.drawContents(painter, QRectF(QPointF(0, 0), size))
    painter.end()
    Path("/tmp/conch_shots").mkdir(exist_ok=True)
    image.save("/tmp/conch_shots/pdf_page1.png")
    close_window(qtbot, window)


def test_print_opens_the_print_dialog_without_blocking(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    dialog = window_files.print_session(window)
    assert isinstance(dialog, QPrintDialog) and dialog.isVisible()
    dialog.reject()
    close_window(qtbot, window)
