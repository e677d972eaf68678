"""A kernel printing faster than the window paints: Conch keeps up, so its memory stays bounded
(ZMQ's PUB/SUB has no back-pressure: what Conch does not take piles up in its receive queue)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from conch import ConsoleWidget

LINES = 1_000_000
WIDTH = 100  # about 100 MB printed in all


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.timeout(300)
def test_a_100_mb_flood_into_a_capped_transcript_keeps_memory_bounded(qtbot: QtBot, console: ConsoleWidget) -> None:
    pytest.importorskip("resource")
    console.kernel.transcript.max_lines = 200_000
    before = rss_mib()
    peak = [before]
    sampler = QTimer()
    sampler.setInterval(100)
    sampler.timeout.connect(lambda: peak.__setitem__(0, max(peak[0], rss_mib())))
    sampler.start()
    code = f"for i in range({LINES}): print(f'{{i:08d}} ' + 'm' * {WIDTH - 9})"
    with qtbot.waitSignal(console.execution_finished, timeout=240_000):
        console.execute(code)
    sampler.stop()
    (output,) = console.outputs()
    content = output.content
    assert content.trimmed + content.line_count() == LINES  # every line came through...
    assert content.line_count() <= 202_000 and content.line_text(content.line_count() - 1).startswith(f"{LINES - 1:08d}")
    growth = peak[0] - before
    assert growth < 150, f"RSS grew by {growth:.0f} MiB for a 100 MB flood into 200 000 kept lines"
