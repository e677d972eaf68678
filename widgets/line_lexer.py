"""Pygments lexing one line at a time, with the lexer state carried from line to line.

Qt-free. An editor's highlighter calls :meth:`LineLexer.lex_line` for a line with the state
the previous line ended in, and keeps the state this line ends in for the next one. For a
plain :class:`pygments.lexer.RegexLexer` the state is its stack of state names, so a string
opened by triple quotes on one line keeps the following lines string-coloured until it is
closed. Other lexers see every line on its own (their state is a constant).

Limits of lexing by line: a single rule whose regex itself spans lines (Python's docstring
rule, a C ``/* ... */`` comment, a shell here-document, an IPython ``%%cell`` magic's body)
only matches when it ends on the same line; otherwise the lexer's per-line rules apply (a
Python docstring is then coloured as a string rather than as a docstring).

Speed: at each position RegexLexer tries the rules of the current state in order until one
matches; IPython's lexer has 83 rules in its root state. Here each rule's regex is analysed
once (with ``re``'s own parser) for the characters a match can start with, and at each
position only the rules that can match there are tried, still in their order, so the rule
that wins is the one Pygments would pick.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Final, TypeAlias, cast

from pygments.lexer import Lexer, RegexLexer  # type: ignore[import-untyped, unused-ignore]
from pygments.lexers import TextLexer  # type: ignore[import-untyped, unused-ignore]
from pygments.token import Error, _TokenType  # type: ignore[import-untyped, unused-ignore]

from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.app.look.code_style import CodeStyle, ConchLightStyle
from conch.app.look.highlight import token_style

try:
    from re import _parser as _sre_parse  # type: ignore[attr-defined, unused-ignore]
except ImportError:  # Python 3.10
    import sre_parse as _sre_parse

LexState: TypeAlias = tuple[str, ...]
"""Where a lexer stands at a line boundary: a RegexLexer's state stack (innermost last), or
``()`` for lexers whose lines are lexed independently. Hashable and comparable."""

_ROOT: Final[LexState] = ("root",)
_MAX_DEPTH: Final = 32
"""States kept on the stack between lines: the bottom one and the innermost ones. Without a
bound a few lexers (BBC Basic, fixed-form Fortran) grow it by a state a line, and every line
would end in a new state to remember."""
_STUCK_LIMIT: Final = 64
"""Empty matches in a row at one position before the line is given up as plain text (a
lexer bug that would loop for ever in Pygments itself)."""

_Rule: TypeAlias = tuple[Callable[[str, int], "re.Match[str] | None"], Any, Any]
"""(match, action, new state) as a RegexLexer keeps them in its compiled ``_tokens``."""
_Start: TypeAlias = tuple[frozenset[str], frozenset[str], bool, bool]
"""(skip, first, empty, loose): what a rule can match at; see :func:`_analyse`."""

_ASCII: Final = frozenset(map(chr, range(128)))
_SPACE: Final = frozenset(c for c in _ASCII if c.isspace())  # what \s matches in ASCII
_SPACE_RUN: Final = cast(  # a run of them; a `*` pattern always matches
    "Callable[[str, int], re.Match[str]]", re.compile("[\t-\r\x1c-\x1f ]*").match)
_CATEGORIES: Final = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D",
                      "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S",
                      "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}
_ZERO_WIDTH: Final = ("AT", "ASSERT", "ASSERT_NOT")
_REPEATS: Final = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


class LineLexer:
    """Wraps a Pygments lexer to lex single lines from a given start state.

    Lines are given without their newline. A line is lexed as ``line + "\\n"`` so that rules
    that look for the end of the line behave as in a whole document; the newline itself is
    not part of the returned spans.
    """

    def __init__(self, lexer: Lexer, code_style: CodeStyle = ConchLightStyle) -> None:
        self.lexer = lexer
        self.code_style = code_style
        cls = type(lexer)
        self._plain = isinstance(lexer, TextLexer)
        # Only a RegexLexer that keeps Pygments' own main loop can be driven rule by rule: a
        # subclass overriding get_tokens_unprocessed post-processes tokens we would miss.
        self._table: dict[str, list[_Rule]] | None = None
        if isinstance(lexer, RegexLexer) and (
            cls.get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed
        ):
            self._table = getattr(lexer, "_tokens", None)  # per class, or per instance
        self.initial_state: LexState = _ROOT if self._table is not None else ()
        """The state the first line starts in."""
        self._styles: dict[_TokenType, Style] = {}
        self._dispatches: dict[str, _Dispatch] = {}

    @classmethod
    def plain(cls) -> LineLexer:
        """A lexer for unknown languages: every line is one span of the default style."""
        return cls(TextLexer(stripnl=False, ensurenl=False))

    def prepare_step(self) -> bool:
        """Do the one-time preparation of one more of the lexer's states (analysing its rules
        takes ~1-25 ms a state; 75 ms in all for IPython's lexer) and say whether any are left.
        Lets an editor prepare a lexer in idle moments; otherwise the first lines lexed in a
        state pay for it."""
        if self._table is None:
            return False
        todo = [name for name in self._table if name not in self._dispatches]
        if todo:
            self._dispatch(todo[0])
        return len(todo) > 1

    def lex_line(self, line: str, state: LexState) -> tuple[list[Span], LexState]:
        """``line``'s spans (their texts add up to ``line``; adjacent spans differ in style)
        and the state the next line starts in. Never raises: if the lexer fails, the line is
        one default-style span and the next line starts from :attr:`initial_state`."""
        if self._plain or not line and self._table is None:
            return ([(line, DEFAULT_STYLE)] if line else []), self.initial_state
        try:
            if self._table is not None:
                return self._lex_regex(line, state, self._table)
            text = line + "\n"
            return self._spans(text, self.lexer.get_tokens_unprocessed(text)), ()
        except Exception:  # noqa: BLE001 - a broken lexer must not break the editor
            return ([(line, DEFAULT_STYLE)] if line else []), self.initial_state

    def _lex_regex(
        self, line: str, state: LexState, table: dict[str, list[_Rule]]
    ) -> tuple[list[Span], LexState]:
        """RegexLexer's semantics: at each position the first rule of the current state that
        matches wins; its action yields tokens, its new state changes the stack. A position
        that no rule matches is an error token, or at the line's end goes back to the root
        state."""
        text = line + "\n"
        size = len(text)
        stack = list(state) if state and all(s in table for s in state) else list(_ROOT)
        dispatches = self._dispatches
        rules = dispatches.get(stack[-1]) or self._dispatch(stack[-1])
        tokens: list[tuple[int, _TokenType, str]] = []
        append, token_type, space, space_run = tokens.append, _TokenType, _SPACE, _SPACE_RUN
        pos = stuck = 0
        while pos < size:
            key = text[pos]
            if key in space:  # the key is the blank and the first character after the blanks
                key = text[pos:pos + 2]
                if key[-1] in space:
                    after = space_run(text, pos).end()
                    key = key[0] + text[after:after + 1]
            for match, action, new_state in rules[key]:
                m = match(text, pos)
                if m is None:
                    continue
                if type(action) is token_type:
                    append((pos, action, m.group()))
                elif action is not None:  # a callback such as bygroups() or using()
                    tokens.extend(action(self.lexer, m))
                end = m.end()
                if end > pos:
                    pos, stuck = end, 0
                elif (stuck := stuck + 1) > _STUCK_LIMIT:
                    raise RuntimeError("the lexer makes no progress")
                if new_state is not None:
                    _transition(stack, new_state)
                    rules = dispatches.get(stack[-1]) or self._dispatch(stack[-1])
                break
            else:
                if text[pos] == "\n":
                    stack = list(_ROOT)
                    rules = dispatches.get("root") or self._dispatch("root")
                else:
                    append((pos, Error, text[pos]))
                pos += 1
        if len(stack) > _MAX_DEPTH:  # some lexers push a state per line and never pop it
            del stack[1:-_MAX_DEPTH + 1]
        return self._spans(text, tokens), tuple(stack)

    def _dispatch(self, state: str) -> _Dispatch:
        """The state's dispatch, shared by all lexers with this token table."""
        assert self._table is not None
        key = (id(self._table), state)
        found = _dispatches.get(key)
        if found is None:
            found = _dispatches[key] = _Dispatch(self._table[state])
        self._dispatches[state] = found
        return found

    def _spans(self, text: str, tokens: Iterable[tuple[int, _TokenType, str]]) -> list[Span]:
        """(position, token, value)s as spans of ``text`` without its final newline: styled,
        cut to its length, adjacent ones of one style merged. Text that no token covers (a
        bygroups() group of None) is default-style; other positions are not trusted (some
        callbacks get them wrong), the values are laid end to end."""
        spans: list[Span] = []
        styles = self._styles
        limit = len(text) - 1
        column = 0
        last: Style | None = None
        for start, token, value in tokens:
            if value and start > column and text.startswith(value, start):
                if start >= limit:
                    break
                spans.append((text[column:start], DEFAULT_STYLE))
                column, last = start, DEFAULT_STYLE
            if column + len(value) > limit:
                value = value[: limit - column]
                if not value:
                    break
            column += len(value)
            style = styles.get(token) or self._style(token)
            if style is last:
                spans[-1] = (spans[-1][0] + value, spans[-1][1])
            elif value:
                spans.append((value, style))
                last = style
        if column < limit:
            spans.append((text[column:limit], DEFAULT_STYLE))
        return spans

    def _style(self, token: _TokenType) -> Style:
        """The token's style, one object per distinct style (so that `is` compares them)."""
        fresh: Style = token_style(token, self.code_style)
        if fresh == DEFAULT_STYLE:
            fresh = DEFAULT_STYLE
        style = self._styles[token] = next((s for s in self._styles.values() if s == fresh), fresh)
        return style


