"""Tests for TerminalText: terminal semantics of stream output (no Qt)."""
from __future__ import annotations

import pytest

from conch.app.model.style import DEFAULT_STYLE, Span, Style
from conch.app.model.terminal_text import TerminalText

D = DEFAULT_STYLE
RED = Style(fg=1)
GREEN = Style(fg=2)


def fed(*chunks: str) -> TerminalText:
    t = TerminalText()
    for chunk in chunks:
        t.feed(chunk)
    return t


def lines(t: TerminalText) -> list[str]:
    return [t.line_text(i) for i in range(t.line_count())]


def spans(t: TerminalText) -> list[list[Span]]:
    return [list(t.line_spans(i)) for i in range(t.line_count())]


# -- lines, newlines, plain text ----------------------------------------------


@pytest.mark.parametrize(
    ("data", "count", "plain"),
    [
        ("", 0, ""),
        ("a", 1, "a"),
        ("a\n", 1, "a\n"),
        ("a\nb", 2, "a\nb"),
        ("a\nb\n", 2, "a\nb\n"),
        ("\n", 1, "\n"),
        ("\n\n", 2, "\n\n"),
        ("a\r\nb\r\n", 2, "a\nb\n"),
        ("a\r", 1, "a"),
        ("a\n\r", 1, "a\n"),
        ("a\n\x1b[A", 2, "a\n"),  # the cursor left the empty line: it is shown
        ("a\n\x1b[A\x1b[B", 1, "a\n"),
        ("a\nb\x1b[2K\r", 1, "a\n"),
        ("a\n   ", 2, "a\n   "),
        ("a\n\x1b[3C", 2, "a\n"),  # cursor not at column 0
        ("\x1b[?25l", 0, ""),
    ],
)
def test_line_count_and_plain_text(data: str, count: int, plain: str) -> None:
    t = fed(data)
    assert t.line_count() == count
    assert t.plain_text() == plain


def test_line_accessors() -> None:
    t = fed("one\n\x1b[31mtwo\x1b[0m!\n")
    assert lines(t) == ["one", "two!"]
    assert [t.line_length(i) for i in range(2)] == [3, 4]
    assert t.line_spans(0) == (("one", D),)
    assert t.line_spans(1) == (("two", RED), ("!", D))


def test_empty_line_spans() -> None:
    assert fed("\n\n").line_spans(0) == (("", D),)


@pytest.mark.parametrize("i", [-1, 2, 3])
def test_line_index_out_of_range(i: int) -> None:
    t = fed("a\nb\n")
    for method in (t.line_text, t.line_spans, t.line_length):
        with pytest.raises(IndexError):
            method(i)


def test_unicode_text() -> None:
    assert lines(fed("héllo wörld ✓\n日本")) == ["héllo wörld ✓", "日本"]


@pytest.mark.parametrize("chunks", [("a\r", "\nb"), ("a", "\r\n", "b"), ("a\r\nb",)])
def test_crlf_is_a_newline(chunks: tuple[str, ...]) -> None:
    assert lines(fed(*chunks)) == ["a", "b"]


# -- \r, \b, \t -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("hello\rab", "abllo"),
        ("hello\r", "hello"),
        ("abc\rxyz123", "xyz123"),
        ("abc\r\rX", "Xbc"),
        ("abc\b\bX", "aXc"),
        ("\b\bX", "X"),
        ("ab\b", "ab"),
        ("a\tb", "a       b"),
        ("abc\t", "abc     "),
        ("12345678\tX", "12345678        X"),
        ("\tX", "        X"),
        ("abcdefghij\r\tX", "abcdefghXj"),  # a tab inside text moves without erasing
        ("a\b\tX", "a       X"),
    ],
)
def test_carriage_return_backspace_tab(data: str, expected: str) -> None:
    assert lines(fed(data)) == [expected]


def test_styled_overwrite_keeps_the_tail() -> None:
    t = fed("hello\r\x1b[31mab")
    assert spans(t) == [[("ab", RED), ("llo", D)]]


def test_overwrite_across_span_boundaries() -> None:
    t = fed("\x1b[31mab\x1b[32mcd\x1b[0m\r\x1b[1Cxy")
    assert spans(t) == [[("a", RED), ("xy", D), ("d", GREEN)]]


