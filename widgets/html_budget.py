"""What an HTML output may cost: one scan that follows Qt's own tokenizer, before Qt parses it
(see :mod:`conch.widgets.render_budget` for the measurements behind the limits).

Qt-free: unit-testable without a display (``mypy --strict``).
"""
from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable

from conch.widgets.budget_limits import HTML, HtmlLimits, OverBudget, megabytes

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
        raise OverBudget(f"HTML is {megabytes(len(text))} (limit {megabytes(limits.chars)})")
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
