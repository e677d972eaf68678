"""Transcript and router behaviour, driven by iopub-shaped messages (no Qt, no kernel)."""
from __future__ import annotations

from typing import Any

from conch.app.model.outputs import ErrorOutput, RichOutput, StreamOutput
from conch.app.model.plain_text import transcript_text
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import CellState, Notice, Transcript


def msg(msg_type: str, parent: str, **content: Any) -> dict[str, Any]:
    return {
        "header": {"msg_type": msg_type, "msg_id": f"{msg_type}-x"},
        "parent_header": {"msg_id": parent},
        "content": content,
    }


def make() -> tuple[Transcript, OutputRouter]:
    transcript = Transcript()
    return transcript, OutputRouter(transcript)


def test_stream_text_joins_consecutive_messages_of_the_same_stream() -> None:
    transcript, router = make()
    cell = transcript.add_cell("print(1)", "m1")
    router.handle_iopub(msg("stream", "m1", name="stdout", text="a"))
    router.handle_iopub(msg("stream", "m1", name="stdout", text="b\n"))
    router.handle_iopub(msg("stream", "m1", name="stderr", text="oops\n"))
    router.handle_iopub(msg("stream", "m1", name="stdout", text="c\n"))
    assert [(o.kind, o.text) for o in cell.outputs] == [
        ("stdout", "ab\n"),
        ("stderr", "oops\n"),
        ("stdout", "c\n"),
    ]
    assert all(isinstance(o, StreamOutput) for o in cell.outputs)


def test_execute_input_result_and_finish_set_prompt_numbers_and_state() -> None:
    transcript, router = make()
    cell = transcript.add_cell("1+1", "m1")
    assert cell.state is CellState.QUEUED
    router.handle_iopub(msg("execute_input", "m1", code="1+1", execution_count=7))
    assert cell.state is CellState.RUNNING and cell.execution_count == 7
    router.handle_iopub(
        msg("execute_result", "m1", data={"text/plain": "2"}, metadata={}, execution_count=7)
    )
    router.finish("m1", {"content": {"status": "ok", "execution_count": 7}})
    assert cell.state is CellState.OK
    (result,) = cell.outputs
    assert isinstance(result, RichOutput)
    assert (result.kind, result.mime_type, result.text, result.execution_count) == ("result", "text/plain", "2", 7)


def test_error_keeps_name_value_and_ansi_free_traceback_text() -> None:
    transcript, router = make()
    cell = transcript.add_cell("1/0", "m1")
    router.handle_iopub(
        msg(
            "error",
            "m1",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["\x1b[31mZeroDivisionError\x1b[0m", "\x1b[1mdivision by zero\x1b[0m"],
        )
    )
    router.finish("m1", {"content": {"status": "error", "execution_count": 1}})
    (error,) = cell.outputs
    assert isinstance(error, ErrorOutput)
    assert error.ename == "ZeroDivisionError"
    assert error.text == "ZeroDivisionError\ndivision by zero"
    assert error.content.line_spans(0)[0][1].fg == 1
    assert cell.state is CellState.ERROR


def test_mime_choice_follows_what_the_view_can_render() -> None:
    transcript = Transcript()
    router = OutputRouter(transcript, renderable=("image/png", "text/plain"))
    cell = transcript.add_cell("plot", "m1")
    bundle = {"text/plain": "<Figure>", "image/png": "iVBORw0KGgo=", "text/html": "<b>x</b>"}
    router.handle_iopub(msg("display_data", "m1", data=bundle, metadata={}, transient={}))
    router.handle_iopub(
        msg("display_data", "m1", data={"text/plain": "w", "application/vnd.jupyter.widget-view+json": {}}, metadata={})
    )
    assert [o.mime_type for o in cell.outputs] == ["image/png", "text/plain"]
    assert cell.outputs[0].binary("image/png").startswith(b"\x89PNG")  # type: ignore[union-attr]


def test_update_display_data_updates_every_output_with_that_id_in_any_cell() -> None:
    transcript, router = make()
    first = transcript.add_cell("d = display('a', display_id=True)", "m1")
    router.handle_iopub(msg("display_data", "m1", data={"text/plain": "a"}, metadata={}, transient={"display_id": "D"}))
    second = transcript.add_cell("display('a', display_id='D')", "m2")
    router.handle_iopub(msg("display_data", "m2", data={"text/plain": "a"}, metadata={}, transient={"display_id": "D"}))
    third = transcript.add_cell("d.update('b')", "m3")
    router.handle_iopub(msg("update_display_data", "m3", data={"text/plain": "b"}, metadata={}, transient={"display_id": "D"}))
    assert [o.text for o in first.outputs + second.outputs] == ["b", "b"]
    assert third.outputs == []


