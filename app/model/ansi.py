"""Tokenizing terminal output (ANSI/VT escape sequences) and interpreting SGR parameters."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Union, cast

from .style import DEFAULT_STYLE, Color, Style

Token = tuple[str, Union[str, None], Union[str, None], Union[str, None]]
"""``(text, control, params, final)``: a run of printable text (maybe empty), then
what ended it: a control character ``control`` (one of ``\n \r \b \t``), or a CSI
sequence ``ESC [ params final`` (``params`` with any private marker such as "?";
``final`` is the intermediate bytes then the final byte: "m", "K", " q"), or
nothing (all None: the end of the input, or a swallowed sequence)."""

MAX_PARTIAL = 512
"""Longest unfinished escape sequence held back between feeds; longer ones are dropped."""

# What ends a run of text; re.split() does the splitting in C. The pattern
# starts with one character class so that the regex engine can skip text
# quickly; lookbehinds then tell what that character was. Sequences matched
# without a capturing group are swallowed.
_SEPARATOR = re.compile(
    r"[\x00-\x1f\x7f](?:"
    r"(?<=([\n\r\b\t]))"  # control characters we interpret
    r"|(?<=\x1b)(?:"
    r"\[([0-?]*)([ -/]*[@-~])"  # CSI: params, intermediates + final
    # OSC, DCS, SOS, PM, APC strings end at BEL or ST (ESC \); another ESC aborts them.
    r"|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\|(?=\x1b))"
    r"|\[[0-?]*[ -/]*"  # malformed CSI (interrupted by a control character)
    r"|[ -/]*[0-~]"  # two-character and nF escapes: ESC 7, ESC =, ESC ( B ...
    r")?"  # (a lone ESC)
    r"|)"  # any other C0 control (BEL, ...) is dropped
)
# An escape sequence left unfinished at the end of a chunk.
_PARTIAL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[\]PX^_][^\x07\x1b]*|[ -/]*)?\Z")
_PARTIAL_ST = re.compile(r"\x1b[\]PX^_][^\x07\x1b]*\x1b\Z")  # a string, maybe ending in ST
_NO_SEPARATOR = (None, None, None)


def _partial_start(text: str) -> int:
    """Where an escape sequence left unfinished at the end of ``text`` starts, or -1."""
    last = text.rfind("\x1b")
    if last < 0:
        return -1
    if last == len(text) - 1:
        # A final ESC may be the first half of the ST ending an OSC string.
        before = text.rfind("\x1b", 0, last)
        return before if before >= 0 and _PARTIAL_ST.match(text, before) else last
    return last if _PARTIAL.match(text, last) else -1


class AnsiTokenizer:
    """Splits terminal output into runs of text, each followed by a control
    character or a CSI sequence.

    OSC strings (titles, hyperlinks), other string sequences and two-character
    escapes are swallowed. An escape sequence cut by a chunk boundary is held
    until the next :meth:`feed`.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held = ""

    @property
    def pending(self) -> str:
        """The unfinished escape sequence held back from the previous feed ("" if none)."""
        return self._held

    def reset(self) -> None:
        """Forget any held partial sequence."""
        self._held = ""

    def feed(self, text: str) -> Iterator[Token]:
        """Tokenize the next chunk of output, prefixed by any held partial sequence.

        The chunk is split at once; the tokens are then produced without
        allocating (the tuple is reused when the caller unpacks it right away).
        """
        if self._held:
            text = self._held + text
            self._held = ""
        start = _partial_start(text)
        if start >= 0:
            if len(text) - start <= MAX_PARTIAL:
                self._held = text[start:]
            # The held sequence's ESC stays at the end of what is split now, alone (swallowed):
            # a string before it must see that an ESC aborts it, as it would in one piece.
            text = text[: start + 1]
        parts: list[str | None] = _SEPARATOR.split(text)
        parts += _NO_SEPARATOR
        run = iter(parts)  # four at a time, without four copies of a list of 4 per separator
        return cast(Iterator[Token], zip(run, run, run, run))


# -- SGR ------------------------------------------------------------------------

StyleFields = tuple[Union[Color, None], Union[Color, None], bool, bool, bool, bool, bool, bool]
Op = tuple[int, Union[Color, bool, None]]
"""Setting one field of StyleFields: (field index, value)."""

_FG, _BG, _BOLD, _DIM, _ITALIC, _UNDERLINE, _INVERSE, _STRIKE = range(8)
_DEFAULT_FIELDS: StyleFields = (None, None, False, False, False, False, False, False)
_CACHE_SIZE = 8192
_CACHED_PARAMS = 64
"""Longer parameter strings are not cached: what the caches hold stays small whatever the
output (a cache entry keeps its parameter string alive)."""

# Equal styles are shared: less memory, and ``style is DEFAULT_STYLE`` is a valid test.
_STYLES: dict[StyleFields, Style] = {_DEFAULT_FIELDS: DEFAULT_STYLE}
# (id(style), params) -> (style, result). Holding ``style`` keeps its id from being reused.
_SGR_CACHE: dict[tuple[int, str], tuple[Style, Style]] = {}
_OPS_CACHE: dict[str, tuple[Op, ...]] = {}
_PLAIN_PARAMS = re.compile(r"[0-9]{1,9}(?:;[0-9]{1,9})*")


def _simple_codes() -> dict[int, tuple[Op, ...]]:
    """Each SGR code that takes no arguments, as the field assignments it makes."""
    table: dict[int, tuple[Op, ...]] = {
        0: tuple(enumerate(_DEFAULT_FIELDS)),
        1: ((_BOLD, True),),
        2: ((_DIM, True),),
        3: ((_ITALIC, True),),
        4: ((_UNDERLINE, True),),
        7: ((_INVERSE, True),),
        9: ((_STRIKE, True),),
        21: ((_UNDERLINE, True),),  # double underline, shown as underline
        22: ((_BOLD, False), (_DIM, False)),
        23: ((_ITALIC, False),),
        24: ((_UNDERLINE, False),),
        27: ((_INVERSE, False),),
        29: ((_STRIKE, False),),
        39: ((_FG, None),),
        49: ((_BG, None),),
    }
    for k in range(8):
        table[30 + k] = ((_FG, k),)
        table[40 + k] = ((_BG, k),)
        table[90 + k] = ((_FG, 8 + k),)
        table[100 + k] = ((_BG, 8 + k),)
    return table


_SIMPLE = _simple_codes()


def apply_sgr(style: Style, params: str) -> Style:
    """The style after ``ESC [ params m`` is applied to ``style``.

    Unknown or malformed parameters are ignored. Equal results are usually the
    same object, and a default result is always DEFAULT_STYLE itself.
    """
    if params == "" or params == "0":
        return DEFAULT_STYLE
    cached = len(params) <= _CACHED_PARAMS
    key = (id(style), params)
    if cached:
        hit = _SGR_CACHE.get(key)
        if hit is not None and hit[0] is style:
            return hit[1]
        ops = _OPS_CACHE.get(params)
        if ops is None:
            ops = _compile(params)
            if len(_OPS_CACHE) >= _CACHE_SIZE:
                _OPS_CACHE.clear()
            _OPS_CACHE[params] = ops
    else:
        ops = _compile(params)
    f: list[Union[Color, bool, None]] = [
        style.fg, style.bg, style.bold, style.dim,
        style.italic, style.underline, style.inverse, style.strike,
    ]
    for field, value in ops:
        f[field] = value
    fields = cast(StyleFields, tuple(f))
    result = _STYLES.get(fields)
    if result is None:
        result = Style(*fields)
        if len(_STYLES) >= 4 * _CACHE_SIZE:
            _STYLES.clear()
            _STYLES[_DEFAULT_FIELDS] = DEFAULT_STYLE
        _STYLES[fields] = result
    if cached:
        if len(_SGR_CACHE) >= _CACHE_SIZE:
            _SGR_CACHE.clear()
        _SGR_CACHE[key] = (style, result)
    return result


def _num(s: str) -> int | None:
    """A decimal parameter ("" is 0), or None if ``s`` is not one."""
    if s == "":
        return 0
    if not (s.isascii() and s.isdigit()) or len(s) > 9:
        return None
    return int(s)


def _color(args: Sequence[int | None], mode: int | None) -> Color | None:
    """The colour given by ``5;n`` (mode 5) or ``2;r;g;b`` (mode 2) arguments, if valid."""
    if mode == 5 and len(args) == 1:
        n = args[0]
        return n if n is not None and n <= 255 else None
    if mode == 2 and len(args) == 3:
        r, g, b = args
        if r is not None and g is not None and b is not None and max(r, g, b) <= 255:
            return (r, g, b)
    return None


def _compile(params: str) -> tuple[Op, ...]:
    """The field assignments an SGR parameter string makes, in order."""
    parts = params.split(";")
    vals: list[int | str | None]
    if _PLAIN_PARAMS.fullmatch(params):
        vals = list(map(int, parts))
    else:  # empty, malformed or colon-separated parameters
        vals = [p if ":" in p else _num(p) for p in parts]
    ops: list[Op] = []
    i, n = 0, len(vals)
    while i < n:
        code = vals[i]
        i += 1
        if isinstance(code, str):
            ops.extend(_colon_ops(code))
        elif code == 38 or code == 48 or code == 58:
            # Extended colour: its arguments are consumed even when invalid.
            mode = vals[i] if i < n else None
            count = 1 if mode == 5 else 3 if mode == 2 else -1
            if count < 0:
                break  # unknown colour model: the rest cannot be parsed reliably
            args = [v if isinstance(v, int) else None for v in vals[i + 1 : i + 1 + count]]
            i += 1 + count
            color = _color(args, mode if isinstance(mode, int) else None)
            if color is not None and code != 58:  # 58: underline colour, not shown
                ops.append((_FG if code == 38 else _BG, color))
        elif code is not None:
            ops.extend(_SIMPLE.get(code, ()))
    return tuple(ops)


def _colon_ops(part: str) -> list[Op]:
    """The assignments of a colon-separated parameter: ``38:5:n``, ``48:2::r:g:b``, ``4:3``."""
    subs = [_num(p) for p in part.split(":")]
    code = subs[0]
    if code == 38 or code == 48:
        mode = subs[1] if len(subs) > 1 else None
        # 38:2:r:g:b, or 38:2:colorspace:r:g:b as ITU T.416 has it (colorspace often empty).
        args = subs[3:6] if mode == 2 and len(subs) >= 6 else subs[2:]
        color = _color(args, mode)
        if color is not None:
            return [(_FG if code == 38 else _BG, color)]
    elif code == 4 and len(subs) > 1:
        return [(_UNDERLINE, subs[1] != 0)]  # 4:0 off; 4:1..4:5 single/double/curly/... on
    return []
