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

import binascii
import html
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from xml.parsers import expat


class OverBudget(ValueError):
    """A document over its render budget; the message is the one-line reason."""


@dataclass(frozen=True)
class HtmlLimits:
    chars: int = 5_000_000
    """What Qt parses (``data:`` image URLs lifted out first): 5 MB of plain text lays out in
    0.5 s; tag-dense HTML hits the element limit long before."""
    table_nesting: int = 8
    depth: int = 100
    elements: int = 200_000
    """200 000 paragraphs or spans: about 1-2 s."""
    table_rows: int = 20_000
    table_cells: int = 20_000
    """1-2 s (a pandas DataFrame of 2000 rows × 9 columns)."""
    list_items: int = 3_000
    """In one list: 0.4 s."""
    lines: int = 100_000
    """``<pre>`` lines: 1 s."""


@dataclass(frozen=True)
class MarkdownLimits:
    chars: int = 5_000_000
    lines: int = 30_000
    """About 1.2 s even when every line is a heading or a hard break."""
    table_rows: int = 2_000
    table_cells: int = 10_000
    list_items: int = 3_000


@dataclass(frozen=True)
class SvgLimits:
    chars: int = 5_000_000
    """QSvgRenderer parses 5 MB (100 000 shapes) in about a second."""
    draws: int = 200_000
    """Shapes drawn once every ``<use>`` and ``url(#…)`` reference is expanded: about 0.4 s."""
    depth: int = 256


HTML = HtmlLimits()
MARKDOWN = MarkdownLimits()
SVG = SvgLimits()


def _megabytes(chars: int) -> str:
    return f"{chars / 1_000_000:.1f} MB"


# -- HTML ------------------------------------------------------------------------------------
#
# The scan follows Qt's own tokenizer (QTextHtmlParser::parseTag) exactly where it decides what
# a tag is: every "<" opens a tag (after white space), "<!--" runs to "-->", "<!x" to the next
# ">", a tag name or attribute is a "word" (quoted, or up to white space, "=", "<", ">" or
# "/>"), attributes follow only after white space, and a tag is closed ("<x/>") when a "/"
# comes between its attributes and the next ">". script, style and title are not raw text to
# Qt (their tags are parsed, only hidden). Where each node goes follows Qt's resolveParent
# (a stray <td> gets a table and a row, a <tr> goes back to its table, a <p> or <li> does not
# nest in its like...), erring on the deep side where it needs to know which elements are
# blocks. Table nesting is counted as the importer (QTextHtmlImporter) builds frames, which
# is not always the tree: tables placed directly in a table, outside its cells, nest one in
# the next. A random-soup test checks that the nesting found is never below Qt's.

_SPACE = re.compile(r"\s*")
_ONCE = "+" if sys.version_info >= (3, 11) else ""
"""Possessive quantifiers where Python has them: the same matches (nothing after these parts
could match by taking characters back), without the bookkeeping for backtracking, which makes
a tag with a million attributes 8× quicker to read."""


def _tag_pattern(source: str) -> re.Pattern[str]:
    return re.compile(source.replace("°", _ONCE))