def test_clear_output_now_and_wait() -> None:
    transcript, router = make()
    cell = transcript.add_cell("loop", "m1")
    router.handle_iopub(msg("stream", "m1", name="stdout", text="1\n"))
    router.handle_iopub(msg("clear_output", "m1", wait=True))
    assert [o.text for o in cell.outputs] == ["1\n"]  # kept until the next output
    router.handle_iopub(msg("stream", "m1", name="stdout", text="2\n"))
    assert [o.text for o in cell.outputs] == ["2\n"]
    router.handle_iopub(msg("clear_output", "m1", wait=False))
    assert cell.outputs == []


def test_output_from_another_client_goes_to_a_foreign_cell() -> None:
    transcript, router = make()
    router.handle_iopub(msg("execute_input", "other", code="x = 1", execution_count=3))
    router.handle_iopub(msg("stream", "other", name="stdout", text="hi\n"))
    (cell,) = list(transcript.cells())
    assert cell.foreign and cell.code == "x = 1" and cell.outputs[0].text == "hi\n"
    assert cell.state is CellState.RUNNING and cell.execution_count == 3
    router.handle_iopub(msg("status", "other", execution_state="idle"))  # its reply went elsewhere
    assert cell.state is CellState.OK


def test_a_foreign_execution_that_raised_ends_as_an_error() -> None:
    transcript, router = make()
    router.handle_iopub(msg("execute_input", "other", code="1/0", execution_count=4))
    router.handle_iopub(msg("error", "other", ename="ZeroDivisionError", evalue="", traceback=[]))
    router.handle_iopub(msg("status", "other", execution_state="idle"))
    (cell,) = list(transcript.cells())
    assert cell.state is CellState.ERROR


def test_idle_for_an_own_execution_waits_for_its_reply() -> None:
    transcript, router = make()
    cell = transcript.add_cell("pass", "mine")
    router.handle_iopub(msg("execute_input", "mine", code="pass", execution_count=1))
    router.handle_iopub(msg("status", "mine", execution_state="idle"))
    assert cell.state is CellState.RUNNING  # the reply finishes it (it may come after idle)


def test_status_and_comm_messages_add_nothing() -> None:
    transcript, router = make()
    router.handle_iopub(msg("status", "m1", execution_state="busy"))
    router.handle_iopub(msg("comm_open", "m1", comm_id="c", target_name="t", data={}))
    assert transcript.entries == []


def test_observers_hear_about_every_change() -> None:
    transcript, router = make()
    seen: list[str] = []
    transcript.entry_added.connect(lambda e: seen.append("added"))
    transcript.entry_changed.connect(lambda e: seen.append("changed"))
    transcript.cleared.connect(lambda: seen.append("cleared"))
    transcript.add_cell("x", "m1")
    router.handle_iopub(msg("stream", "m1", name="stdout", text="x"))
    router.finish("m1", {"content": {"status": "ok"}})
    transcript.add_notice("Kernel restarted")
    transcript.clear()
    assert seen == ["added", "changed", "changed", "added", "cleared"]
    assert transcript.entries == []


def test_plain_text_is_what_a_user_would_copy() -> None:
    transcript, router = make()
    cell = transcript.add_cell("for i in range(2):\n    print(i)", "m1")
    router.handle_iopub(msg("execute_input", "m1", code=cell.code, execution_count=1))
    router.handle_iopub(msg("stream", "m1", name="stdout", text="0\n1\n"))
    router.finish("m1", {"content": {"status": "ok", "execution_count": 1}})
    cell2 = transcript.add_cell("'x'", "m2")
    router.handle_iopub(msg("execute_result", "m2", data={"text/plain": "'x'"}, metadata={}, execution_count=2))
    router.finish("m2", {"content": {"status": "ok", "execution_count": 2}})
    transcript.add_notice("Kernel restarted")
    assert cell2.state is CellState.OK
    assert transcript_text(transcript) == (
        "In [1]: for i in range(2):\n"
        "   ...:     print(i)\n"
        "0\n1\n"
        "\n"
        "In [2]: 'x'\n"
        "Out[2]: 'x'\n"
        "\n"
        "— Kernel restarted\n"
    )
    assert isinstance(transcript.entries[-1], Notice)


