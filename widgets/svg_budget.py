"""What an SVG output may cost, and what of it may reach ``QSvgRenderer``: sanitized (nothing
outside the document is read, no scripts) and its drawing cost counted through ``<use>``
(see :mod:`conch.widgets.render_budget`).

Qt-free: unit-testable without a display (``mypy --strict``).
"""
from __future__ import annotations

import html
import re
from xml.parsers import expat

from conch.widgets.budget_limits import SVG, OverBudget, SvgLimits, is_raster_data_url, megabytes

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
        raise OverBudget(f"SVG is {megabytes(len(svg))} (limit {megabytes(limits.chars)})")
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
