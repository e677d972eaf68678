"""CodeHighlighter on an editor's document: colours, multi-line state, time-sliced work."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QTextBlock, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit
from pygments.lexers import get_lexer_by_name
from pygments.token import Keyword, Name, String
from pytestqt.qtbot import QtBot

from conch.app.model.style import Style
from conch.widgets.code_highlighter import CodeHighlighter
from conch.app.look.highlight import lexer_for, token_style
from conch.widgets.line_lexer import LineLexer

Look = tuple["tuple[int, int, int] | None", bool, bool]
"""What one character looks like: foreground RGB (None: the editor's own), bold, italic."""

KEYWORD = token_style(Keyword).fg
STRING = token_style(String.Double).fg
PLAIN: Look = (None, False, False)


@pytest.fixture
def editor(qtbot: QtBot) -> QPlainTextEdit:
    widget = QPlainTextEdit()
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    return widget


@pytest.fixture
def highlighter(qtbot: QtBot, editor: QPlainTextEdit) -> Iterator[CodeHighlighter]:
    lexer = lexer_for({"pygments_lexer": "ipython3"})
    yield CodeHighlighter(editor.document(), lexer)


def looks(block: QTextBlock) -> list[Look]:
    """Each character's look, from the formats the highlighter gave the block's layout."""
    out = [PLAIN] * len(block.text())
    for fmt_range in block.layout().formats():
        fmt = fmt_range.format
        fg = None
        if fmt.hasProperty(QTextFormat.Property.ForegroundBrush):
            fg = tuple(fmt.foreground().color().getRgb()[:3])
        look = (fg, fmt.fontWeight() >= QFont.Weight.Bold, fmt.fontItalic())
        for column in range(fmt_range.start, fmt_range.start + fmt_range.length):
            out[column] = look  # type: ignore[assignment]
    return out


def colour_at(editor: QPlainTextEdit, line: int, column: int) -> tuple[int, int, int] | None:
    return looks(editor.document().findBlockByNumber(line))[column][0]


def expected_looks(text: str, lexer: LineLexer) -> list[list[Look]]:
    """What every line should look like: LineLexer straight through the text (blanks are
    not coloured: a colour would not show on them)."""
    out = []
    state = lexer.initial_state
    for line in text.split("\n"):
        spans, state = lexer.lex_line(line, state)
        row: list[Look] = []
        for piece, style in spans:
            look = _look(style)
            row += [PLAIN if piece.isspace() else look] * len(piece)
        out.append(row)
    return out


def _look(style: Style) -> Look:
    fg = style.fg if isinstance(style.fg, tuple) else None
    return (fg, style.bold, style.italic) if fg or style.bold or style.italic else PLAIN


def assert_fully_highlighted(editor: QPlainTextEdit, highlighter: CodeHighlighter) -> None:
    assert not highlighter.is_pending()
    lexer = LineLexer(lexer_for({"pygments_lexer": "ipython3"}))
    expected = expected_looks(editor.toPlainText(), lexer)
    block = editor.document().firstBlock()
    number = 0
    while block.isValid():
        assert block.userState() >= 0, f"line {number} was never highlighted"
        assert looks(block) == expected[number], f"line {number}: {block.text()!r}"
        block, number = block.next(), number + 1
    assert number == len(expected)


def sample(lines: int) -> str:
    """Python of about ``lines`` lines, with strings over several lines; the last line a def."""
    chunk = ["def f{i}(x, y={i}):", '    """Doc of f{i}.', "", "    More: def, if, return.",
             '    """',
             "    s = 'text' + \"more\"  # comment {i}", "    return x * {i} + 0x{i:X}", ""]
    out: list[str] = []
    i = 0
    while len(out) < lines - 1:
        out += [line.format(i=i) for line in chunk]
        i += 1
    return "\n".join(out[: lines - 1] + ["def last(): return 1"])


def test_keywords_and_strings_are_coloured(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText("def f(x):\n    return 'hi'  # note")
    assert not highlighter.is_pending()
    assert looks(editor.document().firstBlock())[:3] == [(KEYWORD, True, False)] * 3
    assert colour_at(editor, 1, 4) == KEYWORD
    assert colour_at(editor, 1, 11) == colour_at(editor, 1, 14) == STRING
    assert looks(editor.document().findBlockByNumber(1))[18][2]  # the comment is italic
    assert colour_at(editor, 0, 6) is None  # `x`


def test_a_string_over_several_lines(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText('x = """start\nmiddle def return\nend"""\ndef g(): pass')
    middle = looks(editor.document().findBlockByNumber(1))
    assert middle == [(STRING, False, False)] * len("middle def return")
    assert colour_at(editor, 2, 0) == STRING
    assert colour_at(editor, 3, 0) == KEYWORD
    assert_fully_highlighted(editor, highlighter)


def test_closing_a_string_recolours_the_lines_after_it(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText('x = """start\nabc\ndef g():\n    return 1')
    assert colour_at(editor, 2, 0) == colour_at(editor, 3, 4) == STRING  # all in the string
    cursor = QTextCursor(editor.document().findBlockByNumber(1))
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    with qtbot.waitSignal(highlighter.finished):
        cursor.insertText('"""')  # typed at the end of `abc`
    assert colour_at(editor, 2, 0) == colour_at(editor, 3, 4) == KEYWORD
    assert_fully_highlighted(editor, highlighter)
    with qtbot.waitSignal(highlighter.finished):
        for _ in range(3):
            cursor.deletePreviousChar()  # and taken back
    assert colour_at(editor, 2, 0) == colour_at(editor, 3, 4) == STRING
    assert_fully_highlighted(editor, highlighter)


def test_a_big_paste_is_highlighted_in_slices(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    events: list[str] = []
    highlighter.finished.connect(lambda: events.append("finished"))
    editor.insertPlainText(sample(10_000))
    # The paste returned with work left: the last lines wait, still plain.
    assert highlighter.is_pending()
    last = editor.document().lastBlock()
    assert last.text() == "def last(): return 1" and looks(last) == [PLAIN] * len(last.text())
    QTimer.singleShot(0, lambda: events.append("event loop turn"))
    qtbot.waitUntil(lambda: "finished" in events, timeout=20_000)
    assert events[0] == "event loop turn"  # the UI got its turn before highlighting finished
    assert colour_at(editor, 9_999, 0) == KEYWORD
    assert_fully_highlighted(editor, highlighter)


def test_edits_in_a_pending_region_end_up_right(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    document = editor.document()
    editor.insertPlainText(sample(10_000))
    qtbot.waitUntil(lambda: document.findBlockByNumber(400).userState() >= 0, timeout=20_000)
    assert highlighter.is_pending() and document.lastBlock().userState() < 0
    # Open a string far down, in lines that still wait...
    cursor = QTextCursor(document.findBlockByNumber(8_000))
    cursor.insertText('q = """')
    # ... and remove lines above the pending ones (6 whole functions), which moves them up.
    cursor = QTextCursor(document.findBlockByNumber(96))
    cursor.movePosition(QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor, 48)
    cursor.removeSelectedText()
    qtbot.waitUntil(lambda: not highlighter.is_pending(), timeout=20_000)
    assert document.findBlockByNumber(7_952).text().startswith('q = """def f1000(')
    assert colour_at(editor, 7_952, 8) == STRING  # `def`, in the string opened before it
    assert colour_at(editor, 7_953, 4) == STRING  # the docstring's quotes now close it
    assert_fully_highlighted(editor, highlighter)


def test_set_lexer_recolours(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText("echo $HOME\nfor x in a; do echo $x; done")
    assert colour_at(editor, 1, 0) == KEYWORD  # `for`, as Python sees it
    assert colour_at(editor, 0, 0) is None and colour_at(editor, 0, 5) is None
    with qtbot.waitSignal(highlighter.finished):
        highlighter.set_lexer(get_lexer_by_name("bash"))
    assert colour_at(editor, 0, 0) == token_style(Name.Builtin).fg  # echo
    assert colour_at(editor, 0, 5) == token_style(Name.Variable).fg  # $HOME
    assert colour_at(editor, 1, 0) == KEYWORD


def test_unknown_languages_stay_plain(qtbot: QtBot, editor: QPlainTextEdit) -> None:
    highlighter = CodeHighlighter(editor.document())  # plain until told otherwise
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText('def f(): return "x"')
    assert looks(editor.document().firstBlock()) == [PLAIN] * 19
    with qtbot.waitSignal(highlighter.finished):
        highlighter.set_lexer(lexer_for({"name": "no-such-language"}))
    assert looks(editor.document().firstBlock()) == [PLAIN] * 19
    with qtbot.waitSignal(highlighter.finished):
        highlighter.set_lexer(lexer_for({"pygments_lexer": "ipython3"}))
    assert colour_at(editor, 0, 0) == KEYWORD


def test_a_keystroke_is_highlighted_at_once(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText("x = 1\n" * 50)
    cursor = QTextCursor(editor.document().findBlockByNumber(20))
    with qtbot.waitSignal(highlighter.finished):
        cursor.insertText("if ")
        assert not highlighter.is_pending()  # done within the keystroke
        assert colour_at(editor, 20, 0) == KEYWORD


def test_taken_off_its_document(
    qtbot: QtBot, editor: QPlainTextEdit, highlighter: CodeHighlighter
) -> None:
    with qtbot.waitSignal(highlighter.finished):
        editor.setPlainText("x = 1")
    highlighter.setDocument(None)
    editor.insertPlainText("\ndef f(): pass" * 3)  # no errors from its slots
    assert editor.document().lastBlock().layout().formats() == []