class _Dispatch(dict[str, list[_Rule]]):
    """A state's rules by where they can match: the key is the character at the position,
    plus, if that is whitespace, the first character after the run of whitespace ('' at the
    end). The rules for a key are found on first use, in their order in the state."""

    def __init__(self, rules: list[_Rule]) -> None:
        super().__init__()
        self.rules = rules
        self.starts = [_analyse(rule[0]) for rule in rules]

    def __missing__(self, key: str) -> list[_Rule]:
        here, after = key[0], key[1:]
        found = self[key] = self.rules if not here.isascii() else [
            rule for rule, (skip, first, empty, loose) in zip(self.rules, self.starts)
            if empty or here in first
            or here in skip and (after in first or loose or not after.isascii())
        ]
        return found


_dispatches: dict[tuple[int, str], _Dispatch] = {}  # by id(lexer._tokens): they live for ever


def _analyse(match: Callable[[str, int], Any]) -> _Start:
    """What a rule's regex can match at: (skip, first, empty, loose).

    A match is any number of ``skip`` characters (whitespace consumed by a leading optional
    repeat such as ``\\s*``), then one of ``first`` (ASCII; disjoint from ``skip``).
    ``empty``: it might match without such a first character (or could not be analysed), so
    it is tried everywhere. ``loose``: ``first`` holds whitespace that is not in ``skip``.
    Errs towards trying more rules.
    """
    pattern = getattr(match, "__self__", None)
    everywhere: _Start = (frozenset(), _ASCII, True, True)
    if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str):
        return everywhere
    try:
        leaves = list(_leaves(_sre_parse.parse(pattern.pattern, pattern.flags), pattern.flags))
        skip: set[str] = set()
        rest = len(leaves)
        for index, (name, arg, flags) in enumerate(leaves):
            body = list(_leaves(arg[2], flags)) if name in _REPEATS and arg[0] == 0 else []
            if len(body) == 1 and body[0][0] in ("LITERAL", "NOT_LITERAL", "IN"):
                chars = _class_chars(*body[0])
                if chars <= _SPACE:
                    skip |= chars
                    continue
            if name not in _ZERO_WIDTH:
                rest = index
                break
        first, empty = _first(leaves[rest:])
    except Exception:  # noqa: BLE001 - the analysis only narrows what is tried
        return everywhere
    if first & skip:
        first, skip = first | skip, set()
    return frozenset(skip), first, empty, bool(first & (_SPACE - skip))