_QUOTED = r"\"[^\"]*°\"?°|'(?:[^']|(?<=\\)')*°'?°"  # Qt: a ' after a backslash does not end it
_PLAIN_START = r"(?:[^>/<=\s\"']|/(?!>))"
_PLAIN_REST = r"(?:[^>/<=\s]|/(?!>))*°"
_WORD = _tag_pattern(rf"{_QUOTED}|{_PLAIN_START}{_PLAIN_REST}|")
_ATTRIBUTES = _tag_pattern(
    rf"(?:\s*°(?:\"[^\"]+°\"?°|'(?:[^']|(?<=\\)')+°'?°|[^>/<=\s\"']{_PLAIN_REST})"
    rf"(?:\s*°=\s*°(?:{_QUOTED}|{_PLAIN_START}{_PLAIN_REST})?°)?°)*°"
)
_VOID = frozenset({"img", "hr", "br", "meta"})  # Qt's mayNotHaveChildren; nothing else
_LISTS = frozenset({"ul", "ol"})
_INLINE = frozenset({
    "a", "b", "big", "cite", "code", "dfn", "em", "font", "i", "kbd", "nobr", "s", "samp", "small",
    "span", "strong", "sub", "sup", "tt", "u", "var",
})
"""Elements Qt surely lays out inline; anything else counts as a block here, so that a ``<p>``
never closes more than Qt's does."""
_ALLOWED_PARENTS: dict[str, Callable[[str], bool]] = {  # Qt 6: allowedInContext
    "dd": lambda parent: parent == "dl",
    "dt": lambda parent: parent == "dl",
    "tr": lambda parent: parent in ("table", "thead", "tbody", "tfoot"),
    "td": lambda parent: parent == "tr",
    "th": lambda parent: parent == "tr",
    "thead": lambda parent: parent == "table",
    "tbody": lambda parent: parent == "table",
    "tfoot": lambda parent: parent == "table",
    "caption": lambda parent: parent == "table",
    "body": lambda parent: parent != "head",
}
_SIMPLE = _tag_pattern(
    r"<(?:/([A-Za-z][A-Za-z0-9]*°)\s*°|([A-Za-z][A-Za-z0-9]*°)"
    r"(?:\s+°[^\s<>\"'/=]+°(?:\s*°=\s*°(?:\"[^\"]*°\"|'[^'\\]*°'|[^\s<>\"'/=]+°))?°)*°\s*°(/?))>"
)
"""A plain end tag (``</name>``), or a plain start tag: a name, attributes with plain or simply
quoted values, perhaps a final "/". Qt reads these as it looks; the rest goes through
``_HtmlScan._tag``, which follows Qt's tokenizer."""
_SPECIAL = _VOID | {"td", "th", "tr", "thead", "tbody", "tfoot", "caption", "body", "p", "li", "dd", "dt", "table"}
# Cheap counts first (C speed), so that a huge document is refused without the tag pass.
_START_TAG = re.compile(r"<(?!\s*[/!])")
_ROW_TAG = re.compile(r"<\s*[\"']?tr(?=[\s>/\"'])", re.IGNORECASE)
_CELL_TAG = re.compile(r"<\s*[\"']?t[dh](?=[\s>/\"'])", re.IGNORECASE)


def check_html(text: str, limits: HtmlLimits = HTML) -> None:
    """Raise :class:`OverBudget` if Qt would take too long (or crash) on the HTML ``text``
    (its ``data:`` URLs already replaced by short keys)."""
    if len(text) > limits.chars:
        raise OverBudget(f"HTML is {_megabytes(len(text))} (limit {_megabytes(limits.chars)})")
    lines = text.count("\n")
    if lines > limits.lines:
        raise OverBudget(f"HTML has {lines} lines (limit {limits.lines})")
    if "<" not in text:
        return
    rows = len(_ROW_TAG.findall(text))
    if rows > limits.table_rows:
        raise OverBudget(f"HTML has {rows} table rows (limit {limits.table_rows})")
    cells = len(_CELL_TAG.findall(text))
    if cells > limits.table_cells:
        raise OverBudget(f"HTML has {cells} table cells (limit {limits.table_cells})")
    elements = len(_START_TAG.findall(text))
    if elements > limits.elements:
        raise OverBudget(f"HTML has {elements} elements (limit {limits.elements})")
    _HtmlScan(text, limits).run()


