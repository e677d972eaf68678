"""Property-based fuzzing of the OutputRouter and the Transcript (no Qt, no kernel).

Two kinds of input:

* **junk messages**: dicts with the header, parent header and content absent, None, or of
  the wrong type (str, int, list), msg_type from the real iopub set or junk, parent ids known,
  unknown, empty or unhashable, and every content field either right or of a wrong type
  (text as int, data as list, metadata as str, transient as str, execution_count as str, bool
  or huge, traceback as str or int, code as int...). The router must not raise: a message a
  kernel (or anything on the wire) sends is not a reason for an exception in Conch
  (``KernelClient._on_iopub`` emits it through an ``Event``, which would only log it, leaving
  the transcript half-changed). Two levels: ``router.envelope_junk`` (header, parent header and
  content are dicts; their values are junk) and ``router.junk`` (anything goes).
* **sessions**: well-formed messages in random order (stream with terminal text, display_data,
  update_display_data, clear_output with and without wait, execute_input, execute_result,
  error, idle status, execute replies) for own, foreign, unknown and missing parents, mixed
  with ``trim_to``, ``clear``, notices and direct ``update_display`` calls, on transcripts with
  small scrollback limits. After every step: ``stream_line_count()`` is the sum of the stream
  outputs' line counts, the display_id index points only at outputs in the transcript (and
  ``update_display`` reaches exactly those), ``plain_text.transcript_text`` works, and after
  each stream append the scrollback holds at most ``max_lines`` + the 1 % batch.

The normal run is derandomized and bounded; ``benchmarks/fuzz_long.py`` runs these for longer.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conch.app.model.outputs import ErrorOutput, RichOutput, StreamOutput
from conch.app.model.plain_text import transcript_text
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import Transcript

NORMAL = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- values -----------------------------------------------------------------------------------

scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8),
)
junk = st.one_of(scalar, st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
))
"""Any JSON-like value."""


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the right kind of value, sometimes junk."""
    return st.one_of(valid, valid, junk)


OWN = ["m1", "m2"]
FOREIGN = ["f1", "f2"]
DISPLAY_IDS = ["d1", "d2", "d3"]
MSG_TYPES = [
    "stream", "display_data", "update_display_data", "execute_input", "execute_result", "error",
    "clear_output", "status", "comm_open", "comm_msg", "comm_close", "input_request", "debug_event",
]

stream_text = st.lists(
    st.one_of(
        st.sampled_from([
            "a", "line\n", "\n", "\r", "\b", "\t", "\x1b[A", "\x1b[2A", "\x1b[B", "\x1b[F", "\x1b[2K", "\x1b[J",
            "\x1b[2J", "\x1b[1J", "\x1b[31m", "\x1b[0m", "\x1b[99C", "\x1b[999999999C", "\x1b]0;t\x07", "\x1b",
            "[", "%|###|",
        ]),
        st.integers(1, 150).map(lambda n: "x\n" * n),
        st.integers(1, 150).map(lambda n: "x\n" * n + "\x1b[A"),  # the cursor above an empty last line
        st.text(max_size=6),
    ),
    max_size=12,
).map("".join)

mime_value = st.one_of(st.text(max_size=12), st.lists(st.text(max_size=6), max_size=3), stream_text)
bundle = st.dictionaries(
    st.sampled_from(["text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/svg+xml",
                     "application/json", "application/vnd.jupyter.widget-view+json", "x/vendor"]),
    maybe(mime_value), max_size=3,
)
metadata = st.dictionaries(st.sampled_from(["image/png", "isolated", "x"]), junk, max_size=2)
transient = st.fixed_dictionaries({}, optional={"display_id": maybe(st.sampled_from(DISPLAY_IDS))})
count = st.one_of(st.integers(0, 50), st.integers(2**31, 2**70), st.booleans(), st.text("12a", max_size=3))


Strategies = dict[str, st.SearchStrategy[Any]]


