"""Every output kind a kernel sends, rendered in the view (real ipykernel, offscreen)."""
from __future__ import annotations

import statistics

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QImage, QPainterPath, QTextCharFormat, QTextTable
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget
from conch.widgets.blocks import ImageBlock, TextBlock
from conch.widgets.blocks.latex_block import LatexBlock
from conch.widgets.blocks.rich_text_block import RichTextBlock
from conch.widgets.blocks.svg_block import SvgBlock
from conch.widgets.image_export import to_image
from conch.widgets.latex_renderer import LatexRenderer
from conch.widgets.theme import Metrics

from .conftest import run


def tables_in(block: RichTextBlock) -> list[QTextTable]:
    frames = [block.document.rootFrame()]
    tables = []
    while frames:
        frame = frames.pop()
        if isinstance(frame, QTextTable):
            tables.append(frame)
        frames.extend(frame.childFrames())
    return tables


def only(console: ConsoleWidget, kind: type) -> list:  # type: ignore[type-arg]
    return [b for b in console.view.blocks() if isinstance(b, kind)]


def test_pandas_dataframe_is_a_table(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "import pandas as pd\npd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', 'z']})")
    (result,) = console.outputs()
    assert result.mime_type == "text/html"
    (block,) = only(console, RichTextBlock)
    (table,) = tables_in(block)
    assert (table.rows(), table.columns()) == (4, 3)  # header + 3 rows; index + 2 columns
    assert table.cellAt(3, 2).firstCursorPosition().block().text() == "z"


def test_styled_dataframe_keeps_its_cell_colours(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "import pandas as pd\npd.DataFrame({'a': [1, 5, 3]}).style.highlight_max(color='#00ff00')",
    )
    (block,) = only(console, RichTextBlock)
    (table,) = tables_in(block)
    colours = {
        table.cellAt(row, 1).format().background().color().name()
        for row in range(table.rows())
    }
    assert "#00ff00" in colours


def test_markdown_is_rendered_not_shown_as_source(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "from IPython.display import Markdown\nMarkdown('# Title\\n\\nSome **bold** text\\n\\n- one\\n- two')")
    (block,) = only(console, RichTextBlock)
    text = block.document.toPlainText()
    assert "Title" in text and "bold" in text
    assert "#" not in text and "**" not in text
    first = block.document.firstBlock()
    assert first.blockFormat().headingLevel() == 1


def test_markdown_underscores_are_italic_and_bold_and_links_underlined(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "from IPython.display import Markdown, display\n"
        "display(Markdown('_it_ and *em* and __b__ and [link](https://example.org)'))")
    (block,) = only(console, RichTextBlock)
    formats: dict[str, QTextCharFormat] = {}
    fragments = block.document.firstBlock().begin()
    while not fragments.atEnd():
        formats[fragments.fragment().text()] = fragments.fragment().charFormat()
        fragments += 1
    assert formats["it"].fontItalic() and not formats["it"].fontUnderline()
    assert formats["em"].fontItalic() and not formats["em"].fontUnderline()
    assert formats["b"].fontWeight() == QFont.Weight.Bold.value and not formats["b"].fontUnderline()
    assert formats["link"].isAnchor() and formats["link"].fontUnderline()
    assert not formats[" and "].fontUnderline()


def test_latex_is_typeset_as_an_image(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "from IPython.display import Math\nMath(r'\\frac{a}{b} + \\sqrt{x}')")
    (block,) = only(console, LatexBlock)
    renderer = LatexRenderer.shared()
    qtbot.waitUntil(lambda: renderer.result(block.latex) is not None, timeout=30000)
    image = renderer.result(block.latex)
    assert isinstance(image, QImage) and not image.isNull()
    assert image.height() / image.devicePixelRatio() > console.view.metrics.line_height  # a fraction is tall


def test_latex_that_cannot_be_typeset_shows_its_source_and_why(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "from IPython.display import Latex\nLatex(r'\\begin{align}a&=b\\end{align}')")
    (block,) = only(console, LatexBlock)
    renderer = LatexRenderer.shared()
    qtbot.waitUntil(lambda: renderer.result(block.latex) is not None, timeout=30000)
    assert isinstance(renderer.result(block.latex), str)
    assert "\\begin{align}" in block.text_between(block.start(), block.end())


