"""Themes and zoom, through the window: View ▸ Theme, the system's colour scheme, zoom keys
and Ctrl+wheel, as a person uses them; checked in the pixels the transcript shows."""
from __future__ import annotations

import base64
import io
import json
from typing import Iterator

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from conch.app.look.code_style import ConchDarkStyle, ConchLightStyle
from conch.app.look.palette import DARK, LIGHT, Palette
from conch.app.main_window import MainWindow
from conch.app.settings import Settings, settings_path
from conch.widgets.appearance import Appearance
from conch.widgets.blocks import ImageBlock
from conch.widgets.kernel_tab import KernelTab
from tests.app.conftest import close_window, open_window, press, wait_idle

RED_BLOCK = "\\x1b[41m" + " " * 12 + "\\x1b[0m"


@pytest.fixture(autouse=True)
def _system_scheme_restored() -> Iterator[None]:
    """The application's theme is shared: every test leaves it following a light system."""
    yield
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    Appearance.shared().set_choice("system")


def run(qtbot: QtBot, tab: KernelTab, code: str) -> None:
    console = tab.console
    assert console is not None
    with qtbot.waitSignal(console.execution_finished, timeout=30000):
        console.execute(code)
    console.view.flush()


def shown(tab: KernelTab) -> QImage:
    """What the transcript shows now, as pixels."""
    assert tab.console is not None
    tab.console.view.flush()
    return tab.console.view.viewport().grab().toImage()


def count_near(image: QImage, colour: str, tolerance: int = 6) -> int:
    """Pixels within ``tolerance`` per channel of ``colour``."""
    import numpy

    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = numpy.frombuffer(image.constBits(), numpy.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., 2::-1]  # BGRA -> RGB
    want = QColor(colour)
    near = numpy.abs(pixels.astype(int) - (want.red(), want.green(), want.blue())) <= tolerance
    return int(near.all(axis=2).sum())


def keyword_colour(palette: Palette) -> str:
    style = ConchDarkStyle if palette.dark else ConchLightStyle
    from pygments.token import Keyword

    return "#" + str(style.style_for_token(Keyword)["color"])


def theme_item(window: MainWindow, text: str):  # noqa: ANN201 - a QAction
    (view_item,) = [a for a in window.menuBar().actions() if a.text() == "&View"]
    (theme_menu,) = [a.menu() for a in view_item.menu().actions() if a.text() == "&Theme"]
    theme_menu.aboutToShow.emit()
    (item,) = [a for a in theme_menu.actions() if a.text().replace("&", "") == text]
    return item


def assert_painted_in(image: QImage, palette: Palette, other: Palette) -> None:
    corner = image.pixelColor(image.width() - 4, image.height() - 4).name()
    assert corner == palette.background
    assert count_near(image, palette.ansi_16[1], 0) > 200  # the red block, exactly the theme's red
    assert count_near(image, other.ansi_16[1], 0) == 0
    assert count_near(image, keyword_colour(palette)) >= 5  # a keyword's glyphs
    assert count_near(image, keyword_colour(other)) == 0