def contents(valid_only: bool) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    """A content strategy per msg_type, with junk field values unless ``valid_only``."""
    value: Callable[[st.SearchStrategy[Any]], st.SearchStrategy[Any]] = (
        (lambda s: s) if valid_only else maybe
    )

    def fields(required: Strategies, optional: Strategies | None = None) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {k: value(v) for k, v in required.items()},
            optional={k: value(v) for k, v in (optional or {}).items()},
        )

    execution_count = st.integers(0, 50) if valid_only else count
    return {
        "stream": fields({"name": st.sampled_from(["stdout", "stderr"]), "text": stream_text}),
        "display_data": fields({"data": bundle, "metadata": metadata}, {"transient": transient}),
        "update_display_data": fields({"data": bundle, "metadata": metadata, "transient": transient}),
        "execute_input": fields({"code": st.text(max_size=20), "execution_count": st.integers(0, 50)}),
        "execute_result": fields(
            {"data": bundle, "metadata": metadata, "execution_count": execution_count}, {"transient": transient}
        ),
        "error": fields({
            "ename": st.text(max_size=8), "evalue": st.text(max_size=8),
            "traceback": st.lists(stream_text, max_size=3),
        }),
        "clear_output": fields({"wait": st.booleans()}),
        "status": fields({"execution_state": st.sampled_from(["idle", "busy", "starting"])}),
    }


_CONTENTS = {"valid": contents(valid_only=True), "odd": contents(valid_only=False)}
_OTHER_CONTENT = st.dictionaries(st.text(max_size=5), junk, max_size=2)
_MSG_TYPES = {
    "valid": st.sampled_from(MSG_TYPES),
    "envelope_junk": st.one_of(st.sampled_from(MSG_TYPES), st.sampled_from(MSG_TYPES), junk),
    "junk": st.one_of(st.sampled_from(MSG_TYPES), junk),
}
_PARENT_IDS = st.sampled_from([*OWN, *FOREIGN, "unknown", ""])
_JUNK_PARENT = st.one_of(junk, st.fixed_dictionaries({"msg_id": junk}))


@st.composite
def message(draw: st.DrawFn, level: str) -> dict[str, Any]:
    """An iopub message: ``valid``, ``envelope_junk`` (junk values in well-shaped dicts), or
    ``junk`` (the header, parent header and content themselves may be junk, or absent)."""
    msg_type = draw(_MSG_TYPES[level])
    table = _CONTENTS["valid" if level == "valid" else "odd"]
    content: Any = draw(table.get(msg_type, _OTHER_CONTENT) if isinstance(msg_type, str) else junk)
    header: Any = {"msg_type": msg_type, "msg_id": "x"}
    parent: Any = {"msg_id": draw(_PARENT_IDS)} if draw(st.integers(0, 5)) else {}
    if level == "envelope_junk" and draw(st.integers(0, 2)) == 0:
        parent = {"msg_id": draw(junk)}
    elif level == "junk":
        header = draw(junk) if draw(st.integers(0, 2)) == 0 else header
        parent = draw(_JUNK_PARENT) if draw(st.integers(0, 2)) == 0 else parent
        content = draw(junk) if draw(st.integers(0, 2)) == 0 else content
    msg: dict[str, Any] = {"msg_type": msg_type if isinstance(msg_type, str) else "?"}
    for key, part in (("header", header), ("parent_header", parent), ("content", content)):
        if level == "valid" or draw(st.integers(0, 7)):
            msg[key] = part
    return msg


reply = st.fixed_dictionaries({"content": st.fixed_dictionaries(
    {"status": st.sampled_from(["ok", "error", "aborted"]), "execution_count": st.integers(0, 50)}
)})



def sessions(clear: str) -> st.SearchStrategy[tuple[int, list[tuple[str, Any]]]]:
    """(max_lines, operations). ``clear`` is "idle" (the transcript is cleared only while no
    cell in it is running, as a user mostly does) or "any" (also while cells run)."""
    operation = st.one_of(
        st.tuples(st.just("iopub"), message("valid")),
        st.tuples(st.just("iopub"), message("valid")),
        st.tuples(st.just("iopub"), message("valid")),
        st.tuples(st.just("cell"), st.sampled_from(OWN)),
        st.tuples(st.just("finish"), st.tuples(st.sampled_from(OWN), reply)),
        st.tuples(st.just("trim"), st.integers(0, 30)),
        st.tuples(st.just("clear"), st.just(clear)),
        st.tuples(st.just("notice"), st.none()),
        st.tuples(st.just("update"), st.sampled_from(DISPLAY_IDS)),
    )
    return st.tuples(st.sampled_from([0, 1, 5, 50, 1000]), st.lists(operation, max_size=30))


# -- checks -------------------------------------------------------------------------------------


