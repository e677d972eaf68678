"""The LaTeX worker and its renderer: delimiters, mixed text and math, errors as answers,
size and time limits, queues that never starve a short formula (real matplotlib)."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from conch.app.latex_worker import TOO_SLOW, handle, mathtext_source, too_long
from conch.widgets.latex_renderer import LatexRenderer


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        ("$$x^2$$", "$x^2$"),
        (r"\[a+b\]", "$a+b$"),
        (r"$\displaystyle \frac{1}{2}$", r"$\frac{1}{2}$"),
        (r"\int_0^1 x\,dx", r"$\int_0^1 x\,dx$"),
        (r"Euler: $e^{i\pi} + 1 = 0$", r"Euler: $e^{i\pi} + 1 = 0$"),
        ("$a$ and $b$", "$a$ and $b$"),
    ],
)
def test_mathtext_source(latex: str, expected: str) -> None:
    assert mathtext_source(latex) == expected


def test_formula_becomes_a_png_and_bad_latex_an_error() -> None:
    good = handle({"id": "1", "latex": r"$\frac{a}{b}$", "dpi": 100})
    assert base64.b64decode(good["png"]).startswith(b"\x89PNG")
    bad = handle({"id": "2", "latex": r"\begin{align}a\end{align}", "dpi": 100})
    assert bad["id"] == "2" and "\\begin" in bad["error"]


def test_worker_process_answers_line_by_line() -> None:
    requests = "\n".join(json.dumps({"id": str(i), "latex": f"$x^{i}$"}) for i in range(3)) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "conch.app.latex_worker"], input=requests, capture_output=True, text=True, timeout=120
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["0", "1", "2"] and all("png" in a for a in answers)


# -- limits: size, time, and no formula stuck behind a long one ---------------------------------

SLOW = "$" + r"x^{2} + " * 600 + "$"  # 4 800 characters: mathtext takes seconds
HUGE = "$" + "x+" * 50_000 + "$"  # 100 KB


def test_a_formula_over_the_size_limit_is_refused_without_typesetting() -> None:
    answer = handle({"id": "big", "latex": HUGE, "dpi": 100})
    assert answer == {"id": "big", "error": too_long(len(HUGE))}
    assert "too long to typeset (100,002 characters" in answer["error"]
    assert handle({"id": "x", "latex": None})["error"] == "no LaTeX source"


def test_worker_process_gives_up_a_slow_formula_and_answers_the_next() -> None:
    requests = [
        {"id": "huge", "latex": HUGE},
        {"id": "slow", "latex": SLOW, "timeout": 0.2},
        {"id": "short", "latex": "$x^2$"},
    ]
    result = subprocess.run(
        [sys.executable, "-m", "conch.app.latex_worker"],
        input="".join(json.dumps(r) + "\n" for r in requests), capture_output=True, text=True, timeout=120,
    )
    huge, slow, short = (json.loads(line) for line in result.stdout.splitlines())
    assert huge["error"].startswith("too long to typeset") and slow["error"] == TOO_SLOW and "png" in short


def test_renderer_a_huge_formula_fails_at_once_and_a_short_one_renders(qtbot: QtBot) -> None:
    renderer = LatexRenderer()
    try:
        assert renderer.result(HUGE) == too_long(len(HUGE))  # no worker involved
        began = time.monotonic()
        assert renderer.result("$a^2$") is None
        qtbot.waitUntil(lambda: isinstance(renderer.result("$a^2$"), QImage), timeout=30_000)
        assert time.monotonic() - began < 15  # a worker's start (matplotlib's import) and one formula
    finally:
        renderer.stop()


def test_renderer_short_formulas_never_wait_behind_a_long_one(qtbot: QtBot) -> None:
    renderer = LatexRenderer()
    try:
        renderer.result("$w$")  # start the short formulas' worker
        qtbot.waitUntil(lambda: renderer.result("$w$") is not None, timeout=30_000)
        assert renderer.result(SLOW) is None  # to the second worker
        began = time.monotonic()
        shorts = [f"$s_{i}$" for i in range(3)]
        for latex in shorts:
            renderer.result(latex)
        qtbot.waitUntil(lambda: all(isinstance(renderer.result(s), QImage) for s in shorts), timeout=10_000)
        assert time.monotonic() - began < 3
        assert renderer.result(SLOW) is None, "the long one was not typeset yet: nothing waited for it"
        qtbot.waitUntil(lambda: renderer.result(SLOW) is not None, timeout=60_000)
    finally:
        renderer.stop()


def test_renderer_kills_a_stuck_worker_and_carries_on_with_the_queue(qtbot: QtBot) -> None:
    # One worker for everything, which never gives up by itself (the alarm is 60 s away):
    # the renderer's watchdog has to kill it.
    renderer = LatexRenderer(timeout=60, kill_after=1.0, long_after=10**6)
    try:
        renderer.result("$w$")
        qtbot.waitUntil(lambda: renderer.result("$w$") is not None, timeout=30_000)
        rendered: list[str] = []
        renderer.rendered.connect(rendered.append)
        renderer.result(SLOW)
        renderer.result("$after$")  # queued behind the one in hand
        qtbot.waitUntil(lambda: SLOW in rendered, timeout=10_000)
        assert renderer.result(SLOW) == TOO_SLOW
        qtbot.waitUntil(lambda: isinstance(renderer.result("$after$"), QImage), timeout=30_000)
    finally:
        renderer.stop()


def test_renderer_queue_is_shortest_first(qtbot: QtBot) -> None:
    renderer = LatexRenderer(long_after=10**6)
    try:
        rendered: list[str] = []
        renderer.rendered.connect(rendered.append)
        first, longer, short = "$" + "a+" * 200 + "a$", "$" + "b+" * 100 + "b$", "$c$"
        for latex in (first, longer, short):
            renderer.result(latex)
        qtbot.waitUntil(lambda: len(rendered) == 3, timeout=60_000)
        assert rendered == [first, short, longer]  # the first was in hand; then by length
    finally:
        renderer.stop()