class _HtmlScan:
    """One pass over the tags of a document, keeping the stack of open elements."""

    def __init__(self, text: str, limits: HtmlLimits) -> None:
        self.text = text
        self.limits = limits
        self.stack: list[str] = []
        self.counts: list[int] = []
        """Per open element: a list's items so far; a table's frame depth."""
        self.cursor = 0
        """The frame depth where Qt's importer is inserting (0: the document's root frame)."""
        self.elements = 0
        self.rows = 0
        self.cells = 0
        self.deepest_tables = 0
        self.deepest = 0
        self.orphan_items = 0

    def run(self) -> None:
        text, size = self.text, len(self.text)
        simple = _SIMPLE.match
        stack, counts = self.stack, self.counts
        deep = 4 * self.limits.depth
        at = text.find("<")
        while 0 <= at < size:
            tag = simple(text, at)
            if tag is None:  # anything unusual: read as Qt reads it
                at = self._tag(_match(_SPACE, text, at + 1).end())
            else:  # <name attr="value"...> or </name>: the usual, and quick
                closing, name, closed = tag.group(1, 2, 3)
                if closing:
                    name = closing.lower()
                    if stack and stack[-1] == name and name != "table":
                        stack.pop()
                        counts.pop()
                    else:
                        self._close(name)
                else:
                    name = name.lower()
                    if closed or name in _SPECIAL or len(stack) >= deep:
                        self._open(name, bool(closed))
                    else:  # an element with no rules of its own: it nests
                        self.elements += 1
                        stack.append(name)
                        counts.append(0)
                        if len(stack) > self.deepest:
                            self.deepest = len(stack)
                at = tag.end()
            if at < size:
                at = text.find("<", at)
        if self.elements > self.limits.elements:
            raise OverBudget(f"HTML has more than {self.limits.elements} elements")
        self._verdict(final=True)

    def _tag(self, at: int) -> int:
        """The tag whose name starts at ``at`` (after ``<`` and white space), read as Qt reads
        it; where the scan goes on."""
        text = self.text
        if text.startswith("!", at):
            if text.startswith("--", at + 1):
                end = text.find("-->", at + 3)
                return len(text) if end < 0 else end + 3
            end = text.find(">", at)
            return len(text) if end < 0 else end + 1
        if text.startswith("/", at):
            word = _match(_WORD, text, at + 1)
            name = _unquote(word.group()).lower().strip()
            end = text.find(">", word.end())
            if "&" not in name:  # an entity Qt might not decode: never close on a guess
                self._close(name)
            return len(text) if end < 0 else end + 1
        word = _match(_WORD, text, at)
        raw = _unquote(word.group())
        name = (html.unescape(raw) if "&" in raw else raw).lower()
        after = word.end()
        if after < len(text) and text[after].isspace():
            after = _match(_ATTRIBUTES, text, after).end()
        end = text.find(">", after)
        closed = text.find("/", after, len(text) if end < 0 else end) >= 0
        if name:  # Qt never makes a nameless node the parent of anything
            self._open(name, closed)
        return len(text) if end < 0 else end + 1

    def _open(self, name: str, closed: bool) -> None:
        """A start tag: its parent chosen as Qt's ``QTextHtmlParser::resolveParent`` does."""
        self.elements += 1
        limits = self.limits
        if self.elements > limits.elements:  # names Qt decodes (entities, quotes) count too
            raise OverBudget(f"HTML has more than {limits.elements} elements")
        stack = self.stack
        if name in ("td", "th"):
            self.cells += 1
            if self.cells > limits.table_cells:
                raise OverBudget(f"HTML has more than {limits.table_cells} table cells")
            if stack and stack[-1] == "tr":  # the usual: straight into its row
                table = self._nearest(("table",))
                if table >= 0:
                    self.cursor = self.counts[table]
                if not closed:
                    self._push(name)
                return
            if self._nearest(("tr",)) < 0:  # Qt inserts a table and a row around a stray cell
                self._push("table")
                self._row()
                self._push("tr")
        elif name == "tr":
            self._row()
            if self._nearest(("table",)) < 0:
                self._push("table")
        parent = len(stack)  # the new node goes under stack[parent - 1] (0: the root)
        if name == "p":  # a paragraph ends the inline elements of the paragraph it is in
            block = parent
            while block and stack[block - 1] in _INLINE:
                block -= 1
            if block and stack[block - 1] == "p":
                parent = block
        if parent and name in ("p", "li") and stack[parent - 1] == name:  # not self-nesting
            parent -= 1
        allowed = _ALLOWED_PARENTS.get(name)
        if allowed is not None:
            while parent and not allowed(stack[parent - 1]):
                parent -= 1
        self._pop_to(parent)
        if name in ("td", "th"):  # the importer moves into the cell of the enclosing table
            table = self._nearest(("table",))
            if table >= 0:
                self.cursor = self.counts[table]
        elif name == "li":
            lists = self._nearest(_LISTS)
            if lists < 0:
                self.orphan_items += 1
                count = self.orphan_items
            else:
                self.counts[lists] += 1
                count = self.counts[lists]
            if count > limits.list_items:
                raise OverBudget(f"HTML has a list of more than {limits.list_items} items")
        if name not in _VOID and not closed:
            self._push(name)

    def _row(self) -> None:
        self.rows += 1
        if self.rows > self.limits.table_rows:
            raise OverBudget(f"HTML has more than {self.limits.table_rows} table rows")

    def _push(self, name: str) -> None:
        self.stack.append(name)
        if name == "table":
            depth = self.cursor + 1
            self.counts.append(depth)
            if depth > self.deepest_tables:
                self.deepest_tables = depth
                if depth > 4 * self.limits.table_nesting:
                    self._verdict(final=False)
        else:
            self.counts.append(0)
        if len(self.stack) > self.deepest:
            self.deepest = len(self.stack)
            if self.deepest > 4 * self.limits.depth:
                self._verdict(final=False)

    def _close(self, name: str) -> None:
        found = self._nearest((name,))
        if found >= 0:
            self._pop_to(found)

    def _nearest(self, names: tuple[str, ...] | frozenset[str]) -> int:
        stack = self.stack
        for index in range(len(stack) - 1, -1, -1):
            if stack[index] in names:
                return index
        return -1

    def _pop_to(self, keep: int) -> None:
        """Close every element from ``keep`` up."""
        stack = self.stack
        for index in range(len(stack) - 1, keep - 1, -1):
            if stack[index] == "table":
                self._table_closed(index)
        del stack[keep:]
        del self.counts[keep:]

    def _table_closed(self, index: int) -> None:
        """Where Qt's importer (``QTextHtmlImporter::closeTag``) goes on after the table at
        ``index`` closes: the root frame if no table encloses it; the current cell of the
        enclosing table if it was inside one of its cells; otherwise the cursor stays in the
        closed table's last cell, so a table that follows nests one level deeper (sibling
        tables directly inside a table become a chain of nested frames)."""
        stack = self.stack
        outer = index - 1
        in_cell = False
        while outer >= 0 and stack[outer] != "table":
            in_cell = in_cell or stack[outer] in ("td", "th")
            outer -= 1
        if outer < 0:
            self.cursor = 0
        elif in_cell:
            self.cursor = self.counts[outer]
        else:
            self.cursor = max(self.cursor, self.counts[index])

    def _verdict(self, *, final: bool) -> None:
        """Refuse if a limit was passed; ``final=False``: the scan stops here (so the numbers
        are lower bounds)."""
        more = "" if final else "more than "
        if self.deepest_tables > self.limits.table_nesting:
            raise OverBudget(
                f"HTML nested {more}{self.deepest_tables} tables deep (limit {self.limits.table_nesting})"
            )
        if self.deepest > self.limits.depth:
            raise OverBudget(f"HTML nested {more}{self.deepest} elements deep (limit {self.limits.depth})")