def check_transcript(transcript: Transcript) -> None:
    cells = list(transcript.cells())
    streams = [o for c in cells for o in c.outputs if isinstance(o, StreamOutput)]
    assert transcript.stream_line_count() == sum(o.content.line_count() for o in streams), (
        "stream_line_count() drifted from the stream outputs' line counts"
    )
    transcript_text(transcript)


def check_session(case: tuple[int, list[tuple[str, Any]]]) -> None:
    max_lines, ops = case
    transcript = Transcript(max_lines=max_lines)
    router = OutputRouter(transcript, clock=lambda: 0.0)
    limit = max_lines + max(100, max_lines // 100)
    for op, arg in ops:
        if op == "iopub":
            router.handle_iopub(arg)
            if arg["header"]["msg_type"] == "stream":
                assert transcript.stream_line_count() <= limit, "scrollback exceeded after an append"
        elif op == "cell":
            transcript.add_cell(f"code {arg}", arg)
        elif op == "finish":
            router.finish(*arg)
        elif op == "trim":
            transcript.trim_to(arg)
        elif op == "clear":
            if arg == "any" or all(cell.finished for cell in transcript.cells()):
                transcript.clear()
        elif op == "notice":
            transcript.add_notice("restarted")
        else:
            shown = [o for c in transcript.cells() for o in c.outputs
                     if isinstance(o, RichOutput) and o.display_id == arg]
            revisions = [o.revision for o in shown]
            updated = transcript.update_display(arg, {"text/plain": "new"}, {})
            assert updated == bool(shown), "update_display reached outputs no longer shown" if updated else ""
            assert [o.revision for o in shown] == [r + 1 for r in revisions]
            assert all(o.text == "new" for o in shown)
        check_transcript(transcript)


def check_junk(msgs: list[dict[str, Any]]) -> None:
    """A router fed junk does not raise, and the transcript stays readable; each message is
    also taken for an execute reply."""
    transcript = Transcript(max_lines=50)
    router = OutputRouter(transcript, clock=lambda: 0.0)
    transcript.add_cell("own", "m1")
    for msg in msgs:
        router.handle_iopub(msg)
        transcript_text(transcript)
        router.finish("m1", msg)
        transcript_text(transcript)


PROPERTIES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "transcript.session": (sessions(clear="idle"), check_session),
    "transcript.session_clear_while_running": (sessions(clear="any"), check_session),
    "router.envelope_junk": (st.lists(message("envelope_junk"), min_size=1, max_size=6), check_junk),
    "router.junk": (st.lists(message("junk"), min_size=1, max_size=6), check_junk),
}
"""Every property of this file: a strategy and the check it feeds (``benchmarks/fuzz_long.py``
runs them for longer)."""


@settings(NORMAL, max_examples=400)
@given(PROPERTIES["transcript.session"][0])
def test_transcript_invariants_under_random_interleavings(case: tuple[int, list[tuple[str, Any]]]) -> None:
    check_session(case)


@settings(NORMAL, max_examples=300)
@given(PROPERTIES["transcript.session_clear_while_running"][0])
def test_transcript_invariants_when_cleared_while_cells_run(case: tuple[int, list[tuple[str, Any]]]) -> None:
    check_session(case)


@settings(NORMAL, max_examples=300)
@given(PROPERTIES["router.envelope_junk"][0])
def test_router_survives_junk_values_in_well_shaped_messages(msgs: list[dict[str, Any]]) -> None:
    check_junk(msgs)


@settings(NORMAL, max_examples=300)
@given(PROPERTIES["router.junk"][0])
def test_router_survives_any_junk(msgs: list[dict[str, Any]]) -> None:
    check_junk(msgs)


# -- what the fuzzers found, as minimal examples ----------------------------------------------


def _msg(msg_type: Any, parent: Any = "m1", content: Any = None, **fields: Any) -> dict[str, Any]:
    """A message with ``header.msg_type``, ``parent_header.msg_id`` (``parent``; a non-str is
    the whole parent header) and ``content`` (``fields`` unless given)."""
    return {
        "header": {"msg_type": msg_type},
        "parent_header": {"msg_id": parent} if isinstance(parent, str) else parent,
        "content": fields if content is None else content,
    }


def _routed(*msgs: Any) -> Transcript:
    transcript = Transcript()
    router = OutputRouter(transcript, clock=lambda: 0.0)
    transcript.add_cell("own", "m1")
    for msg in msgs:
        router.handle_iopub(msg)
    transcript_text(transcript)
    return transcript