def _leaves(items: Iterable[tuple[Any, Any]], flags: int) -> Iterable[tuple[str, Any, int]]:
    """A parsed regex's items as (op name, argument, flags), groups opened in place."""
    for op, arg in items:
        if str(op) == "SUBPATTERN":
            yield from _leaves(arg[3], (flags | arg[1]) & ~arg[2])
        else:
            yield str(op), arg, flags


def _first(leaves: Iterable[tuple[str, Any, int]]) -> tuple[frozenset[str], bool]:
    """(ASCII characters a parsed regex can start with, whether it can match the empty
    string). Lookarounds and anchors are passed over (they only narrow a match)."""
    chars: set[str] = set()
    for name, arg, flags in leaves:
        if name in _ZERO_WIDTH:
            continue
        if name == "BRANCH":
            branches = [_first(_leaves(branch, flags)) for branch in arg[1]]
            found = frozenset().union(*(b[0] for b in branches))
            empty = any(b[1] for b in branches)
        elif name in _REPEATS:
            found, empty = _first(_leaves(arg[2], flags))
            empty = empty or arg[0] == 0
        elif name == "ATOMIC_GROUP":
            found, empty = _first(_leaves(arg, flags))
        elif name in ("LITERAL", "NOT_LITERAL", "IN"):
            found, empty = _class_chars(name, arg, flags), False
        else:  # ANY, group references, anything new: could be any character, or none
            found, empty = _ASCII, name != "ANY"
        chars |= found
        if not empty:
            return frozenset(chars), False
    return frozenset(chars), True