def test_scrollback_keeps_the_newest_lines_within_the_limit() -> None:
    transcript = Transcript(max_lines=1000)
    router = OutputRouter(transcript)
    old = transcript.add_cell("old", "m0")
    router.handle_iopub(msg("stream", "m0", name="stdout", text="".join(f"old {i}\n" for i in range(600))))
    cell = transcript.add_cell("flood", "m1")
    for start in range(0, 5000, 250):
        text = "".join(f"line {i}\n" for i in range(start, start + 250))
        router.handle_iopub(msg("stream", "m1", name="stdout", text=text))
    kept = transcript.stream_line_count()
    assert 1000 <= kept <= 1000 + 100
    assert old.outputs == []  # the oldest output went first, whole
    (out,) = cell.outputs
    assert out.content.line_count() == kept  # type: ignore[union-attr]
    assert out.content.line_text(kept - 1) == "line 4999"  # type: ignore[union-attr]
    assert out.content.line_text(0) == f"line {5000 - kept}"  # type: ignore[union-attr]


def test_clear_output_releases_scrollback_lines() -> None:
    transcript, router = make()
    cell = transcript.add_cell("x", "m1")
    router.handle_iopub(msg("stream", "m1", name="stdout", text="a\nb\nc\n"))
    assert transcript.stream_line_count() == 3
    router.handle_iopub(msg("clear_output", "m1", wait=False))
    assert transcript.stream_line_count() == 0 and cell.outputs == []


def test_cells_are_timed_from_execute_input_to_their_end() -> None:
    transcript = Transcript()
    now = [10.0]
    router = OutputRouter(transcript, clock=lambda: now[0])
    mine = transcript.add_cell("work()", "mine")
    assert mine.duration is None
    router.handle_iopub(msg("execute_input", "mine", code="work()", execution_count=1))
    now[0] = 12.5
    router.finish("mine", {"content": {"status": "ok", "execution_count": 1}})
    assert (mine.started, mine.ended, mine.duration) == (10.0, 12.5, 2.5)
    router.handle_iopub(msg("execute_input", "other", code="x", execution_count=2))
    now[0] = 13.0
    router.handle_iopub(msg("status", "other", execution_state="idle"))
    (_, foreign) = list(transcript.cells())
    assert foreign.duration == 0.5


def test_the_router_follows_the_kernels_counter_from_every_client() -> None:
    transcript, router = make()
    seen: list[int] = []
    router.count_changed.connect(seen.append)
    mine = transcript.add_cell("a = 1", "mine")
    router.handle_iopub(msg("execute_input", "mine", code="a = 1", execution_count=4))
    router.finish("mine", {"content": {"status": "ok", "execution_count": 4}})
    router.handle_iopub(msg("execute_input", "other", code="b = 2", execution_count=5))  # another client's
    router.note_count(3)  # an older number never moves it back
    router.finish("probe", {"content": {"status": "ok", "execution_count": 5}})  # a reply with no cell
    assert (router.execution_count, seen, mine.execution_count) == (5, [4, 5], 4)
    router.reset_count()
    assert router.execution_count == 0 and seen[-1] == 0


def test_update_display_reaches_a_result_carrying_a_display_id() -> None:
    transcript, router = make()
    cell = transcript.add_cell("x", "m1")
    router.handle_iopub(
        msg("execute_result", "m1", data={"text/plain": "old"}, metadata={}, execution_count=1,
            transient={"display_id": "r1"})
    )
    router.handle_iopub(msg("display_data", "m1", data={"text/plain": "shown"}, metadata={}, transient={"display_id": "r1"}))
    router.handle_iopub(msg("update_display_data", "other", data={"text/plain": "new"}, metadata={}, transient={"display_id": "r1"}))
    assert [(o.kind, o.text) for o in cell.outputs] == [("result", "new"), ("display", "new")]


def test_a_banner_notice_reads_as_plain_text() -> None:
    transcript, _ = make()
    transcript.add_notice("Python 3.11\nIPython 9", "banner")
    transcript.add_notice("Kernel restarted", "info")
    assert transcript_text(transcript) == "Python 3.11\nIPython 9\n\n— Kernel restarted\n"


# -- output from outside any cell (no parent, or a parent no execution here knows) ------------


def stray(msg_type: str, parent: dict[str, Any] | None = None, **content: Any) -> dict[str, Any]:
    """An iopub message whose parent header is empty (or the given one)."""
    return {"header": {"msg_type": msg_type, "msg_id": "stray"}, "parent_header": parent or {}, "content": content}