def _match(pattern: re.Pattern[str], text: str, at: int) -> re.Match[str]:
    """``pattern`` at ``at`` (a pattern that always matches, if only the empty string)."""
    found = pattern.match(text, at)
    assert found is not None
    return found


def _unquote(word: str) -> str:
    if word[:1] in ("'", '"'):
        word = word[1:]
        return word[:-1] if word.endswith(("'", '"')) else word
    return word


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
        raise OverBudget(f"Markdown is {_megabytes(len(text))} (limit {_megabytes(limits.chars)})")
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


# -- embedded images -------------------------------------------------------------------------

_RASTER_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def is_raster(head: bytes) -> bool:
    """Whether ``head`` (the first 12 bytes or more) starts a PNG, JPEG, GIF, BMP or WebP file:
    the formats an embedded image may have. Anything else (an SVG above all, which Qt's image
    reader would render, references and all) is refused."""
    return head.startswith(_RASTER_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def is_raster_base64(payload: str) -> bool:
    """:func:`is_raster` for base64 text (white space allowed)."""
    head = "".join(payload[:64].split())[:16]
    try:
        return is_raster(binascii.a2b_base64(head))
    except (binascii.Error, ValueError):
        return False


def is_raster_data_url(url: str) -> bool:
    """A ``data:`` URL holding a base64 PNG, JPEG, GIF, BMP or WebP image."""
    header, comma, payload = url.strip().partition(",")
    return bool(comma) and header[:5].lower() == "data:" and ";base64" in header.lower() and is_raster_base64(payload)


# -- SVG -------------------------------------------------------------------------------------

_HIDDEN = frozenset({
    "defs", "symbol", "clipPath", "mask", "pattern", "marker", "linearGradient", "radialGradient",
    "filter", "style", "title", "desc", "metadata",
})
"""Not drawn where they stand, only where something refers to them."""
_DROPPED = frozenset({"script", "foreignobject", "handler", "listener"})
_IMPORT = re.compile(r"@import", re.IGNORECASE)
_RISKY_WORDS = ("href", "url(", "@import", "<!entity", "script", "foreignobject", "handler", "listener")


def _risky(svg: str) -> bool:
    """Whether ``svg`` may hold anything to remove, or references between its elements (an
    SVG with none of it is passed on as it is)."""
    lowered = svg.lower()
    if any(word in lowered for word in _RISKY_WORDS):
        return True
    declaration = lowered.find("<?")  # only an XML declaration may be there
    if declaration < 0:
        return False
    xml = lowered.startswith("<?xml", declaration) and lowered[declaration + 5 : declaration + 6] in " \t\r\n?"
    return not xml or lowered.find("<?", declaration + 2) >= 0


_SVG_ELEMENT = re.compile(r"<[A-Za-z_:]")
_MARKERS = ("marker", "marker-start", "marker-mid", "marker-end")
_NUMBER = re.compile(r"[-+]?(?:\d*\.\d+|\d+\.?)(?:[eE][-+]?\d+)?")


class _Element:
    """An element of an SVG being sanitized."""

    __slots__ = ("qname", "name", "attributes", "parent", "children", "kids", "references")

    def __init__(self, qname: str, name: str, attributes: dict[str, str], parent: int,
                 references: list[tuple[str, int]]) -> None:
        self.qname = qname
        """As written (with its prefix, if any)."""
        self.name = name
        """Without the prefix."""
        self.attributes = attributes
        self.parent = parent
        self.children: list[int | str] = []
        """Element indices and text, in order."""
        self.kids: list[int] = []
        """Element indices only."""
        self.references = references
        """(id, how many times it is drawn from here)."""


def sanitize_svg(svg: str, limits: SvgLimits = SVG) -> str:
    """The SVG ``svg`` made safe to hand to QSvgRenderer, or :class:`OverBudget` with why not.

    Every reference that is not a fragment (``#id``) or an embedded raster image (a base64
    ``data:`` PNG, JPEG, GIF, BMP or WebP) is removed: ``href`` / ``xlink:href`` attributes
    (any prefix: Qt matches the qualified name), ``url(…)`` in attributes and style sheets,
    ``@import``; and so are scripts, ``foreignObject``, processing instructions
    (``xml-stylesheet``), and the DOCTYPE (internal entities are expanded). The draw cost is
    estimated from the reference graph (``<use>``, ``href="#…"``, ``url(#…)``, expanded
    through their nesting; markers count once per vertex) and checked against
    ``limits.draws``; so are the size and the nesting depth. When nothing needed removing,
    the text is returned unchanged."""
    if len(svg) > limits.chars:
        raise OverBudget(f"SVG is {_megabytes(len(svg))} (limit {_megabytes(limits.chars)})")
    if not _risky(svg):  # no references of any kind: each element is drawn once
        shapes = len(_SVG_ELEMENT.findall(svg))
        if shapes > limits.draws:
            raise OverBudget(f"SVG has {shapes} elements (limit {limits.draws})")
        return svg  # (Qt refuses documents nested thousands deep itself)
    reader = _SvgReader(limits)
    reader.read(svg)
    elements = reader.elements
    if not elements:
        raise OverBudget("SVG has no elements")
    draws = _draw_cost(elements, limits.draws)
    if draws > limits.draws:
        raise OverBudget(f"SVG would draw more than {limits.draws} shapes (its <use> references multiply)")
    if not reader.changed:
        return svg
    return _serialize(elements)


class _SvgReader:
    """Reads an SVG with expat (no namespace processing: names as Qt sees them), sanitizing
    as it goes."""

    def __init__(self, limits: SvgLimits) -> None:
        self.limits = limits
        self.elements: list[_Element] = []
        self.changed = False
        self._open: list[int] = []
        self._skipping = 0  # inside a dropped element

    def read(self, svg: str) -> None:
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.ProcessingInstructionHandler = self._changed
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._changed
        parser.ExternalEntityRefHandler = self._external_entity
        parser.buffer_text = True
        try:
            parser.Parse(svg, True)
        except expat.ExpatError as error:
            reason = f"{expat.ErrorString(error.code)}, line {error.lineno}"
            raise OverBudget(f"SVG is not well-formed XML ({reason})") from None

    def _changed(self, *_args: object) -> None:
        self.changed = True

    def _doctype(self, _name: str, _system: str | None, _public: str | None, has_internal_subset: int) -> None:
        if has_internal_subset:
            self.changed = True

    def _external_entity(self, *_args: object) -> int:
        self.changed = True
        return 1  # not loaded: the reference is dropped

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2] if ":" in name else name
        if self._skipping or local.lower() in _DROPPED:
            self._skipping += 1
            self.changed = True
            return
        if len(self._open) >= self.limits.depth:
            raise OverBudget(f"SVG nested more than {self.limits.depth} elements deep")
        references: list[tuple[str, int]] = []
        for key, value in attributes.items():
            if "(" in value or key[-4:].lower() == "href":
                attributes = self._sanitized(attributes, references)
                break
        index = len(self.elements)
        parent = self._open[-1] if self._open else -1
        self.elements.append(_Element(name, local, attributes, parent, references))
        if parent >= 0:
            self.elements[parent].children.append(index)
            self.elements[parent].kids.append(index)
        self._open.append(index)

    def _sanitized(self, attributes: dict[str, str], references: list[tuple[str, int]]) -> dict[str, str]:
        """``attributes`` without references to anything outside the SVG; the references to
        its own elements are added to ``references``."""
        kept: dict[str, str] = {}
        for key, value in attributes.items():
            if key.rpartition(":")[2].lower() == "href":
                target = value.strip()
                if target.startswith("#"):
                    references.append((target[1:], 1))
                elif not is_raster_data_url(target):
                    self.changed = True
                    continue
            elif "url(" in value.lower():
                value, found = _neutralize_urls(value)
                self.changed = self.changed or value != attributes[key]
                marker = key in _MARKERS or (key == "style" and "marker" in value)
                weight = _vertices(attributes) if marker else 1
                references += [(target, weight) for target in found]
            kept[key] = value
        return kept

    def _end(self, _name: str) -> None:
        if self._skipping:
            self._skipping -= 1
            return
        index = self._open.pop()
        element = self.elements[index]
        if element.name == "style":
            css = "".join(part for part in element.children if isinstance(part, str))
            cleaned, found = _neutralize_urls(_IMPORT.sub("@ignored", css))  # an unknown rule: skipped
            if cleaned != css:
                self.changed = True
                element.children = [cleaned, *element.kids]
            self.elements[0].references += [(target, 1) for target in found]  # rules apply anywhere

    def _text(self, data: str) -> None:
        if not self._skipping and self._open:
            self.elements[self._open[-1]].children.append(data)


