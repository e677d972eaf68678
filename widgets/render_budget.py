"""Render budgets: what an HTML, Markdown or SVG output may cost, checked before Qt sees it.

Qt's rich-text parser and layout and ``QSvgRenderer`` run to completion once started: nothing
can interrupt them, and some of their costs explode. So a document is measured first, here,
with cheap scans (string counts and compiled regular expressions at C speed, then one pass over
the tags), and refused with a one-line reason (:class:`OverBudget`) when it is over budget.
Budgets instead of trust: an output is data from a kernel, and one line of Python can make
any amount of it.

The limits below come from measurements of Qt 6.11 on a two-core machine (parse + first layout
at 700 px; a relayout at a new width costs about the layout again). What they guard against:

- **Nested tables** double Qt's layout time per level (8 deep: 3 ms, 14: 0.12 s, 18: 5 s, 22:
  over 90 s) and thousands deep overflow the stack (a crash, taking every tab).
- **Nested elements** of any kind make the parser quadratic (each new node walks its
  ancestors: ``<div>`` × 3000 takes 0.15 s, × 50 000 about 40 s). At 100 levels it is < 2 ms.
- **Table cells and rows**: about 100 µs a cell with Conch's table style (parse 25 µs, layout
  75 µs: 20 000 cells take 2 s on a busy machine, 1 s on an idle one; plain Qt is 4× faster).
- **List items** cost more the longer their list (one list of 3000: 0.4 s, of 8000: 3.8 s).
- **Lines** (``<pre>`` text, Markdown blocks): 200 000 lines of ``<pre>`` take 2 s;
  100 000 Markdown headings 2.8 s, hard breaks 3.7 s.
- **Markdown tables** are quadratic in their rows (2000 rows: 0.34 s, 5000: 1.1 s, 20 000: 12 s).
  Markdown nesting is harmless: Qt's importer flattens lists and quotes, drops HTML blocks and
  parses inline HTML piece by piece (5000 nested quotes or 50 000 inline ``<div>``: < 40 ms).
- **SVG** ``<use>`` graphs multiply: 7 levels of 10 uses draw 10⁷ shapes (about 20 s a render);
  QSvgRenderer draws roughly 500 000 shapes a second.

What is accepted still costs up to about a second or two at the limits; the blocks make sure
that is paid once (see ``RichTextBlock`` and ``SvgBlock``).

Qt-free: unit-testable without a display (``mypy --strict``).
"""
from __future__ import annotations

import re

from conch.widgets.budget_limits import (
    HTML,
    MARKDOWN,
    SVG,
    HtmlLimits,
    MarkdownLimits,
    OverBudget,
    SvgLimits,
    is_raster,
    is_raster_base64,
    is_raster_data_url,
    megabytes,
)
from conch.widgets.html_budget import _HtmlScan, check_html
from conch.widgets.svg_budget import sanitize_svg

__all__ = [
    "HTML", "MARKDOWN", "SVG", "HtmlLimits", "MarkdownLimits", "OverBudget", "SvgLimits", "_HtmlScan",
    "check_html", "check_markdown", "is_raster", "is_raster_base64", "is_raster_data_url", "sanitize_svg",
]


# -- Markdown --------------------------------------------------------------------------------

_DELIMITER_ROW = re.compile(r"^[ \t]*[|:-][|: \t-]*$", re.MULTILINE)
"""A line of only pipes, dashes, colons and blanks: a table's delimiter row if it has a pipe
and a dash (generous on purpose, and linear: no two parts can take the same blanks)."""
_PIPE_LINE = re.compile(r"^[^\n|]*\|", re.MULTILINE)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_LIST_BREAK = re.compile(r"\n[ \t]*\n(?=\S)")
"""A blank line, then a line that is not indented: the list before it has ended."""


def check_markdown(text: str, limits: MarkdownLimits = MARKDOWN) -> None:
    """Raise :class:`OverBudget` if Qt would take too long on the Markdown ``text``."""
    if len(text) > limits.chars:
        raise OverBudget(f"Markdown is {megabytes(len(text))} (limit {megabytes(limits.chars)})")
    lines = text.count("\n")
    if lines > limits.lines:
        raise OverBudget(f"Markdown has {lines} lines (limit {limits.lines})")
    if "|" in text and any("|" in m.group() and "-" in m.group() for m in _DELIMITER_ROW.finditer(text)):
        rows = len(_PIPE_LINE.findall(text))
        if rows > limits.table_rows:
            raise OverBudget(f"Markdown has {rows} table rows (limit {limits.table_rows})")
        cells = text.count("|") + rows
        if cells > limits.table_cells:
            raise OverBudget(f"Markdown has about {cells} table cells (limit {limits.table_cells})")
    longest = run = 0
    previous = -1
    for item in _LIST_ITEM.finditer(text):
        if previous >= 0 and _LIST_BREAK.search(text, previous, item.start()):
            run = 0
        run += 1
        longest = max(longest, run)
        previous = item.end()
    if longest > limits.list_items:
        raise OverBudget(f"Markdown has a list of {longest} items (limit {limits.list_items})")