def test_output_without_a_parent_shares_one_finished_entry_until_a_real_cell() -> None:
    from conch.app.model.transcript import OutsideOutput

    transcript, router = make()
    router.handle_iopub(stray("stream", name="stdout", text="a\n"))
    router.handle_iopub(stray("stream", {"msg_id": ""}, name="stdout", text="b\n"))
    router.handle_iopub(msg("stream", "nobody-knows", name="stdout", text="c\n"))  # unknown parent
    router.handle_iopub(stray("display_data", data={"text/plain": "d"}, metadata={}))
    (outside,) = transcript.entries
    assert isinstance(outside, OutsideOutput) and outside.finished and not outside.foreign
    assert [o.text for o in outside.outputs] == ["a\nb\nc\n", "d"]
    cell = transcript.add_cell("print(1)", "m1")
    router.handle_iopub(msg("execute_input", "m1", code="print(1)", execution_count=1))
    router.handle_iopub(stray("stream", name="stdout", text="e\n"))  # after a real cell: a new entry
    router.handle_iopub(msg("stream", "m1", name="stdout", text="1\n"))  # the cell still gets its own
    router.finish("m1", {"content": {"status": "ok", "execution_count": 1}})
    router.handle_iopub(stray("stream", name="stdout", text="f\n"))  # still the last entry: shared
    assert [type(e).__name__ for e in transcript.entries] == ["OutsideOutput", "Cell", "OutsideOutput"]
    assert cell.outputs[0].text == "1\n" and transcript.entries[2].outputs[0].text == "e\nf\n"  # type: ignore[union-attr]
    text = transcript_text(transcript)
    assert "In [*]" not in text and "In []" not in text
    assert text == (
        "— output from outside any cell\na\nb\nc\nd\n\n"
        "In [1]: print(1)\n1\n\n"
        "— output from outside any cell\ne\nf\n"
    )


def test_a_notice_also_ends_the_shared_outside_entry() -> None:
    transcript, router = make()
    router.handle_iopub(stray("stream", name="stdout", text="a\n"))
    transcript.add_notice("Kernel restarted")
    router.handle_iopub(stray("stream", name="stdout", text="b\n"))
    assert [type(e).__name__ for e in transcript.entries] == ["OutsideOutput", "Notice", "OutsideOutput"]


def test_clear_output_without_a_parent_adds_nothing_and_clears_only_outside_output() -> None:
    transcript, router = make()
    router.handle_iopub(stray("clear_output", wait=False))
    assert transcript.entries == []
    router.handle_iopub(stray("stream", name="stdout", text="progress 1\n"))
    router.handle_iopub(stray("clear_output", wait=True))
    router.handle_iopub(stray("stream", name="stdout", text="progress 2\n"))
    (outside,) = transcript.entries
    assert [o.text for o in outside.outputs] == ["progress 2\n"]  # type: ignore[union-attr]
    assert transcript.stream_line_count() == 1


def test_foreign_executions_still_open_foreign_cells_beside_outside_output() -> None:
    from conch.app.model.transcript import Cell, OutsideOutput

    transcript, router = make()
    router.handle_iopub(stray("stream", name="stdout", text="stray\n"))
    router.handle_iopub(msg("execute_input", "other", code="x = 1", execution_count=2))
    router.handle_iopub(msg("stream", "other", name="stdout", text="hi\n"))
    router.handle_iopub(msg("status", "other", execution_state="idle"))
    outside, foreign = transcript.entries
    assert isinstance(outside, OutsideOutput) and type(foreign) is Cell and foreign.foreign
    assert foreign.state is CellState.OK and foreign.outputs[0].text == "hi\n"  # type: ignore[union-attr]
    assert [o.text for o in outside.outputs] == ["stray\n"]  # type: ignore[union-attr]


def test_outside_output_counts_towards_the_scrollback_and_is_dropped_like_old_output() -> None:
    transcript = Transcript(max_lines=100)
    router = OutputRouter(transcript)
    for i in range(150):  # 150 messages, one line each: one entry, not 150
        router.handle_iopub(stray("stream", name="stdout", text=f"stray {i}\n"))
    assert len(transcript.entries) == 1
    assert transcript.stream_line_count() == 150  # not trimmed yet: trims come 1 % (at least 100) over
    cell = transcript.add_cell("flood", "m1")
    router.handle_iopub(msg("stream", "m1", name="stdout", text="".join(f"line {i}\n" for i in range(160))))
    outside = transcript.entries[0]
    assert outside.outputs == []  # type: ignore[union-attr]  # the oldest output went first, whole
    assert transcript.stream_line_count() == 100 and cell.outputs[0].text.startswith("line 60\n")
