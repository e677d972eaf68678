"""Untrusted HTML (an output's ``text/html``, rendered Markdown) rebuilt from a whitelist.

The input is parsed with the standard library's :class:`html.parser.HTMLParser` and written
out again: only whitelisted elements and attributes survive, every text and attribute value
is escaped anew, and the result is a balanced fragment (it never closes an element it did
not open, so it cannot break out of the page around it). Gone are scripts, event handlers,
frames and plugins, forms' actions, comments and declarations, and every reference to
anything outside the page: a link keeps only a ``#fragment`` (an outside address becomes
its ``title``), an image only a ``data:image/...`` source, CSS that could load
anything (``url()``, ``@import``...) is left out whole.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    """a abbr acronym article aside b bdi bdo big blockquote br caption center cite code col
    colgroup dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header
    hr i img ins kbd label li main mark nav ol p pre q rp rt ruby s samp section small span
    strike strong style sub summary sup table tbody td tfoot th thead time tr tt u ul var
    wbr""".split()
)
"""Elements kept (with the whitelisted attributes); any other is left out, its content kept."""

VOID_TAGS = frozenset("area base br col embed hr img input keygen link meta param source track wbr".split())
"""Elements without content or end tag."""

DROPPED_WITH_CONTENT = frozenset(
    """script iframe object applet frameset frame noframes noembed noscript template title svg
    math textarea select video audio canvas""".split()
)
"""Elements left out together with everything inside them."""

ALLOWED_ATTRIBUTES = frozenset(
    """class id title lang dir style align valign width height colspan rowspan span border
    cellpadding cellspacing scope headers abbr alt start reversed type open bgcolor nowrap
    datetime""".split()
)
"""Attributes kept on any whitelisted element (``href``/``src`` are checked on their own)."""

_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|bmp|svg\+xml)[;,]", re.IGNORECASE)
_OUTSIDE_LINK = re.compile(r"(?:https?|mailto|ftp):", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_REFERENCE = re.compile(
    r"(?:url|image-set|image|cross-fade|element|expression|src|paint)\s*\(|@import|@namespace"
    r"|-moz-binding|behavior\s*:|javascript:",
    re.IGNORECASE,
)


def sanitize_html(source: str) -> str:
    """``source`` rebuilt from the whitelist: safe to place inside a page, balanced."""
    cleaner = _Cleaner()
    cleaner.feed(source)
    cleaner.close()
    return cleaner.result()


def sanitize_css(css: str) -> str:
    """``css`` without comments, or nothing if it could load anything (``url()``,
    ``@import``, ``image-set()``...), hold a backslash (an escape can spell ``url(`` in
    disguise) or a ``<`` (it could end the surrounding element)."""
    if "\\" in css or "<" in css:
        return ""
    css = _CSS_COMMENT.sub(" ", css)
    return "" if _CSS_REFERENCE.search(css) else css


class _Cleaner(HTMLParser):
    """Writes back what it parses, as far as the whitelist allows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._open: list[str] = []  # elements opened (and written) and not yet closed
        self._skip: str | None = None  # inside an element dropped with its content
        self._skip_depth = 0

    def result(self) -> str:
        closing = "".join(f"</{tag}>" for tag in reversed(self._open))
        self._open.clear()
        return "".join(self._out) + closing

    # -- parser callbacks ------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is not None:
            if tag == self._skip:
                self._skip_depth += 1
            return
        if tag in DROPPED_WITH_CONTENT:
            self._skip, self._skip_depth = tag, 1
            return
        if tag not in ALLOWED_TAGS:
            return
        if tag == "img":
            self._image(attrs)
            return
        self._out.append(f"<{tag}{self._attributes(tag, attrs)}>")
        if tag not in VOID_TAGS:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            return  # ``<svg/>``: nothing inside to skip
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None:
            if tag == self._skip:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip = None
            return
        if tag not in self._open:
            return  # never opened here (or not kept): closing it could close the page's own
        while self._open:
            opened = self._open.pop()
            self._out.append(f"</{opened}>")
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip is not None:
            return
        if self._open and self._open[-1] == "style":
            self._out.append(sanitize_css(data))
        else:
            self._out.append(html.escape(data, quote=False))

    # Comments, doctypes, processing instructions and CDATA sections are left out.
    def handle_comment(self, data: str) -> None:
        return

    def handle_decl(self, decl: str) -> None:
        return

    def handle_pi(self, data: str) -> None:
        return

    def unknown_decl(self, data: str) -> None:
        return

    # -- attributes --------------------------------------------------------------------------
    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        kept: list[tuple[str, str]] = []
        outside_link: str | None = None
        for name, value in attrs:
            name = name.lower()
            value = "" if value is None else value
            if tag == "a" and name == "href":
                target = value.strip()
                if target.startswith("#"):
                    kept.append(("href", target))
                elif _OUTSIDE_LINK.match(target):
                    outside_link = target
                continue
            if name not in ALLOWED_ATTRIBUTES:
                continue
            if name == "style":
                value = sanitize_css(value)
                if not value.strip():
                    continue
            kept.append((name, value))
        if outside_link is not None and not any(name == "title" for name, _ in kept):
            kept.append(("title", outside_link))
        return "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in kept)

    def _image(self, attrs: list[tuple[str, str | None]]) -> None:
        source = next((value or "" for name, value in attrs if name.lower() == "src"), "").strip()
        if _DATA_IMAGE.match(source) is None:
            alt = next((value or "" for name, value in attrs if name.lower() == "alt"), "")
            if alt:
                self._out.append(html.escape(f"[{alt}]", quote=False))
            return
        rest = self._attributes("img", [(n, v) for n, v in attrs if n.lower() != "src"])
        self._out.append(f'<img src="{html.escape(source, quote=True)}"{rest}>')