def test_sympy_output_is_typeset(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "import sympy as sp\nsp.init_printing()\nx = sp.symbols('x')\nsp.Integral(sp.sqrt(1/x), x)", timeout=60000)
    (result,) = console.outputs()
    assert result.mime_type == "text/latex"
    (block,) = only(console, LatexBlock)
    qtbot.waitUntil(lambda: isinstance(LatexRenderer.shared().result(block.latex), QImage), timeout=30000)


SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' width='100' height='50'>"
    "<rect x='0' y='0' width='100' height='50' fill='#ff0000'/></svg>"
)


def test_svg_is_drawn_as_vectors_at_any_scale(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, f"from IPython.display import SVG, display\ndisplay(SVG({SVG!r}))")
    (block,) = only(console, SvgBlock)
    assert block.natural_size() == (100.0, 50.0)
    big = to_image(block, scale=4.0)
    assert (big.width(), big.height()) == (400, 200)  # rendered at 4×, not an upscaled bitmap
    assert big.pixelColor(399, 199).name() == "#ff0000"


def test_retina_png_is_shown_at_half_its_pixel_size(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "%matplotlib inline\n%config InlineBackend.figure_formats = ['retina']\n"
        "import matplotlib.pyplot as plt\nplt.figure(figsize=(4, 3))\nplt.plot([1, 2]);",
        timeout=60000,
    )
    (block,) = only(console, ImageBlock)
    assert block.image.width() > 0
    width, height = block.natural_size()
    assert abs(width - block.image.width() / 2) < 1 and abs(height - block.image.height() / 2) < 1


def test_update_display_changes_the_output_in_its_earlier_cell(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "h = display('first', display_id=True)")
    run(qtbot, console, "h.update('second')")
    assert [(o.kind, o.text) for o in console.outputs()] == [("display", "'second'")]
    first_cell = console.transcript_text().split("In [2]")[0]
    assert "'second'" in first_cell


def test_clear_output_wait_loop_leaves_only_the_last_output(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "from IPython.display import clear_output\nfor i in range(50):\n    clear_output(wait=True)\n    print(i)")
    assert [(o.kind, o.text) for o in console.outputs()] == [("stdout", "49\n")]


def test_carriage_return_progress_stays_one_line(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "import sys\nfor i in range(2000):\n    sys.stdout.write(f'\\r{i:5d} ' + '#' * (i % 60)); sys.stdout.flush()")
    (out,) = console.outputs()
    assert out.content.line_count() == 1  # type: ignore[union-attr]
    assert out.text.startswith(" 1999 " + "#" * (1999 % 60))


def test_nested_tqdm_bars_redraw_in_place(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "import sys\nfrom tqdm import tqdm\n"
        "for i in tqdm(range(3), file=sys.stdout, desc='outer', position=0, mininterval=0, ncols=70):\n"
        "    for j in tqdm(range(40), file=sys.stdout, desc='inner', position=1, leave=False, mininterval=0, ncols=70):\n"
        "        pass",
        timeout=60000,
    )
    (out,) = console.outputs()
    lines = out.text.rstrip().split("\n")
    assert len(lines) == 1 and "outer: 100%" in lines[0] and "3/3" in lines[0]
    assert "\x1b" not in out.text and "\r" not in out.text


def test_rich_progress_and_table_in_terminal_mode(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "from rich.console import Console\nfrom rich.progress import track\nfrom rich.table import Table\n"
        "con = Console(force_terminal=True, force_jupyter=False, width=60)\n"
        "for _ in track(range(30), console=con, description='work'): pass\n"
        "t = Table(); t.add_column('a'); t.add_column('b'); t.add_row('1', 'x')\ncon.print(t)",
        timeout=60000,
    )
    text = "".join(o.text for o in console.outputs())
    lines = text.rstrip("\n").split("\n")
    assert lines[0].startswith("work") and "100%" in lines[0]  # the bar redrew in place: one line
    assert lines[1:] == ["┏━━━┳━━━┓", "┃ a ┃ b ┃", "┡━━━╇━━━┩", "│ 1 │ x │", "└───┴───┘"]
    assert "\x1b" not in text


