"""Tests for the ANSI tokenizer and the SGR interpreter (no Qt)."""
from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from conch.app.model.ansi import MAX_PARTIAL, AnsiTokenizer, Token, apply_sgr
from conch.app.model.style import DEFAULT_STYLE, Style


Flat = tuple[str, str]
"""A token in a flat form, for comparisons: ("text", s), ("ctl", c) or ("csi", params + "|" + final)."""


def text(s: str) -> Flat:
    return ("text", s)


def ctl(c: str) -> Flat:
    return ("ctl", c)


def csi(params: str, final: str) -> Flat:
    return ("csi", f"{params}|{final}")


def flat(toks: Iterable[Token], out: list[Flat] | None = None) -> list[Flat]:
    """The tokens as a flat list, adjacent text runs joined."""
    out = [] if out is None else out
    for t, c, p, f in toks:
        if t:
            if out and out[-1][0] == "text":
                out[-1] = text(out[-1][1] + t)
            else:
                out.append(text(t))
        assert c is None or f is None
        if c is not None:
            out.append(ctl(c))
        if f is not None:
            assert p is not None
            out.append(csi(p, f))
    return out


def tokens(*chunks: str) -> list[Flat]:
    """The flat tokens of the chunks fed in order."""
    tok = AnsiTokenizer()
    out: list[Flat] = []
    for chunk in chunks:
        flat(tok.feed(chunk), out)
    return out


# -- tokenizer ---------------------------------------------------------------


def test_plain_text_is_one_token() -> None:
    assert list(AnsiTokenizer().feed("hello, wörld ✓")) == [("hello, wörld ✓", None, None, None)]


def test_raw_tokens_pair_text_with_what_ends_it() -> None:
    assert list(AnsiTokenizer().feed("ab\x1b[1mc\nd\x1b7e")) == [
        ("ab", None, "1", "m"), ("c", "\n", None, None), ("d", None, None, None), ("e", None, None, None),
    ]


def test_empty_feed() -> None:
    assert tokens("") == []


def test_control_characters() -> None:
    assert tokens("a\nb\rc\bd\te") == [
        text("a"), ctl("\n"), text("b"), ctl("\r"), text("c"), ctl("\b"), text("d"), ctl("\t"), text("e"),
    ]