def test_progress_bar_redrawn_with_cr() -> None:
    t = TerminalText()
    for i in range(2000):
        n = i * 50 // 1999
        t.feed(f"\r{i * 100 // 1999:3d}%|" + "#" * n + " " * (50 - n) + f"| {i}/1999")
    assert t.line_count() == 1
    assert t.line_text(0) == "100%|" + "#" * 50 + "| 1999/1999"
    t.feed("\n")
    assert t.plain_text() == "100%|" + "#" * 50 + "| 1999/1999\n"


# -- CSI cursor movement and erasure ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("l1\nl2\nl3\x1b[2AX", ["l1X", "l2", "l3"]),
        ("l1\nl2\nl3\x1b[AX", ["l1", "l2X", "l3"]),
        ("l1\nl2\nl3\x1b[0AX", ["l1", "l2X", "l3"]),
        ("a\x1b[5AX", ["aX"]),
        ("a\nb\x1b[A\x1b[5BX", ["a", "bX"]),
        ("a\nb\x1b[A\x1b[BX", ["a", "bX"]),
        ("abc\x1b[2DX", ["aXc"]),
        ("ab\x1b[9DX", ["Xb"]),
        ("abc\x1b[DX", ["abX"]),
        ("ab\x1b[5CX", ["ab     X"]),
        ("ab\x1b[CX", ["ab X"]),
        ("l1\nl2\nl3\x1b[2FX", ["X1", "l2", "l3"]),
        ("l1\nl2\x1b[A\x1b[EX", ["l1", "X2"]),
        ("l1\nl2\x1b[3EX", ["l1", "X2"]),
        ("l1\x1b[9FX", ["X1"]),
        ("abcdef\x1b[3GX", ["abXdef"]),
        ("abcdef\x1b[GX", ["Xbcdef"]),
        ("abcdef\x1b[0GX", ["Xbcdef"]),
        ("ab\x1b[6GX", ["ab   X"]),
    ],
)
def test_cursor_movement(data: str, expected: list[str]) -> None:
    assert lines(fed(data)) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("hello\x1b[3D\x1b[K", ["he"]),
        ("hello\x1b[3D\x1b[0K", ["he"]),
        ("hello\x1b[3D\x1b[1K", ["   lo"]),
        ("hello\x1b[9D\x1b[1K", [" ello"]),
        ("hi\x1b[5C\x1b[1K", ["  "]),
        ("hello\x1b[2K", [""]),
        ("hello\x1b[2KX", ["     X"]),
        ("hello\r\x1b[2KX", ["X"]),
        ("hello\x1b[K", ["hello"]),
        ("l1\nl2\nl3\x1b[2A\x1b[J", ["l1"]),
        ("l1\nl2\nl3\x1b[2A\x1b[1D\x1b[0J", ["l"]),
        ("l1\nl2\nl3\x1b[A\x1b[1J", ["", "  ", "l3"]),
        ("a\nb\x1b[2Jc", ["c"]),
        ("a\nb\x1b[3Jc", ["c"]),
    ],
)
def test_erase(data: str, expected: list[str]) -> None:
    assert lines(fed(data)) == expected


def test_erase_styled() -> None:
    assert spans(fed("\x1b[31mhello\x1b[2D\x1b[1K")) == [[("    ", D), ("o", RED)]]
    assert spans(fed("\x1b[31mhe\x1b[32mllo\x1b[3D\x1b[K")) == [[("he", RED)]]
    assert spans(fed("\x1b[31mhello\x1b[2K")) == [[("", D)]]
    assert fed("\x1b[31mhello\x1b[2K").plain_text() == ""


def test_writing_past_the_end_pads_in_default_style() -> None:
    t = fed("\x1b[41mab\x1b[3CX")
    assert spans(t) == [[("ab", Style(bg=1)), ("   ", D), ("X", Style(bg=1))]]


# -- SGR and swallowed sequences ----------------------------------------------------


def test_sgr_spans() -> None:
    t = fed("\x1b[31mred\x1b[0m plain \x1b[1;38;5;200mbold\x1b[m end")
    assert spans(t) == [[("red", RED), (" plain ", D), ("bold", Style(fg=200, bold=True)), (" end", D)]]