def test_rich_table_in_jupyter_mode_is_html(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "from rich.table import Table\nfrom rich import print as rprint\n"
        "t = Table(); t.add_column('col'); t.add_row('val')\nrprint(t)", timeout=60000)
    (out,) = console.outputs()
    assert out.mime_type == "text/html"
    (block,) = only(console, RichTextBlock)
    assert "col" in block.document.toPlainText() and "<" not in block.document.toPlainText()


def test_widget_view_shows_its_text_fallback(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(
        qtbot,
        console,
        "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'x', 'version_major': 2, "
        "'version_minor': 0}, 'text/plain': 'IntSlider(value=3)'}, raw=True)",
    )
    (out,) = console.outputs()
    assert (out.mime_type, out.text) == ("text/plain", "IntSlider(value=3)")


def test_five_megabyte_line_wraps_without_copying_per_row(qtbot: QtBot, console: ConsoleWidget) -> None:
    run(qtbot, console, "print('y' * 5_000_000)", timeout=60000)
    (out,) = console.outputs()
    assert out.content.line_count() == 1 and out.content.line_length(0) == 5_000_000  # type: ignore[union-attr]
    (block,) = [b for b in only(console, TextBlock) if b.source is out.content]  # type: ignore[union-attr]
    cols = console.view.metrics.columns(console.view.viewport().width() - console.view.metrics.gutter_width - 8)
    rows = -(-5_000_000 // cols)
    assert block.y_of(console.view.metrics, block.end()) == (rows - 1) * console.view.metrics.line_height


def gap_prone_font(font: QFont) -> QFont:
    """``font`` at the size whose "│" glyph falls furthest short of a whole row (its outline
    against the row :class:`Metrics` gives it): the case where borders showed seams."""
    best: tuple[float, QFont] | None = None
    for tenths in range(60, 200):
        sized = QFont(font)
        sized.setPointSizeF(tenths / 10)
        metrics = Metrics(sized)
        outline = QPainterPath()
        outline.addText(QPointF(0, metrics.ascent), sized, "│")
        ink = outline.boundingRect()
        shortfall = max(ink.top(), metrics.line_height - ink.bottom())
        if best is None or shortfall > best[0]:
            best = (shortfall, sized)
    assert best is not None
    return best[1]


def test_box_drawing_borders_run_unbroken_across_rows(qtbot: QtBot, console: ConsoleWidget) -> None:
    view = console.view
    view.set_metrics(Metrics(gap_prone_font(view.metrics.font)))
    run(
        qtbot,
        console,
        "from rich.console import Console\nfrom rich.table import Table\n"
        "t = Table(); t.add_column('a'); t.add_column('b')\nfor i in range(3): t.add_row(str(i), 'x')\n"
        "Console(force_terminal=True, force_jupyter=False, width=40).print(t)",
        timeout=60000,
    )
    (out,) = console.outputs()
    lines = out.text.rstrip("\n").split("\n")
    assert lines[1] == "┃ a ┃ b ┃" and lines[3] == "│ 0 │ x │"
    (block,) = [b for b in only(console, TextBlock) if b.source is out.content]  # type: ignore[union-attr]
    view.scroll_to_bottom()
    QApplication.processEvents()
    image = view.viewport().grab().toImage()
    metrics, top = view.metrics, view.block_top(block)
    assert top is not None
    # Along each vertical border, every pixel row is inked like the rest of that border: a
    # glyph that does not reach its row's edge leaves a pale seam (or a gap) between rows.
    # Heavy (┏ ┃ ┡, rows 0-2) and light (┡ │ └, rows 2 to the end) parts are compared apart.
    half = metrics.line_height // 2
    for column in (0, 4, 8):
        x0 = round(metrics.gutter_width + column * metrics.char_width)
        x1 = round(metrics.gutter_width + (column + 1) * metrics.char_width)
        for first_row, last_row in ((0, 2), (2, len(lines) - 1)):
            ys = range(top + first_row * metrics.line_height + half, top + last_row * metrics.line_height + half)
            darkest = {y - top: min(image.pixelColor(x, y).lightness() for x in range(x0, x1)) for y in ys}
            ink = statistics.median(darkest.values())
            assert ink < 128, f"column {column}: no border drawn"
            seams = {y: value for y, value in darkest.items() if value > ink + 16}
            assert seams == {}, f"column {column}, rows {first_row}-{last_row}: pale pixel rows {seams} (ink {ink})"