@pytest.mark.parametrize("junk", ["\x07", "\x00", "\x01", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f"])
def test_other_c0_controls_are_dropped(junk: str) -> None:
    assert tokens(f"a{junk}b") == [text("ab")]


@pytest.mark.parametrize(
    ("seq", "expected"),
    [
        ("\x1b[m", csi("", "m")),
        ("\x1b[1;31m", csi("1;31", "m")),
        ("\x1b[38:2::1:2:3m", csi("38:2::1:2:3", "m")),
        ("\x1b[2K", csi("2", "K")),
        ("\x1b[A", csi("", "A")),
        ("\x1b[?25l", csi("?25", "l")),
        ("\x1b[?2004h", csi("?2004", "h")),
        ("\x1b[>4;2m", csi(">4;2", "m")),
        ("\x1b[0 q", csi("0", " q")),
        ("\x1b[!p", csi("", "!p")),
    ],
)
def test_csi_sequences(seq: str, expected: Flat) -> None:
    assert tokens(f"x{seq}y") == [text("x"), expected, text("y")]


@pytest.mark.parametrize(
    "seq",
    [
        "\x1b]0;window title\x07",
        "\x1b]0;window title\x1b\\",
        "\x1b]8;;https://example.com/?a=1;b=2\x1b\\",
        "\x1b]1337;File=inline=1:AAAA\x07",
        "\x1bPq#0;2;0;0;0\x1b\\",  # DCS (sixel)
        "\x1b_Gf=24;AAAA\x1b\\",  # APC (kitty graphics)
        "\x1b^privacy\x1b\\",
        "\x1b7",
        "\x1b8",
        "\x1b=",
        "\x1b>",
        "\x1bM",
        "\x1bc",
        "\x1b(B",
        "\x1b)0",
        "\x1b#8",
        "\x1b%G",
    ],
)
def test_other_escapes_are_swallowed(seq: str) -> None:
    assert tokens(f"a{seq}b") == [text("ab")]


def test_osc8_hyperlink_keeps_visible_text() -> None:
    s = "see \x1b]8;id=1;https://example.com\x1b\\the docs\x1b]8;;\x1b\\ and \x1b]8;;http://x\x07this\x1b]8;;\x07."
    assert tokens(s) == [text("see the docs and this.")]


def test_osc_aborted_by_another_escape() -> None:
    assert tokens("\x1b]0;title\x1b[31mX") == [csi("31", "m"), text("X")]


def test_malformed_csi_is_dropped_and_control_kept() -> None:
    assert tokens("a\x1b[12\nb") == [text("a"), ctl("\n"), text("b")]


COMPOSITE = (
    "ab\x1b[38;2;1;2;3mcd\x1b[0m\r\n"
    "\x1b]8;;http://x.org/\x1b\\link\x1b]8;;\x07 ef\x1b(Bgh\x1b[?25l\x1b7\x1b[2K\tz\x1b[1;38:5:9m!\x1bPdcs\x1b\\end"
)


@pytest.mark.parametrize("cut", range(1, len(COMPOSITE)))
def test_sequences_split_between_feeds(cut: int) -> None:
    assert tokens(COMPOSITE[:cut], COMPOSITE[cut:]) == tokens(COMPOSITE)


def test_fed_one_character_at_a_time() -> None:
    assert tokens(*COMPOSITE) == tokens(COMPOSITE)
    assert tokens(COMPOSITE) == [
        text("ab"), csi("38;2;1;2;3", "m"), text("cd"), csi("0", "m"), ctl("\r"), ctl("\n"),
        text("link efgh"), csi("?25", "l"), csi("2", "K"), ctl("\t"), text("z"),
        csi("1;38:5:9", "m"), text("!end"),
    ]


@pytest.mark.parametrize(
    ("chunk", "held"),
    [
        ("a\x1b", "\x1b"),
        ("a\x1b[", "\x1b["),
        ("a\x1b[38;5", "\x1b[38;5"),
        ("a\x1b[?25", "\x1b[?25"),
        ("a\x1b]8;;http://x", "\x1b]8;;http://x"),
        ("a\x1b]8;;http://x\x1b", "\x1b]8;;http://x\x1b"),
        ("a\x1b(", "\x1b("),
        ("a\x1b[1m", ""),
        ("a\x1b]0;t\x07", ""),
        ("a\x1b]0;t\x1b\\", ""),
        ("a\x1b7", ""),
    ],
)
def test_pending_partial_sequence(chunk: str, held: str) -> None:
    tok = AnsiTokenizer()
    assert flat(tok.feed(chunk))[0] == text("a")
    assert tok.pending == held


def test_overlong_partial_is_dropped() -> None:
    tok = AnsiTokenizer()
    assert flat(tok.feed("a\x1b]" + "x" * MAX_PARTIAL)) == [text("a")]
    assert tok.pending == ""
    assert flat(tok.feed("visible")) == [text("visible")]


def test_partial_within_limit_grows_across_feeds_then_drops() -> None:
    tok = AnsiTokenizer()
    assert flat(tok.feed("\x1b]0;" + "t" * 300)) == []
    assert tok.pending.startswith("\x1b]0;")
    assert flat(tok.feed("t" * 300)) == []
    assert tok.pending == ""


def test_reset_forgets_partial() -> None:
    tok = AnsiTokenizer()
    tok.feed("\x1b[3")
    tok.reset()
    assert tok.pending == ""
    assert flat(tok.feed("1mX")) == [text("1mX")]


# -- SGR ---------------------------------------------------------------------

FULL = Style(fg=1, bg=2, bold=True, dim=True, italic=True, underline=True, inverse=True, strike=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("1", Style(bold=True)),
        ("01", Style(bold=True)),
        ("2", Style(dim=True)),
        ("3", Style(italic=True)),
        ("4", Style(underline=True)),
        ("21", Style(underline=True)),
        ("4:3", Style(underline=True)),
        ("7", Style(inverse=True)),
        ("9", Style(strike=True)),
        ("30", Style(fg=0)),
        ("31", Style(fg=1)),
        ("37", Style(fg=7)),
        ("40", Style(bg=0)),
        ("47", Style(bg=7)),
        ("90", Style(fg=8)),
        ("97", Style(fg=15)),
        ("100", Style(bg=8)),
        ("107", Style(bg=15)),
        ("38;5;0", Style(fg=0)),
        ("38;5;196", Style(fg=196)),
        ("48;5;255", Style(bg=255)),
        ("38:5:196", Style(fg=196)),
        ("48:5:17", Style(bg=17)),
        ("38;2;10;20;30", Style(fg=(10, 20, 30))),
        ("48;2;255;0;128", Style(bg=(255, 0, 128))),
        ("38:2:10:20:30", Style(fg=(10, 20, 30))),
        ("38:2::10:20:30", Style(fg=(10, 20, 30))),
        ("48:2::1:2:3", Style(bg=(1, 2, 3))),
        ("48:2:0:1:2:3", Style(bg=(1, 2, 3))),
        ("1;3;31;42", Style(fg=1, bg=2, bold=True, italic=True)),
        ("38;5;1;1", Style(fg=1, bold=True)),
        ("38;2;1;2;3;4", Style(fg=(1, 2, 3), underline=True)),
        ("58;5;3;1", Style(bold=True)),  # underline colour consumed, not shown
        ("58:2::1:2:3;1", Style(bold=True)),
        ("31;0;32", Style(fg=2)),
    ],
)
def test_sgr_from_default(params: str, expected: Style) -> None:
    assert apply_sgr(DEFAULT_STYLE, params) == expected


@pytest.mark.parametrize(
    ("params", "changes"),
    [
        ("22", {"bold": False, "dim": False}),
        ("23", {"italic": False}),
        ("24", {"underline": False}),
        ("4:0", {"underline": False}),
        ("27", {"inverse": False}),
        ("29", {"strike": False}),
        ("39", {"fg": None}),
        ("49", {"bg": None}),
        ("39;49", {"fg": None, "bg": None}),
        ("35", {"fg": 5}),
        ("38;5;100", {"fg": 100}),
        ("48;2;9;8;7", {"bg": (9, 8, 7)}),
    ],
)
def test_sgr_turns_attributes_off_and_changes_colours(params: str, changes: dict[str, object]) -> None:
    fields = {f: getattr(FULL, f) for f in ("fg", "bg", "bold", "dim", "italic", "underline", "inverse", "strike")}
    fields.update(changes)
    assert apply_sgr(FULL, params) == Style(**fields)


@pytest.mark.parametrize("params", ["", "0", ";", "0;0", "00"])
def test_sgr_reset(params: str) -> None:
    assert apply_sgr(FULL, params) is DEFAULT_STYLE


def test_default_result_is_the_default_object() -> None:
    assert apply_sgr(DEFAULT_STYLE, "1;22") is DEFAULT_STYLE
    assert apply_sgr(Style(fg=(1, 2, 3)), "39") is DEFAULT_STYLE


def test_equal_results_are_shared() -> None:
    assert apply_sgr(DEFAULT_STYLE, "31") is apply_sgr(apply_sgr(DEFAULT_STYLE, "1"), "22;31")


@pytest.mark.parametrize(
    "params",
    [
        "38;5;256",
        "38;5",
        "38",
        "38;2;1;2",
        "38;2;300;0;0",
        "38;2;-1;0;0",
        "38;7;1;1",  # unknown colour model: the rest is not parsed
        "38:5",
        "38:5:999",
        "38:2:1:2",
        "48:9:1",
        "foo",
        "?1",
        "1x",
        "8",  # conceal: not supported
        "5",  # blink
        "53",
        "99",
        "999999999999999",
        "9" * 5000,
        "1:2:3",
        "\u0663",  # a non-ASCII digit
    ],
)
def test_sgr_ignores_invalid_and_unknown(params: str) -> None:
    assert apply_sgr(Style(fg=3, strike=False), params) == Style(fg=3)


def test_sgr_invalid_parts_do_not_hide_valid_ones() -> None:
    assert apply_sgr(DEFAULT_STYLE, "1;x;3;38;5;999;4") == Style(bold=True, italic=True, underline=True)


def test_sgr_never_raises() -> None:
    rnd = random.Random(1234)
    alphabet = "0123456789;:<=>?258"
    for _ in range(3000):
        params = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(12)))
        assert isinstance(apply_sgr(FULL, params), Style)
