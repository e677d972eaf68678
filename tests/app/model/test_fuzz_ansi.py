"""Property-based fuzzing of the ANSI tokenizer and TerminalText (no Qt).

Random terminal output is built from a grammar: printable runs (ASCII, other scripts, long
runs past the 4096-character chunk), the control characters the model interprets
(``\\n \\r \\b \\t``) alone and in storms, every other C0 control and DEL, CSI sequences with
random parameters (small, huge, over-long digit strings, empty, colon sub-parameters),
private markers, intermediates and finals (the ones interpreted and any other), SGR with
odd colours (``38;5;999999``, ``48;2;…``, ``38:2::r:g:b``), OSC/DCS/SOS/PM/APC strings ended
by BEL, by ST, by another ESC or not at all, lone ESC and two-character escapes. The text is
cut at random points into feeds (sometimes one character a feed, sometimes empty feeds).

Invariants (see the ``check_*`` functions): nothing raises; the tokens' events do not depend
on where the feeds were cut; what is stored is bounded by the input (below); a line feed is
the only thing that adds a line (lines + lines dropped ≤ line feeds + 1 + the drops that took
the cursor's line); the same text fed whole or in pieces gives the same lines, styles and
cursor; ``line_text``/``line_spans``/``line_slice``/``line_length``/``plain_text`` agree for
every line, no control character reaches the text; ``drop_front`` removes exactly the lines
asked for and ``take_changes`` never hides a change. Cut-independence holds for sequences the
tokenizer can hold back between feeds (MAX_PARTIAL characters: the grammar ends longer string
runs with a BEL); longer ones are only checked for bounds (``check_long_sequences``).

Memory bound, precisely: with ``P`` the number of CSI sequences that can leave the cursor past
its line's end (finals A, B, C, G, K) plus the ``drop_front`` calls, the characters stored
(the sum of the line lengths) never exceed ``8 × len(input) + MAX_COLUMN × P``: text costs one
character a character, a tab at most 8, and blanks are only added to reach a cursor, which
only such an event can put past a line's end, by at most MAX_COLUMN. The properties run with
the real MAX_COLUMN and with a small one (so the clamp is hit constantly).

The normal run is derandomized (the same examples every time: reproducible in CI) and bounded;
``benchmarks/fuzz_long.py`` runs the same properties with random seeds for minutes.
"""
from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conch.app.model import terminal_text as tt
from conch.app.model.ansi import MAX_PARTIAL, AnsiTokenizer, apply_sgr
from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.app.model.terminal_text import MAX_COLUMN, TerminalText

NORMAL = settings(
    max_examples=150,
    deadline=None,  # a loaded 2-core machine must not turn slowness into failures
    derandomize=True,  # the same examples on every run: CI is reproducible
    database=None,  # no example database (Hypothesis keeps only caches in .hypothesis/, git-ignored)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- the grammar -----------------------------------------------------------------------------

INTERPRETED = "\n\r\b\t"
OTHER_C0 = "".join(chr(c) for c in range(32) if chr(c) not in INTERPRETED + "\x1b") + "\x7f"

printable = st.one_of(
    st.text("abc xyz", min_size=1, max_size=12),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8),  # anything, C1 too
    st.sampled_from(["é", "✓", "中文", "e\u0301", "🙂", "\u00a0", "\x9b31m"]),
    st.integers(1, 6000).map(lambda n: "y" * n),  # beyond CHUNK (4096)
)

controls = st.one_of(
    st.sampled_from(INTERPRETED),
    st.sampled_from(OTHER_C0),
    st.tuples(st.sampled_from(INTERPRETED + "\x07\x00"), st.integers(2, 60)).map(lambda p: p[0] * p[1]),
)

number = st.one_of(
    st.integers(0, 12).map(str),
    st.integers(0, 300).map(str),
    st.sampled_from(["", "0", "00", "255", "256", "999999", "999999999", "1000000000", "9" * 11, "9" * 40]),
    st.text("0123456789", min_size=1, max_size=25),
)


