"""LineLexer: Pygments one line at a time, the lexer state carried across lines (no Qt)."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from pygments.lexer import Lexer, RegexLexer, bygroups
from pygments.lexers import JsonLexer, get_lexer_by_name
from pygments.token import Keyword, Name, Operator, Punctuation, String, Text, _TokenType

from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.app.look.highlight import highlight_lines, lexer_for, token_style
from conch.widgets.line_lexer import LexState, LineLexer

KEYWORD = token_style(Keyword)
STRING = token_style(String.Double)


def lex_lines(lexer: LineLexer, lines: list[str]) -> Iterator[tuple[list[Span], LexState]]:
    state = lexer.initial_state
    for line in lines:
        spans, state = lexer.lex_line(line, state)
        assert "".join(text for text, _ in spans) == line
        yield spans, state


def merged(spans: list[Span]) -> list[Span]:
    """Adjacent spans of equal style joined, empty ones dropped."""
    out: list[Span] = []
    for text, style in spans:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text, style)
        elif text:
            out.append((text, style))
    return out


def style_at(spans: list[Span], column: int) -> Style:
    start = 0
    for text, style in spans:
        if start <= column < start + len(text):
            return style
        start += len(text)
    raise IndexError(column)


@pytest.fixture(scope="module")
def python() -> LineLexer:
    return LineLexer(lexer_for({"pygments_lexer": "ipython3"}))


def test_keywords_and_strings(python: LineLexer) -> None:
    spans, state = python.lex_line('def f(x): return "hi"  # done', python.initial_state)
    assert style_at(spans, 0) == KEYWORD  # def
    assert style_at(spans, 10) == KEYWORD  # return
    assert style_at(spans, 17) == STRING  # "hi"
    assert style_at(spans, 19) == STRING
    assert style_at(spans, 25).italic  # the comment
    assert state == python.initial_state


def test_a_triple_quoted_string_spans_lines(python: LineLexer) -> None:
    lines = ['x = """start', "middle def while", 'end""" if y else z', "def g(): pass"]
    (first, s1), (middle, s2), (closing, s3), (after, s4) = lex_lines(python, lines)
    assert style_at(first, 4) == STRING
    assert s1 == s2 != python.initial_state  # still inside the string
    assert middle == [("middle def while", STRING)]  # `def` and `while` are string here
    assert style_at(closing, 0) == STRING and style_at(closing, 5) == STRING
    assert style_at(closing, 7) == KEYWORD  # `if`, after the string closed
    assert s3 == s4 == python.initial_state
    assert style_at(after, 0) == KEYWORD


def test_the_newline_resets_an_unclosed_single_line_string(python: LineLexer) -> None:
    (opened, state), (nxt, _) = lex_lines(python, ['x = "never closed', "def g(): pass"])
    assert style_at(opened, 8) == STRING
    assert state == python.initial_state  # as Pygments does at the end of a line
    assert style_at(nxt, 0) == KEYWORD


def test_whole_lines_agree_with_pygments(python: LineLexer) -> None:
    code = "\n".join([
        "import os, sys as system",
        "@decorator(arg=1)",
        "class A(B, metaclass=M):",
        "    def method(self, x: int = 0x1F) -> list[str]:",
        "        s = f'{x!r:>10} and {self.y}' + r'\\d+' + b\"bytes\"",
        "        t = '''one",
        "        two''' + \"\"\"three",
        "        four\"\"\"",
        "        return [i ** 2 for i in range(10) if i % 2]  # squares",
        "%timeit -n 10 sum(range(100))",
        "!ls -la /tmp",
        "x = 1.5e-3 + 2j; y = None or True",
    ])
    expected = highlight_lines(code, lexer_for({"pygments_lexer": "ipython3"}))
    got = [spans for spans, _ in lex_lines(python, code.split("\n"))]
    assert got == [merged(line) for line in expected]


def test_ipython_magics_and_shell_escapes(python: LineLexer) -> None:
    magic, _ = python.lex_line("%timeit x", python.initial_state)
    assert style_at(magic, 0) == token_style(Operator)  # %
    assert style_at(magic, 1) == KEYWORD  # timeit
    assert style_at(magic, 8) == DEFAULT_STYLE  # x
    shell, _ = python.lex_line("!ls", python.initial_state)
    assert style_at(shell, 0) == token_style(Operator)


def test_bash() -> None:
    bash = LineLexer(get_lexer_by_name("bash"))
    spans, _ = bash.lex_line("echo $HOME", bash.initial_state)
    assert style_at(spans, 0) == token_style(Name.Builtin) != DEFAULT_STYLE
    assert style_at(spans, 5) == token_style(Name.Variable) != DEFAULT_STYLE


def test_unknown_languages_are_plain_text() -> None:
    for lexer in (LineLexer.plain(), LineLexer(lexer_for({"name": "no-such-language"}))):
        spans, state = lexer.lex_line('def f(): return "x"', lexer.initial_state)
        assert spans == [('def f(): return "x"', DEFAULT_STYLE)]
        assert state == lexer.initial_state
        assert lexer.lex_line("", lexer.initial_state)[0] == []


class _Nesting(RegexLexer):
    """Brackets nest across lines: '#push', '#pop', '#pop:2', tuples of states, an error."""

    tokens = {
        "root": [
            (r"\(", Punctuation, "paren"),
            (r"<<", Punctuation, ("paren", "angle")),  # two states at once
            (r"[a-z ]+", Name),
            (r"\n", Text),
        ],
        "paren": [
            (r"\(", Punctuation, "#push"),
            (r"\)", Punctuation, "#pop"),
            (r"[^()>]+", String),  # newlines included: the state carries over
        ],
        "angle": [(r">>", Punctuation, "#pop:2"), (r"[^>]+", String)],
    }


def test_state_stack_semantics() -> None:
    lexer = LineLexer(_Nesting())
    lines = ["a (b (c", "d) e) f ) g", "<<x", "y>> z"]
    (l1, s1), (l2, s2), (l3, s3), (l4, s4) = results = list(lex_lines(lexer, lines))
    assert s1 == ("root", "paren", "paren")
    assert style_at(l2, 0) == token_style(String)  # `d`: still in brackets
    assert style_at(l2, 6) == token_style(Name)  # `f`: out of them
    assert s2 == ("root",)
    assert s3 == ("root", "paren", "angle")
    assert style_at(l4, 0) == token_style(String)
    assert style_at(l4, 4) == token_style(Name) and s4 == ("root",)  # '#pop:2' left both
    # The same as Pygments lexing the whole text (the unmatched `)` is an Error token).
    whole = highlight_lines("\n".join(lines), _Nesting(stripnl=False, ensurenl=False))
    assert [spans for spans, _ in results] == [merged(line) for line in whole]


def test_callbacks_and_grouped_tokens() -> None:
    class Assign(RegexLexer):
        tokens = {"root": [(r"(\w+)(\s*)(=)", bygroups(Name.Variable, Text, Operator)),
                           (r".", Text), (r"\n", Text)]}

    class Skip(RegexLexer):  # a group of None: Pygments drops its text
        tokens = {"root": [(r"(a)(b)(c)", bygroups(Keyword, None, String)), (r"\s+", Text)]}

    spans, _ = LineLexer(Assign()).lex_line("abc = 1", ("root",))
    assert [(t, s) for t, s in spans][:3] == [
        ("abc", token_style(Name.Variable)), (" ", token_style(Text)), ("=", token_style(Operator))]
    spans, _ = LineLexer(Skip()).lex_line("abc abc", ("root",))
    assert spans == [("a", KEYWORD), ("b", DEFAULT_STYLE), ("c", token_style(String)),
                     (" ", DEFAULT_STYLE), ("a", KEYWORD), ("b", DEFAULT_STYLE),
                     ("c", token_style(String))]


def test_a_failing_lexer_gives_plain_text() -> None:
    def explode(lexer: Lexer, match: object) -> Iterator[tuple[int, _TokenType, str]]:
        raise RuntimeError("boom")

    class Broken(RegexLexer):
        tokens = {"root": [(r"boom", explode), (r"\w+", Keyword), (r"\s+", Text)]}

    class Stuck(RegexLexer):  # matches nothing, moves nowhere: Pygments would hang
        tokens = {"root": [(r"", Text)]}

    class BrokenOther(JsonLexer):  # not a RegexLexer: lexed through get_tokens_unprocessed
        def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
            raise ValueError("boom")

    broken = LineLexer(Broken())
    assert broken.lex_line("a boom b", ("root",)) == ([("a boom b", DEFAULT_STYLE)], ("root",))
    assert broken.lex_line("a b", ("root",))[0][0] == ("a", KEYWORD)
    assert LineLexer(Stuck()).lex_line("xyz", ("root",))[0] == [("xyz", DEFAULT_STYLE)]
    assert LineLexer(BrokenOther()).lex_line("[1]", ())[0] == [("[1]", DEFAULT_STYLE)]


def test_other_lexers_lex_each_line_on_its_own() -> None:
    json = LineLexer(JsonLexer())  # not a RegexLexer
    assert json.initial_state == ()
    spans, state = json.lex_line('{"a": [1, true]}', json.initial_state)
    assert state == ()
    assert style_at(spans, 1) != DEFAULT_STYLE  # the key
    assert "".join(t for t, _ in spans) == '{"a": [1, true]}'


def test_importing_it_does_not_import_qt() -> None:
    code = ("import sys, conch.widgets.line_lexer; "
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_state_stack_kept_between_lines_is_bounded() -> None:
    lexer = LineLexer(get_lexer_by_name("bbcbasic", stripnl=False, ensurenl=False))
    state = lexer.initial_state
    for number in range(200):
        _, state = lexer.lex_line(f"{number * 10} PRINT \"HELLO\"", state)
    assert 1 <= len(state) <= 32 and state[0] == "root"