# Each of these raised before the router read every field defensively.
ONCE_CRASHED = {
    "header_none": {"header": None, "content": {}},
    "header_str": {"header": "stream", "content": {}},
    "msg_type_unhashable": _msg([]),
    "parent_header_none": _msg("stream", None, text="a"),
    "parent_id_unhashable": _msg("stream", {"msg_id": ["m1"]}, text="a"),
    "status_parent_id_unhashable": _msg("status", {"msg_id": ["m1"]}, execution_state="idle"),
    "stream_content_none": {**_msg("stream"), "content": None},
    "status_content_int": _msg("status", content=603),
    "update_display_content_list": _msg("update_display_data", content=[]),
    "error_traceback_int": _msg("error", traceback=5),
    "execute_input_code_none": _msg("execute_input", "f1", code=None, execution_count=1),  # transcript_text
}


@pytest.mark.parametrize("msg", list(ONCE_CRASHED.values()), ids=list(ONCE_CRASHED))
def test_a_junk_message_is_ignored_or_taken_in_part(msg: dict[str, Any]) -> None:
    transcript = _routed(msg)
    own = transcript.cell_for("m1")
    assert own is not None and own.code == "own" and not own.finished


def test_junk_in_an_error_and_an_input_reads_as_text() -> None:
    transcript = _routed(
        _msg("error", ename=None, evalue=3, traceback="one line"),
        _msg("execute_input", "f1", code=None, execution_count=1),
    )
    own, foreign = transcript.cells()
    error = own.outputs[0]
    assert isinstance(error, ErrorOutput) and (error.ename, error.evalue, error.text) == ("Error", "3", "one line")
    assert foreign.foreign and foreign.code == ""


@pytest.mark.parametrize(
    "reply", [{"content": None}, {"content": {"status": []}}, "reply"], ids=["content_none", "status_unhashable", "str"]
)
def test_a_junk_reply_finishes_the_cell_as_failed(reply: Any) -> None:
    transcript = Transcript()
    router = OutputRouter(transcript)
    cell = transcript.add_cell("own", "m1")
    router.finish("m1", reply)
    assert cell.finished


def test_a_cell_cleared_while_running_stays_and_shows_what_it_prints_next() -> None:
    transcript = Transcript()
    router = OutputRouter(transcript)
    transcript.add_cell("print(0)", "m0")
    router.finish("m0", {"content": {"status": "ok"}})
    running = transcript.add_cell("print(1)", "m1")
    router.handle_iopub(_msg("stream", name="stdout", text="before\n"))
    transcript.clear()
    assert list(transcript.cells()) == [running] and running.outputs == []
    router.handle_iopub(_msg("stream", name="stdout", text="a\n"))
    assert transcript_text(transcript).endswith("a\n") and transcript.stream_line_count() == 1
    check_transcript(transcript)


def test_output_of_a_cell_cleared_while_running_is_trimmed_by_the_scrollback() -> None:
    transcript = Transcript(max_lines=5)
    router = OutputRouter(transcript)
    transcript.add_cell("flood()", "m1")
    transcript.clear()
    for _ in range(300):
        router.handle_iopub(_msg("stream", name="stdout", text="x\n"))
    assert transcript.stream_line_count() <= 5 + 100


def test_a_display_of_a_cell_cleared_while_running_can_be_updated() -> None:
    transcript = Transcript()
    router = OutputRouter(transcript)
    transcript.add_cell("display(x)", "m1")
    transcript.clear()
    router.handle_iopub(_msg("display_data", data={"text/plain": "x"}, metadata={}, transient={"display_id": "d1"}))
    assert transcript.update_display("d1", {"text/plain": "y"}, {})
    assert [o.text for o in transcript.outputs()] == ["y"]


def test_rich_output_takes_junk_bundles_as_empty() -> None:
    transcript = _routed(
        _msg("display_data", data=[1, 2], metadata="ab", transient="d1"),
        _msg("execute_result", data=None, metadata=None, execution_count=1, transient={"display_id": "d1"}),
        _msg("update_display_data", data="x", metadata=[[]], transient={"display_id": "d1"}),
    )
    outputs = transcript.outputs()
    assert [(type(o).__name__, o.mime_type, o.text) for o in outputs] == [("RichOutput", "text/plain", "")] * 2