_private = st.sampled_from(["", "", "", "", "?", "<", "=", ">"])
_params = st.lists(st.tuples(st.sampled_from(";;;:"), number), max_size=6).map(
    lambda values: "".join(sep + value for sep, value in values)[1:]
)
_intermediates = st.sampled_from(["", "", "", "", " ", "!", "$", "'", "  "])
_final = st.one_of(
    st.sampled_from("ABCDEFGJKm"),
    st.sampled_from("ABCDEFGJKm"),
    st.characters(min_codepoint=0x40, max_codepoint=0x7E),
    st.sampled_from(["\n", "\x1b", "\x07", "é", ""]),  # malformed or unfinished
)
csi = st.tuples(_private, _params, _intermediates, _final).map(lambda p: "\x1b[" + "".join(p))
"""ESC [ private? params intermediates? final, sometimes cut short by a control or ESC."""


rgb = st.one_of(st.integers(0, 255), st.integers(256, 10**12)).map(str)
sgr_part = st.one_of(
    st.integers(0, 110).map(str),
    st.sampled_from(["", "38", "48", "58", "38;5", "38;2", "38;9", "4:3", "4:0", "21", "1:2:3"]),
    st.tuples(st.sampled_from(["38", "48", "58"]), st.one_of(st.integers(0, 255), st.integers(256, 10**9))).map(
        lambda p: f"{p[0]};5;{p[1]}"
    ),
    st.tuples(st.sampled_from(["38", "48"]), rgb, rgb, rgb).map(lambda p: f"{p[0]};2;{p[1]};{p[2]};{p[3]}"),
    st.tuples(st.sampled_from(["38", "48"]), rgb, rgb, rgb).map(lambda p: f"{p[0]}:2::{p[1]}:{p[2]}:{p[3]}"),
    st.tuples(st.sampled_from(["38", "48"]), rgb).map(lambda p: f"{p[0]}:5:{p[1]}"),
)
sgr = st.lists(sgr_part, max_size=6).map(lambda parts: "\x1b[" + ";".join(parts) + "m")


def strings(max_body: int) -> st.SearchStrategy[str]:
    """OSC, DCS, SOS, PM, APC strings: ended by BEL, by ST, aborted by ESC, or unended."""
    body = st.one_of(
        st.text(st.characters(exclude_characters="\x07\x1b", exclude_categories=("Cs",)), max_size=60),
        st.integers(0, max_body).map(lambda n: "u" * n),
        st.just("8;;http://example.com/"),
    )
    return st.tuples(
        st.sampled_from("]]]PX^_"), body, st.sampled_from(["\x07", "\x1b\\", "\x1b", "", "\n"])
    ).map(lambda p: "\x1b" + p[0] + p[1] + p[2])


escapes = st.sampled_from(
    ["\x1b", "\x1b7", "\x1b8", "\x1b=", "\x1b(B", "\x1b)0", "\x1b c", "\x1b#8", "\x1bc", "\x1b\\"]
)  # lone ESC, two-character and nF escapes, a stray ST


def piece(max_body: int) -> st.SearchStrategy[str]:
    return st.one_of(printable, printable, controls, csi, csi, sgr, strings(max_body), escapes)


_pieces = {body: st.lists(piece(body), max_size=40) for body in (MAX_PARTIAL - 20, 3 * MAX_PARTIAL)}
_how = st.sampled_from(["cuts", "cuts", "cuts", "chars", "whole"])


columns = st.sampled_from([MAX_COLUMN, MAX_COLUMN, 1, 7, 40])
"""MAX_COLUMN as it is, or small so that the clamp is hit all the time."""

_STRING_RUN = re.compile(r"\x1b[\]PX^_][^\x07\x1b]*")


def _short_strings(text: str) -> str:
    """``text`` with a BEL ending any string run that would outgrow MAX_PARTIAL (an
    unterminated string takes in all the text after it, up to the next ESC or BEL)."""
    out, pos = [], 0
    for match in _STRING_RUN.finditer(text):
        if match.end() - match.start() > MAX_PARTIAL - 20:
            cut = match.start() + MAX_PARTIAL - 40
            out += [text[pos:cut], "\x07"]
            pos = cut
    out.append(text[pos:])
    return "".join(out)