@pytest.mark.parametrize(
    ("seq", "style"),
    [
        ("38;5;208", Style(fg=208)),
        ("38:5:208", Style(fg=208)),
        ("38;2;1;2;3", Style(fg=(1, 2, 3))),
        ("38:2:1:2:3", Style(fg=(1, 2, 3))),
        ("38:2::1:2:3", Style(fg=(1, 2, 3))),
        ("48;5;17", Style(bg=17)),
        ("48:2::4:5:6", Style(bg=(4, 5, 6))),
        ("91", Style(fg=9)),
        ("104", Style(bg=12)),
        ("1;2;3;4;7;9", Style(bold=True, dim=True, italic=True, underline=True, inverse=True, strike=True)),
    ],
)
def test_extended_and_bright_colours(seq: str, style: Style) -> None:
    t = fed(f"a\x1b[{seq}mb\x1b[0mc")
    assert spans(t) == [[("a", D), ("b", style), ("c", D)]]


def test_style_persists_across_lines_and_feeds() -> None:
    t = fed("\x1b[32mA\n", "B\x1b[39", "mC")
    assert spans(t) == [[("A", GREEN)], [("B", GREEN), ("C", D)]]
    assert t.style is DEFAULT_STYLE


def test_style_property() -> None:
    t = fed("\x1b[1;31m")
    assert t.style == Style(fg=1, bold=True)
    t.feed("\x1b[22m")
    assert t.style == RED
    t.feed("\x1b[?1m")  # a private-marker 'm' is not SGR
    assert t.style == RED


def test_plain_block_after_sgr_is_styled() -> None:
    t = fed("\x1b[31m", "a\nb\n\nc")
    assert spans(t) == [[("a", RED)], [("b", RED)], [("", D)], [("c", RED)]]


def test_adjacent_equal_styles_are_merged() -> None:
    assert spans(fed("\x1b[31ma\x1b[31mb")) == [[("ab", RED)]]
    assert spans(fed("\x1b[31ma\x1b[1m\x1b[22mb")) == [[("ab", RED)]]
    assert spans(fed("x\x1b[1m\x1b[0my")) == [[("xy", D)]]


def test_unknown_sequences_are_swallowed() -> None:
    data = (
        "a\x1b[?25lb\x1b[?2004hc\x1b[5nd\x1b[0 qe\x1b7f\x1b8g\x1b(Bh\x1b=i"
        "\x1b]0;title\x07j\x1bPdata\x1b\\k\x07l\x1b[2;3Hm\x1b[>4;2mn\x1b[6 qo"
    )
    t = fed(data)
    assert spans(t) == [[("abcdefghijklmno", D)]]


def test_osc8_hyperlink_text_is_kept() -> None:
    t = fed("see \x1b]8;;https://example.com\x1b\\\x1b[4mthe docs\x1b[24m\x1b]8;;\x1b\\ now")
    assert spans(t) == [[("see ", D), ("the docs", Style(underline=True)), (" now", D)]]


SPLIT = "ab\x1b[38;2;1;2;3mcd\x1b]8;;http://x\x1b\\e\x1b]8;;\x07\x1b[0m\r\nxy\x1b[1Dz\x1b(B\x1b[2K\tq"


@pytest.mark.parametrize("cut", range(1, len(SPLIT)))
def test_escape_split_between_feeds(cut: int) -> None:
    whole = fed(SPLIT)
    split = fed(SPLIT[:cut], SPLIT[cut:])
    assert spans(split) == spans(whole)
    assert split.plain_text() == whole.plain_text()


def test_fed_one_character_at_a_time() -> None:
    whole = fed(SPLIT)
    assert spans(fed(*SPLIT)) == spans(whole)
    assert spans(whole) == [[("ab", D), ("cde", Style(fg=(1, 2, 3)))], [("        q", D)]]


# -- tqdm and rich redraw patterns ---------------------------------------------------


def tqdm_draw(pos: int, bar: str) -> str:
    """What tqdm writes to (re)draw the bar at ``position=pos``."""
    return "\n" * pos + "\r" + bar + "\x1b[A" * pos