def test_view_theme_switches_the_transcript_and_is_remembered(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.tab_list()[0]
    run(qtbot, tab, f"import sys\nfor i in range(1):\n    print('{RED_BLOCK}')\nprint('a warning', file=sys.stderr)")
    assert_painted_in(shown(tab), LIGHT, DARK)
    assert count_near(shown(tab), LIGHT.stderr_background, 0) > 100  # the stderr tint

    theme_item(window, "Dark").trigger()
    qtbot.waitUntil(lambda: shown(tab).pixelColor(2, 2).name() == DARK.background, timeout=5000)
    assert_painted_in(shown(tab), DARK, LIGHT)
    assert count_near(shown(tab), DARK.stderr_background, 0) > 100
    assert count_near(shown(tab), LIGHT.stderr_background, 0) == 0
    assert theme_item(window, "Dark").isChecked()
    editor = tab.console.editor if tab.console else None
    assert editor is not None and editor.palette().base().color().name() == DARK.background
    assert QApplication.palette().window().color().name() == DARK.window  # menus and dialogs too
    assert json.loads(settings_path().read_text())["theme"] == "dark"

    theme_item(window, "Light").trigger()
    qtbot.waitUntil(lambda: shown(tab).pixelColor(2, 2).name() == LIGHT.background, timeout=5000)
    assert_painted_in(shown(tab), LIGHT, DARK)
    theme_item(window, "Dark").trigger()
    close_window(qtbot, window)

    again = open_window(qtbot, settings=Settings.load())  # the next start
    assert again.look.theme.dark
    assert shown(again.tab_list()[0]).pixelColor(2, 2).name() == DARK.background
    close_window(qtbot, again)


def test_follow_the_system_switches_live(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.tab_list()[0]
    run(qtbot, tab, f"if True:\n    print('{RED_BLOCK}')")
    assert theme_item(window, "Follow the System").isChecked()
    hints = QGuiApplication.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # the desktop switched to dark
    qtbot.waitUntil(lambda: shown(tab).pixelColor(2, 2).name() == DARK.background, timeout=5000)
    assert_painted_in(shown(tab), DARK, LIGHT)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    qtbot.waitUntil(lambda: shown(tab).pixelColor(2, 2).name() == LIGHT.background, timeout=5000)
    theme_item(window, "Light").trigger()  # a fixed choice no longer follows the system
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    qtbot.wait(50)  # a switch, had there been one, is synchronous: nothing to wait for
    assert shown(tab).pixelColor(2, 2).name() == LIGHT.background
    close_window(qtbot, window)


def png(width: int, height: int) -> str:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(LIGHT.in_prompt))
    from PySide6.QtCore import QBuffer, QByteArray

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QBuffer.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return base64.b64encode(bytes(data.data())).decode()


def image_block(tab: KernelTab) -> ImageBlock:
    assert tab.console is not None
    (block,) = [b for b in tab.console.view.blocks() if isinstance(b, ImageBlock)]
    return block


def test_zoom_keys_and_ctrl_wheel_scale_text_and_images(qtbot: QtBot) -> None:
    window = open_window(qtbot)
    tab = window.tab_list()[0]
    console = tab.console
    assert console is not None
    payload = png(120, 60)
    run(qtbot, tab, f"from IPython.display import Image, display\ndisplay(Image(data=__import__('base64').b64decode('{payload}')))")
    block = image_block(tab)
    line, editor_size = console.view.metrics.line_height, console.editor.font().pointSizeF()
    image_height = block.layout(console.view.metrics, 800)

    press(qtbot, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)  # Ctrl+=
    press(qtbot, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    metrics = console.view.metrics
    assert metrics.zoom == pytest.approx(1.25)
    assert metrics.line_height > line and console.editor.font().pointSizeF() == pytest.approx(editor_size * 1.25)
    assert image_block(tab).layout(metrics, 800) - 8 == pytest.approx((image_height - 8) * 1.25, abs=1)
    assert window.statusBar().currentMessage() == "Zoom 125%"

    second = window.new_tab()  # a new tab comes at the window's zoom
    wait_idle(qtbot, second)
    assert second.console is not None and second.console.view.metrics.zoom == pytest.approx(1.25)

    press(qtbot, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)  # Ctrl+0
    assert console.view.metrics.zoom == 1.0 and second.console.view.metrics.zoom == 1.0
    assert console.view.metrics.line_height == line
    press(qtbot, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert second.console.view.metrics.zoom == pytest.approx(0.9)

    viewport = second.console.view.viewport()
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    for _ in range(3):  # Ctrl+wheel up, three notches: every tab of the window follows
        wheel = QWheelEvent(centre, viewport.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(viewport, wheel)
    assert second.console.view.metrics.zoom == pytest.approx(1.25)
    assert console.view.metrics.zoom == pytest.approx(1.25)
    assert window.look.zoom == 2
    close_window(qtbot, window)

    again = open_window(qtbot)  # the next start remembers the zoom
    tab = again.tab_list()[0]
    assert tab.console is not None and tab.console.view.metrics.zoom == pytest.approx(1.25)
    close_window(qtbot, again)


def edit_item(window: MainWindow, text: str):  # noqa: ANN201 - a QAction
    (edit_bar_item,) = [a for a in window.menuBar().actions() if a.text() == "&Edit"]
    menu = edit_bar_item.menu()
    menu.aboutToShow.emit()
    (item,) = [a for a in menu.actions() if a.text().split("\t")[0].replace("&", "") == text]
    return item


def test_edit_menu_works_on_the_focused_editor(qtbot: QtBot) -> None:
    from tests.app.conftest import focused, type_keys

    window = open_window(qtbot)
    tab = window.tab_list()[0]
    editor = tab.console.editor if tab.console else None
    assert editor is not None and focused() is editor
    assert not edit_item(window, "Undo").isEnabled() and not edit_item(window, "Copy").isEnabled()
    type_keys(qtbot, "abc")
    assert edit_item(window, "Undo").isEnabled()
    edit_item(window, "Select All").trigger()
    assert edit_item(window, "Copy").isEnabled() and edit_item(window, "Cut").isEnabled()
    edit_item(window, "Cut").trigger()
    assert editor.toPlainText() == "" and QApplication.clipboard().text() == "abc"
    edit_item(window, "Paste").trigger()
    edit_item(window, "Paste").trigger()
    assert editor.toPlainText() == "abcabc"
    edit_item(window, "Undo").trigger()
    assert editor.toPlainText() == "abc"
    edit_item(window, "Redo").trigger()
    assert editor.toPlainText() == "abcabc"
    run(qtbot, tab, "print('to be cleared')")
    assert tab.console is not None and tab.console.kernel.transcript.entries
    edit_item(window, "Clear").trigger()
    assert not any("to be cleared" in e.text for e in tab.console.kernel.transcript.entries if hasattr(e, "text"))
    edit_item(window, "Find…").trigger()
    assert tab.console.find_bar.isVisible() and focused() is tab.console.find_bar.field
    assert edit_item(window, "Undo").text().endswith("\tCtrl+Z")
    close_window(qtbot, window)


def test_preferences_apply_to_open_tabs(qtbot: QtBot) -> None:
    from tests.widgets.test_preferences_dialog import click, focus, retype

    window = open_window(qtbot)
    tab = window.tab_list()[0]
    assert tab.console is not None
    before, size = tab.console.view.metrics.line_height, window.settings.font_size
    edit_item(window, "Preferences…").trigger()
    dialog = window.preferences
    assert dialog is not None and dialog.isVisible()
    retype(qtbot, dialog.font_size, str(int(size + 6)))
    press(qtbot, Qt.Key.Key_Tab)
    theme = focus(qtbot, dialog.theme)
    qtbot.keyClick(theme, Qt.Key.Key_Down)  # Follow the system -> Light
    qtbot.keyClick(theme, Qt.Key.Key_Down)  # -> Dark
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert tab.console.view.metrics.line_height > before
    assert tab.console.editor.font().pointSizeF() == pytest.approx(size + 6)
    assert window.look.theme.dark and shown(tab).pixelColor(2, 2).name() == DARK.background
    assert json.loads(settings_path().read_text())["theme"] == "dark"
    close_window(qtbot, window)


def test_changed_keys_show_in_the_menus_and_work(qtbot: QtBot) -> None:
    from dataclasses import replace

    window = open_window(qtbot)
    settings = replace(window.settings, shortcuts={**window.settings.shortcuts, "new_tab": ("Ctrl+Shift+N",)})
    window.look.apply_settings(settings)  # what Preferences ▸ OK does with the saved settings
    (file_item,) = [a for a in window.menuBar().actions() if a.text() == "&File"]
    (new_tab,) = [a for a in file_item.menu().actions() if a.text().startswith("&New Tab\t")]
    assert new_tab.text().endswith("\tCtrl+Shift+N")
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(window.tab_list()) == 2
    wait_idle(qtbot, window.tab_list()[1])
    close_window(qtbot, window)