@st.composite
def fed_text(draw: st.DrawFn, max_body: int = MAX_PARTIAL - 20) -> tuple[str, list[str]]:
    """Terminal output and the feeds it arrives in.

    With ``max_body`` below MAX_PARTIAL no escape sequence is longer than what the tokenizer
    holds back between feeds (longer ones are dropped when cut: see
    ``test_an_overlong_string_cut_between_feeds_is_dropped_not_swallowed``)."""
    text = "".join(draw(_pieces[max_body]))
    if max_body < MAX_PARTIAL:
        text = _short_strings(text)
    how = draw(_how)
    if how == "chars" and len(text) <= 2000:
        return text, list(text)
    if how == "whole":
        return text, [text]
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=10)))
    bounds = [0, *cuts, len(text)]
    return text, [text[a:b] for a, b in zip(bounds, bounds[1:])]


_between = st.lists(
    st.one_of(st.tuples(st.just("drop"), st.integers(-2, 12)), st.just(("take", None))), max_size=2
)


@st.composite
def session(draw: st.DrawFn) -> tuple[int, str, list[tuple[str, Any]]]:
    """(max column, the whole text, operations): feeds of the text in order, with drop_front
    and take_changes calls between them."""
    max_column = draw(columns)
    text, chunks = draw(fed_text())
    ops: list[tuple[str, Any]] = []
    for chunk in chunks:
        ops.append(("feed", chunk))
        ops.extend(draw(_between))
    return max_column, text, ops


# -- helpers ----------------------------------------------------------------------------------

_POSITIONING = re.compile(r"\x1b\[[0-?]*[ -/]*[ABCGK]")
_C0 = re.compile(r"[\x00-\x1f\x7f]")


@contextmanager
def max_column(value: int) -> Iterator[None]:
    if value == MAX_COLUMN:
        yield
    else:
        with mock.patch.object(tt, "MAX_COLUMN", value):
            yield


def snapshot(t: TerminalText) -> list[tuple[Span, ...]]:
    return [tuple(t.line_spans(i)) for i in range(t.line_count())]


def state(t: TerminalText) -> tuple[Any, ...]:
    return (t.line_count(), snapshot(t), t.plain_text(), t.style, t.trimmed)


def stored(t: TerminalText) -> int:
    return sum(t.line_length(i) for i in range(t.line_count()))


def cut(spans: tuple[Span, ...], start: int, end: int) -> list[Span]:
    """Columns ``start:end`` of a line given as spans: non-empty runs, equal styles joined."""
    out: list[Span] = []
    pos = 0
    for text, style in spans:
        piece = text[max(start - pos, 0) : max(end - pos, 0)]
        pos += len(text)
        if not piece:
            continue
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + piece, style)
        else:
            out.append((piece, style))
    return out


SLICES = [(0, 1), (3, 9000), (4090, 5000)]


