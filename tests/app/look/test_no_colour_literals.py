"""No colour is written outside the palette: widgets, the window and the exports read the
theme (``conch.app.look.palette``, the code styles, and the stylesheet template's names)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OWNERS = {ROOT / "app" / "look" / "palette.py", ROOT / "app" / "look" / "code_style.py"}
LITERAL = re.compile(
    r"""(?<![\w&])#[0-9a-fA-F]{6}\b|["':\s]#[0-9a-fA-F]{3}\b|QColor\(\s*["'\d]"""
    r"""|Qt\.GlobalColor\.(?!transparent)|\brgba?\(\s*\d"""
)


def test_colour_literals_live_only_in_the_palette() -> None:
    found = []
    for folder in ("app", "widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in OWNERS:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if LITERAL.search(line.split("  #")[0]):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_stylesheet_template_names_colours_only() -> None:
    template = (ROOT / "resources" / "console.qss").read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgba?\(", template)
    assert "$background" in template and "$notice_error" in template


def test_the_checker_catches_a_literal() -> None:
    assert LITERAL.search('painter.setPen(QColor("#8a8a8a"))')
    assert LITERAL.search("style = 'color: #7a7a7a;'")
    assert LITERAL.search("QColor(255, 0, 0)")
    assert not LITERAL.search("image.fill(Qt.GlobalColor.transparent)")
    assert not LITERAL.search("QColor(theme.selection)")