def _class_chars(name: str, arg: Any, flags: int) -> frozenset[str]:
    """The ASCII characters one single-character item matches, asked of ``re`` itself (so
    that case folding is exactly its own)."""
    if name != "IN":
        body = ("^" if name == "NOT_LITERAL" else "") + f"\\U{arg:08x}"
    else:
        parts = []
        for kind, value in arg:
            kind = str(kind)
            if kind == "LITERAL":
                parts.append(f"\\U{value:08x}")
            elif kind == "RANGE":
                parts.append(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
            elif kind == "CATEGORY" and str(value) in _CATEGORIES:
                parts.append(_CATEGORIES[str(value)])
            elif kind == "NEGATE" and not parts:
                parts.append("^")
            else:
                return _ASCII
        body = "".join(parts)
    return _matching(body, flags & (re.IGNORECASE | re.ASCII))


@lru_cache(maxsize=1024)
def _matching(body: str, flags: int) -> frozenset[str]:
    single = re.compile(f"[{body}]", flags)
    return frozenset(c for c in _ASCII if single.match(c))


def _transition(stack: list[str], new_state: Any) -> None:
    """Apply a compiled RegexLexer state change: a tuple of names, ``'#pop'`` and ``'#push'``
    (applied in order), a negative int (pop that many), or ``'#push'`` on its own. The bottom
    state is never popped."""
    if isinstance(new_state, tuple):
        for name in new_state:
            if name == "#pop":
                if len(stack) > 1:
                    stack.pop()
            elif name == "#push":
                stack.append(stack[-1])
            else:
                stack.append(name)
    elif isinstance(new_state, int):
        del stack[max(1, len(stack) - abs(new_state)):]
    elif new_state == "#push":
        stack.append(stack[-1])
    else:
        raise ValueError(f"unknown state change {new_state!r}")