def check_consistent(t: TerminalText) -> None:
    """The readers agree with each other for every line."""
    count = t.line_count()
    texts = []
    for i in range(count):
        text = t.line_text(i)
        spans = tuple(t.line_spans(i))
        texts.append(text)
        assert "".join(s for s, _ in spans) == text
        assert t.line_length(i) == len(text)
        assert not _C0.search(text), "a control character leaked into the text"
        if len(spans) != 1:  # a default-style line is one span, maybe empty; else no empty runs
            assert all(s for s, _ in spans)
        assert all(isinstance(style, Style) for _, style in spans)
        assert all(a[1] != b[1] for a, b in zip(spans, spans[1:])), "adjacent spans not merged"
        for start, end in [(0, len(text)), (0, 0), *SLICES, (len(text) // 2, len(text) + 5)]:
            assert t.line_slice(i, start, end) == cut(spans, start, end)
    for bad in (-1, count):
        try:
            t.line_text(bad)
        except IndexError:
            pass
        else:
            raise AssertionError(f"line {bad} of {count} readable")
    plain = t.plain_text().split("\n")
    assert plain[:count] == texts
    assert plain[count:] in ([], [""]), "only one empty line may follow the visible ones"
    # the model's own bookkeeping (a stale cached length would misplace text later)
    assert t._cur_len == tt._length(t._lines[t._row])
    assert 0 <= t._row < len(t._lines) and t._col >= 0
    assert t._col <= max(tt.MAX_COLUMN, t._cur_len), "cursor past the clamp"


def events(chunks: list[str]) -> tuple[list[tuple[str, ...]], str]:
    """The tokenizer's output for these feeds, as a list of events with text runs joined."""
    tok = AnsiTokenizer()
    out: list[tuple[str, ...]] = []
    run: list[str] = []
    for chunk in chunks:
        for text, ctl, params, final in tok.feed(chunk):
            assert len(tok.pending) <= MAX_PARTIAL + 1
            if text:
                assert not _C0.search(text)
                run.append(text)
            if ctl is not None or final is not None:
                if run:
                    out.append(("text", "".join(run)))
                    run = []
                if ctl is not None:
                    assert ctl in INTERPRETED and final is None
                    out.append(("ctl", ctl))
                else:
                    assert params is not None and re.fullmatch(r"[0-?]*", params)
                    assert re.fullmatch(r"[ -/]*[@-~]", final or "")
                    out.append(("csi", params, final or ""))
    if run:
        out.append(("text", "".join(run)))
    return out, tok.pending


# -- the properties -------------------------------------------------------------------------


def check_tokenizer(case: tuple[str, list[str]]) -> None:
    """Tokens are well-formed, the held partial stays small, and the events (text joined)
    are the same however the text was cut."""
    text, chunks = case
    assert events(chunks) == events([text])


def check_split_invariance(case: tuple[int, tuple[str, list[str]]]) -> None:
    """The same text fed whole or in pieces: the same lines, styles, cursor and style."""
    column, (text, chunks) = case
    with max_column(column):
        whole, pieces = TerminalText(), TerminalText()
        whole.feed(text)
        for chunk in chunks:
            pieces.feed(chunk)
        assert state(pieces) == state(whole)
        for probe in ("Z", "\x1b[Aq", "\x1b[41m\tw\n"):  # where the cursor is, and the style
            whole.feed(probe)
            pieces.feed(probe)
            assert state(pieces) == state(whole)


def check_session(case: tuple[int, str, list[tuple[str, Any]]]) -> None:
    """Feeds with drop_front and take_changes between them: never raises, memory bounded,
    lines only from line feeds, readers consistent, drops exact, changes never hidden."""
    column, text, ops = case
    with max_column(column):
        t = TerminalText()
        seen = snapshot(t)  # the lines as of the last take_changes, shifted by drops since
        dropped = fed = drops = emptied = 0
        for op, arg in ops:
            if op == "feed":
                t.feed(arg)
                fed += len(arg)
            elif op == "drop":
                before, count, trimmed = snapshot(t), t.line_count(), t.trimmed
                t.drop_front(arg)
                n = min(max(arg, 0), count)
                drops += 1
                dropped += n
                emptied += n > 0
                assert t.line_count() == count - n, "drop_front must remove exactly n lines"
                assert t.trimmed == trimmed + n
                assert snapshot(t) == before[n:]
                seen = seen[n:]
            else:
                changed = t.take_changes()
                now = snapshot(t)
                if changed is None:
                    assert now == seen, "lines changed without take_changes saying so"
                else:
                    assert 0 <= changed and now[:changed] == seen[:changed]
                seen = now
            check_consistent(t)
            consumed = text[:fed]
            positioning = len(_POSITIONING.findall(consumed)) + drops
            assert stored(t) <= 8 * len(consumed) + tt.MAX_COLUMN * positioning
            # A drop may take the cursor's own line, which text then starts again.
            assert t.line_count() + dropped <= consumed.count("\n") + 1 + emptied
            spans = sum(len(t.line_spans(i)) for i in range(t.line_count()))
            assert spans <= t.line_count() + 3 * len(consumed)


def check_long_sequences(case: tuple[int, tuple[str, list[str]]]) -> None:
    """Escape sequences longer than what is held between feeds: never raises, the partial
    stays bounded, memory bounded, readers consistent (the result may depend on the cuts)."""
    column, (text, chunks) = case
    with max_column(column):
        t = TerminalText()
        for chunk in chunks:
            t.feed(chunk)
            assert len(t._tokenizer.pending) <= MAX_PARTIAL + 1
        check_consistent(t)
        assert stored(t) <= 8 * len(text) + tt.MAX_COLUMN * len(_POSITIONING.findall(text))
        assert t.line_count() <= text.count("\n") + 1


def check_sgr(params: str) -> None:
    """Any parameter string gives a Style with colours in range."""
    for base in (DEFAULT_STYLE, Style(fg=1, bold=True), Style(bg=(1, 2, 3), inverse=True)):
        style = apply_sgr(base, params)
        assert isinstance(style, Style)
        for color in (style.fg, style.bg):
            assert color is None or (isinstance(color, int) and 0 <= color <= 255) or (
                isinstance(color, tuple) and len(color) == 3 and all(0 <= c <= 255 for c in color)
            )


sgr_params = st.one_of(
    sgr.map(lambda s: s[2:-1]),
    st.text("0123456789;:", max_size=40),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
)

PROPERTIES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "ansi.tokenizer": (fed_text(), check_tokenizer),
    "ansi.sgr": (sgr_params, check_sgr),
    "terminal.split_invariance": (st.tuples(columns, fed_text()), check_split_invariance),
    "terminal.session": (session(), check_session),
    "terminal.long_sequences": (st.tuples(columns, fed_text(max_body=3 * MAX_PARTIAL)), check_long_sequences),
}
"""Every property of this file: a strategy and the check it feeds (``benchmarks/fuzz_long.py``
runs them for longer)."""


@NORMAL
@given(PROPERTIES["ansi.tokenizer"][0])
def test_tokenizer_events_do_not_depend_on_the_cuts(case: tuple[str, list[str]]) -> None:
    check_tokenizer(case)


@NORMAL
@given(PROPERTIES["ansi.sgr"][0])
def test_any_sgr_parameters_give_a_valid_style(params: str) -> None:
    check_sgr(params)


@NORMAL
@given(PROPERTIES["terminal.split_invariance"][0])
def test_text_fed_whole_or_in_pieces_reads_the_same(case: tuple[int, tuple[str, list[str]]]) -> None:
    check_split_invariance(case)


@NORMAL
@given(PROPERTIES["terminal.session"][0])
def test_feeds_drops_and_changes_keep_every_invariant(case: tuple[int, str, list[tuple[str, Any]]]) -> None:
    check_session(case)


@settings(NORMAL, max_examples=60)
@given(PROPERTIES["terminal.long_sequences"][0])
def test_overlong_sequences_stay_bounded(case: tuple[int, tuple[str, list[str]]]) -> None:
    check_long_sequences(case)


# -- the examples that started this -------------------------------------------------------------


def test_a_far_cursor_jump_costs_at_most_max_column() -> None:
    # print('\x1b[999999999Cx') once allocated a gigabyte of blanks.
    t = TerminalText()
    tracemalloc.start()
    try:
        for _ in range(5):
            t.feed("\x1b[999999999Cx\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert t.line_count() == 5
    assert [t.line_length(i) for i in range(5)] == [MAX_COLUMN + 1] * 5
    assert t.line_text(0) == " " * MAX_COLUMN + "x"
    assert peak < 2_000_000


def test_absolute_columns_and_over_long_parameters_are_clamped_too() -> None:
    t = TerminalText()
    t.feed("\x1b[999999999Ga\n\x1b[99999999999999999999Cb\n\x1b[5;999999999Hc\n")
    assert [t.line_length(i) for i in range(3)] == [MAX_COLUMN + 1, MAX_COLUMN + 1, 1]
    t.feed("\x1b[99999999999A\x1b[99999999999Bd")  # rows are clamped to the existing ones
    assert t.line_count() == 4 and t.line_text(3) == "d"
    t.feed("\x1b[99999999999E\x1b[99999999999F\x1b[99999999999B\x1b[99999999999Ce")
    assert t.line_count() == 4 and t.line_text(3) == "d" + " " * (MAX_COLUMN - 1) + "e"


def test_a_long_line_s_column_is_not_carried_to_other_rows() -> None:
    # The cursor may stand far right inside a long line it wrote; moving up, down or erasing
    # the line must not carry that column to where it would be padded again, line after line.
    t = TerminalText()
    t.feed("\n" * 50 + "y" * 200_000)
    for _ in range(50):
        t.feed("\x1b[Ax")
    t.feed("\x1b[50B\x1b[2Kz")
    assert stored(t) <= 200_001 + 50 * (MAX_COLUMN + 1) + MAX_COLUMN + 1
    assert t.line_length(49) == MAX_COLUMN + 1
    assert t.line_text(50) == " " * MAX_COLUMN + "z"


def test_walking_inside_a_long_line_still_works() -> None:
    t = TerminalText()
    t.feed("y" * 30_000 + "\r\x1b[25000Cx\x1b[29000GZ")
    text = t.line_text(0)
    assert len(text) == 30_000 and text[25_000] == "x" and text[28_999] == "Z"


def test_tabs_keep_their_stops_past_max_column() -> None:
    t = TerminalText()
    t.feed("\t".join(["ab"] * 6000))
    text = t.line_text(0)
    assert len(text) == 8 * 5999 + 2 and text[8 * 5000 : 8 * 5000 + 2] == "ab"


def test_storms_of_backspaces_returns_and_tabs_stay_proportionate() -> None:
    t = TerminalText()
    t.feed("x" * 100 + "\b" * 100_000 + "\r" * 100_000 + "\x1b[999999D" * 1000 + "y")
    assert t.line_text(0) == "y" + "x" * 99
    t.feed("\n" + "\t" * 100_000)
    assert t.line_length(1) == 800_000  # 8 a tab, like any text: never more than the input


def test_huge_erase_parameters_erase_nothing() -> None:
    t = TerminalText()
    t.feed("abc\ndef\x1b[99999999999J\x1b[99999999999K\x1b[2D\x1b[99999999999999999999J")
    assert [t.line_text(i) for i in range(t.line_count())] == ["abc", "def"]


def test_private_modes_and_odd_sgr_are_ignored() -> None:
    t = TerminalText()
    t.feed("\x1b[?1049h\x1b[?25l\x1b[>4;2m\x1b[38;5;999999m\x1b[48;2;1;2;999999mx\x1b[38;2;1;2;3;4;5;6;7;8;9;m")
    assert t.line_spans(0) == (("x", DEFAULT_STYLE),)


def test_sgr_with_long_parameters_is_not_cached() -> None:
    from conch.app.model import ansi

    ansi._SGR_CACHE.clear()
    ansi._OPS_CACHE.clear()
    params = ";".join(["1"] * 50_000)
    assert apply_sgr(DEFAULT_STYLE, params) == Style(bold=True)
    assert all(len(p) <= 64 for _, p in ansi._SGR_CACHE) and all(len(p) <= 64 for p in ansi._OPS_CACHE)


def test_an_unterminated_string_holds_back_little() -> None:
    t = TerminalText()
    t.feed("a\x1b]0;" + "t" * 100_000)
    assert len(t._tokenizer.pending) <= MAX_PARTIAL + 1 and t.plain_text() == "a"


def test_drop_front_of_the_cursor_s_line_keeps_the_count_exact() -> None:
    # Cursor moved up above an empty last line (a tqdm-style bar): dropping every line but that
    # empty one must lower line_count() by exactly what was dropped (the transcript counts).
    t = TerminalText()
    t.feed("a\nb\n\x1b[A")
    assert t.line_count() == 3
    t.drop_front(2)
    assert t.line_count() == 1 and t.line_text(0) == ""
    t.feed("")
    assert t.line_count() == 0  # the next feed sees it as an empty last line again


def test_an_overlong_string_cut_between_feeds_is_dropped_not_swallowed() -> None:
    # The one way the cuts still matter (a deliberate limit, see test_ansi.py): a sequence cut
    # between feeds is held back only up to MAX_PARTIAL characters; a longer one is dropped
    # there and what follows the cut reads as text. Whole, the same string is swallowed.
    text = "\x1b]8;;" + "u" * 600 + "\x07ok"
    whole, pieces = TerminalText(), TerminalText()
    whole.feed(text)
    pieces.feed(text[:550])
    pieces.feed(text[550:])
    assert whole.plain_text() == "ok"
    assert pieces.plain_text() == "u" * (len(text) - 550 - 3) + "ok"
