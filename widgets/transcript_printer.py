"""A console's transcript on paper or in a PDF, through ``QPrinter``.

The page is the HTML export (:mod:`conch.app.export.html_page`: highlighted code, ANSI colours,
images inline as ``data:`` URIs, which ``QTextDocument`` reads) with its prompt rows turned into
two-column tables, since Qt's rich text has no flex layout. ``QTextDocument`` paginates by
lines: a line that would cross the bottom of a page starts the next one.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from conch.app.export.html_page import transcript_to_html

if TYPE_CHECKING:
    from conch.widgets.console import ConsoleWidget

_ROW = re.compile(r'<div class="row (?:input|output)"><span class="prompt (in|out)">(.*?)</span>', re.S)
_PROMPT_WIDTH = 72  # points: "In [100]:" in the page's monospace size, and a gap
_PRINT_CSS = """
table.row { margin-top: 2px; }
td.prompt { white-space: pre; }
pre { white-space: pre-wrap; }
"""


def printable_html(console: "ConsoleWidget") -> str:
    """The console's transcript as HTML that ``QTextDocument`` lays out like the console."""
    session = console.kernel
    page = transcript_to_html(session.transcript, title=document_title(console), language_info=session.language_info)
    return _rows_as_tables(page).replace("</style>", _PRINT_CSS + "</style>", 1)


def document_title(console: "ConsoleWidget") -> str:
    return f"Conch — {console.kernel.kernel.display_name}"


def _rows_as_tables(page: str) -> str:
    """Each ``<div class="row">`` (prompt beside body, a flex row) as a two-cell table row."""
    pieces: list[str] = []
    position = 0
    matches = list(_ROW.finditer(page))
    for index, match in enumerate(matches):
        pieces.append(page[position:match.start()])
        side, prompt = match.group(1), match.group(2)
        pieces.append(
            '<table class="row" width="100%" cellspacing="0" cellpadding="0"><tr>'
            f'<td class="prompt {side}" width="{_PROMPT_WIDTH}">{prompt}</td><td class="body">'
        )
        end = matches[index + 1].start() if index + 1 < len(matches) else len(page)
        section_end = page.find("</section>", match.end(), end)
        row_end = page.rfind("</div>", match.end(), section_end if section_end >= 0 else end)
        if row_end < 0:  # not the shape html_page writes: leave the row as it is
            pieces[-1] = match.group(0)
            position = match.end()
            continue
        pieces.append(page[match.end():row_end] + "</td></tr></table>")
        position = row_end + len("</div>")
    pieces.append(page[position:])
    return "".join(pieces)


def transcript_document(console: "ConsoleWidget", printer: QPrinter) -> QTextDocument:
    """The transcript laid out in pages of ``printer``'s size (points), ready to print."""
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setDefaultFont(console.view.metrics.font)
    document.setHtml(printable_html(console))
    rect = printer.pageLayout().paintRect(QPageLayout.Unit.Point)
    document.setPageSize(QSizeF(rect.width(), rect.height()))
    return document


def pdf_printer(path: str, title: str) -> QPrinter:
    """A printer writing a PDF to ``path`` on A4 with 15 mm margins."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(path)
    printer.setDocName(title)
    printer.setPageLayout(QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
        QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter,
    ))
    return printer


def print_transcript(console: "ConsoleWidget", printer: QPrinter) -> int:
    """Print the transcript on ``printer``; returns the number of pages."""
    if not printer.docName():
        printer.setDocName(document_title(console))
    document = transcript_document(console, printer)
    document.print_(printer)
    return document.pageCount()


def write_pdf(console: "ConsoleWidget", path: str) -> int:
    """Write the transcript as a PDF at ``path``; returns the number of pages. Raises
    ``OSError`` if the file could not be written."""
    printer = pdf_printer(path, document_title(console))
    pages = print_transcript(console, printer)
    if printer.printerState() == QPrinter.PrinterState.Error:
        raise OSError(f"could not write {path}")
    return pages