def test_nested_tqdm_bars() -> None:
    t = TerminalText()
    t.feed(tqdm_draw(0, "outer:   0%|     | 0/2"))
    t.feed(tqdm_draw(1, "inner:   0%|     | 0/3"))
    assert lines(t) == ["outer:   0%|     | 0/2", "inner:   0%|     | 0/3"]
    for i in (1, 2, 3):
        t.feed(tqdm_draw(1, f"inner: {i * 33:3d}%|{'#' * i}{' ' * (5 - i)}| {i}/3"))
    t.feed(tqdm_draw(0, "outer:  50%|##   | 1/2"))
    t.feed(tqdm_draw(2, "third:  10%|     | 1/9"))
    assert lines(t) == ["outer:  50%|##   | 1/2", "inner:  99%|###  | 3/3", "third:  10%|     | 1/9"]
    # An inner bar with leave=False clears itself with spaces.
    t.feed("\n\r" + " " * 22 + "\r\x1b[A")
    # The outer bar finishes with leave=True: a final redraw, then a newline.
    t.feed(tqdm_draw(0, "outer: 100%|#####| 2/2") + "\n")
    assert lines(t) == ["outer: 100%|#####| 2/2", " " * 22, "third:  10%|     | 1/9"]


def test_tqdm_at_position_one_redraw_changes_only_its_line() -> None:
    t = fed(tqdm_draw(0, "outer"), tqdm_draw(1, "inner 1"))
    t.take_changes()
    t.feed(tqdm_draw(1, "inner 2"))
    assert t.take_changes() == 1
    assert lines(t) == ["outer", "inner 2"]


def rich_frame(lines_: list[str], height: int) -> str:
    """What rich's Live display writes to replace a frame of ``height`` lines."""
    erase = "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (height - 1) if height else ""
    return erase + "\n".join(lines_)


def test_rich_live_display() -> None:
    t = TerminalText()
    t.feed("\x1b[?25l" + rich_frame(["Task A \x1b[32m 10%\x1b[0m", "Task B \x1b[31m  5%\x1b[0m"], 0))
    assert lines(t) == ["Task A  10%", "Task B   5%"]
    for pct in range(20, 101, 10):
        t.feed(rich_frame([f"Task A \x1b[32m{pct:3d}%\x1b[0m", f"Task B \x1b[31m{pct - 5:3d}%\x1b[0m"], 2))
        assert t.line_count() == 2
    t.feed(rich_frame(["Done", "Task A \x1b[32m100%\x1b[0m", "Task B \x1b[32m100%\x1b[0m"], 2))
    t.feed("\n\x1b[?25h")
    assert t.plain_text() == "Done\nTask A 100%\nTask B 100%\n"
    assert spans(t)[2] == [("Task B ", D), ("100%", GREEN)]


def test_rich_live_shrinking_frame() -> None:
    t = fed(rich_frame(["a", "b", "c"], 0), rich_frame(["x"], 3))
    # The erased lines of the taller frame stay, blank, as on a terminal.
    assert lines(t) == ["x", "", ""]


# -- change tracking, scrollback ------------------------------------------------------


def test_take_changes() -> None:
    t = TerminalText()
    assert t.take_changes() is None
    t.feed("a")
    assert t.take_changes() == 0
    assert t.take_changes() is None
    t.feed("b\nc")
    assert t.take_changes() == 0
    t.feed("d")
    assert t.take_changes() == 1
    t.feed("\n")  # adds line 2 (not yet visible)
    assert t.take_changes() == 2
    t.feed("e\nf\ng")
    assert t.take_changes() == 2
    t.feed("\x1b[3A\rX")
    assert t.take_changes() == 1
    t.feed("")
    t.feed("\x1b[?25l\x1b[31m\x1b]0;title\x07\x1b[B")  # no text changes
    assert t.take_changes() is None
    t.feed("\x1b[2J")
    assert t.take_changes() == 0


def test_take_changes_for_a_newline_after_an_escape() -> None:
    t = fed("a\x1b[31m")
    t.take_changes()
    t.feed("b\x1b[0m\n")
    assert t.take_changes() == 0
    t.feed("\x1b[0m\n")  # line 1 becomes visible (empty), line 2 is added
    assert (t.line_count(), t.take_changes()) == (2, 1)
    t.feed("\x1b[0m\r\n")
    assert (t.line_count(), t.take_changes()) == (3, 2)