def _neutralize_urls(value: str) -> tuple[str, list[str]]:
    """``value`` with every ``url(…)`` that is not ``url(#id)`` replaced by ``none``; the ids.
    (One pass with ``str.find``: however many ``url(`` there are, the text is read once.)"""
    lowered = value.lower()
    at = lowered.find("url(")
    parts: list[str] = []
    found: list[str] = []
    start = 0
    while at >= 0:
        end = value.find(")", at + 4)
        if end < 0:
            break  # never closed: no URL at all
        target = value[at + 4 : end].strip().strip("'\"").strip()
        if target.startswith("#"):
            found.append(target[1:])
        else:
            parts += [value[start:at], "none"]
            start = end + 1
        at = lowered.find("url(", end + 1)
    if not parts:
        return value, found
    parts.append(value[start:])
    return "".join(parts), found


def _vertices(attributes: dict[str, str]) -> int:
    """About how many vertices a shape has (a marker is drawn at each)."""
    numbers = sum(len(_NUMBER.findall(attributes.get(key, ""))) for key in ("d", "points"))
    return max(2, numbers // 2 + 1)


def _draw_cost(elements: list[_Element], cap: int) -> int:
    """Shapes drawn from the root, every reference expanded (saturating a little past ``cap``).
    A reference cycle is refused."""
    ceiling = cap + 1
    count = len(elements)
    cost = [-1] * count  # -1: not known yet
    inner = [0] * count  # the known cost of an element's drawn children
    pending = [False] * count  # it, or something inside it, refers to other elements
    # Elements come in document order, so children after their parents: one backward pass
    # prices every subtree that refers to nothing.
    for index in range(count - 1, -1, -1):
        element = elements[index]
        if element.references:
            pending[index] = True
        if not pending[index]:
            cost[index] = min(1 + inner[index], ceiling)
        parent = element.parent
        if parent >= 0:
            if pending[index]:
                pending[parent] = True
            elif element.name not in _HIDDEN:
                inner[parent] += cost[index]
    ids: dict[str, list[int]] = {}
    for index, element in enumerate(elements):
        key = element.attributes.get("id") or element.attributes.get("xml:id")
        if key:
            ids.setdefault(key, []).append(index)

    def priced(index: int) -> int:
        """The element's cost if everything it depends on is priced (else -1)."""
        element = elements[index]
        total = 1 + inner[index]
        for kid in element.kids:
            if pending[kid] and elements[kid].name not in _HIDDEN:
                if cost[kid] < 0:
                    return -1
                total += cost[kid]
        for target, weight in element.references:
            best = 0
            for referenced in ids.get(target, ()):
                if cost[referenced] < 0:
                    return -1
                best = max(best, cost[referenced])
            total += weight * best
        return min(total, ceiling)

    # Most references point at definitions already priced: a second backward pass.
    for index in range(count - 1, -1, -1):
        if pending[index]:
            cost[index] = priced(index)
    if cost[0] >= 0:
        return cost[0]
    # What is left refers to elements that refer to others: depth first, watching for cycles.
    state = [2 if known >= 0 else 0 for known in cost]  # 0 unseen, 1 on the current path, 2 done
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        index, ready = stack.pop()
        if ready:
            cost[index] = priced(index)
            state[index] = 2
            continue
        if state[index] == 2:
            continue
        if state[index] == 1:
            raise OverBudget("SVG references form a cycle")
        state[index] = 1
        stack.append((index, True))
        for target, _weight in elements[index].references:
            for referenced in ids.get(target, ()):
                if state[referenced] == 1:
                    raise OverBudget("SVG references form a cycle")
                if state[referenced] == 0:
                    stack.append((referenced, False))
        stack.extend((kid, False) for kid in elements[index].kids if state[kid] == 0)
    return cost[0]


def _serialize(elements: list[_Element]) -> str:
    out: list[str] = []
    pending: list[int | str] = [0]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            out.append(item)  # a closing tag, already formed
            continue
        element = elements[item]
        tag = element.qname
        out.append("<" + tag)
        for key, value in element.attributes.items():
            out.append(f' {key}="{_escape_attribute(value)}"')
        if not element.children:
            out.append("/>")
            continue
        out.append(">")
        pending.append(f"</{tag}>")
        for child in reversed(element.children):
            pending.append(html.escape(child, quote=False) if isinstance(child, str) else child)
    return "".join(out)


def _escape_attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    )
