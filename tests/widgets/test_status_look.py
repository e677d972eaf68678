"""Every kernel state has one look, and its prompt word fits the prompt gutter."""
from __future__ import annotations

from pytestqt.qtbot import QtBot

from conch.app.kernel.status import KernelStatus
from conch.widgets.status_look import EXITED, LOOKS, look, state_icon


def test_every_status_has_a_look_an_icon_and_a_prompt_that_fits(qtbot: QtBot) -> None:
    assert set(LOOKS) == set(KernelStatus)
    for status in KernelStatus:
        shown = look(status)
        assert shown.word and not state_icon(status).isNull()
        assert shown.prompt is None or len(shown.prompt) <= len("starting…")
        assert shown.waiting or status is KernelStatus.IDLE
    assert look(KernelStatus.DEAD, exited=True) is EXITED and look(KernelStatus.IDLE, exited=True) is LOOKS[KernelStatus.IDLE]