def test_take_changes_when_the_cursor_reveals_or_hides_the_last_line() -> None:
    t = fed("a\n")
    t.take_changes()
    t.feed("\x1b[A")
    assert (t.line_count(), t.take_changes()) == (2, 1)
    t.feed("\x1b[B")
    assert (t.line_count(), t.take_changes()) == (1, 1)


def test_take_changes_after_erase_below() -> None:
    t = fed("l0\nl1\nl2\nl3")
    t.take_changes()
    t.feed("\x1b[2A\x1b[J")
    assert t.take_changes() == 2
    assert lines(t) == ["l0", "l1"]


def test_drop_front() -> None:
    t = fed("".join(f"l{i}\n" for i in range(10)))
    t.drop_front(3)
    assert t.trimmed == 3
    assert t.line_count() == 7
    assert t.line_text(0) == "l3"
    t.feed("x")
    assert lines(t)[-2:] == ["l9", "x"]
    t.drop_front(0)
    t.drop_front(-5)
    assert t.trimmed == 3
    t.drop_front(100)
    assert (t.line_count(), t.trimmed, t.plain_text()) == (0, 11, "")
    t.feed("y\nz")
    assert lines(t) == ["y", "z"]


def test_drop_front_shifts_cursor() -> None:
    t = fed("a\nb\nc\x1b[2A")  # cursor on "a", column 1
    t.drop_front(1)
    t.feed("X")
    assert lines(t) == ["bX", "c"]
    t = fed("a\nb\nc\x1b[A")  # cursor on "b"
    t.drop_front(1)
    t.feed("X")
    assert lines(t) == ["bX", "c"]


def test_drop_front_shifts_pending_changes() -> None:
    t = fed("".join(f"l{i}\n" for i in range(10)))
    t.take_changes()
    t.feed("\x1b[4Ax")  # changes line 6
    t.drop_front(4)
    assert t.take_changes() == 2
    t.feed("\x1b[Ay")  # line 1 after the drop
    t.drop_front(3)
    assert t.take_changes() == 0


# -- storage and big inputs ----------------------------------------------------------


def test_plain_lines_are_compact_in_memory() -> None:
    # 100 000 plain 70-character lines must cost little more than the strings themselves
    # (a transcript keeps 1 000 000 lines within the app's memory budget).
    import tracemalloc

    chunk = "".join(f"{i:08d}" + "x" * 61 + "\n" for i in range(1000))
    tracemalloc.start()
    t = TerminalText()
    for _ in range(100):
        t.feed(chunk)
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert t.line_count() == 100_000
    assert size < 100_000 * 160


def test_same_style_spans_merge() -> None:
    assert fed("\x1b[31m", "a", "b", "\x1b[32m\x1b[31mc").line_spans(0) == (("abc", RED),)
    # A long line stored in pieces while it grows reads back whole however it ends.
    for end in ("\n", "\x1b[0m\n", "\n\x1b[A", "\x1b[0m\n\x1b[A"):
        t = fed(*(["x" * 3000] * 5), end)
        assert t.line_spans(0) == (("x" * 15000, D),)


def test_long_line_fed_in_chunks() -> None:
    big = "".join(chr(ord("a") + i % 26) for i in range(300_000))
    t = TerminalText()
    for i in range(0, len(big), 7_000):
        t.feed(big[i : i + 7_000])
    assert t.line_count() == 1
    assert t.line_length(0) == len(big)
    assert t.line_text(0) == big
    assert t.line_spans(0) == ((big, D),)
    t.feed("\rXY\n")
    assert t.line_text(0) == "XY" + big[2:]


def test_long_styled_line_fed_in_small_chunks() -> None:
    t = fed("\x1b[31m", *(["abcdefghij"] * 2000), "\x1b[0m!")
    assert t.line_spans(0) == (("abcdefghij" * 2000, RED), ("!", D))
    assert t.line_length(0) == 20001


def test_many_lines() -> None:
    data = "".join(f"line {i}\n" for i in range(50_000))
    t = TerminalText()
    for i in range(0, len(data), 8192):
        t.feed(data[i : i + 8192])
    assert t.line_count() == 50_000
    assert t.line_text(12345) == "line 12345"
    assert t.plain_text() == data
