"""Transcript → nbformat v4: every kind of entry, validated, written atomically, read back."""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conch.app.export.notebook import spans_to_ansi, transcript_to_notebook, write_notebook
from conch.app.model.outputs import ErrorOutput, RichOutput
from conch.app.model.terminal_text import TerminalText
from conch.app.model.transcript import Transcript

from tests.app.export.samples import PNG, TRACEBACK

KERNEL: dict[str, Any] = {
    "kernel_name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language_info": {
        "name": "python", "version": "3.11.7", "mimetype": "text/x-python", "file_extension": ".py",
        "pygments_lexer": "ipython3", "codemirror_mode": {"name": "ipython", "version": 3},
        "nbconvert_exporter": "python",
    },
}


def _notebook(transcript: Transcript) -> nbformat.NotebookNode:
    notebook = transcript_to_notebook(transcript, **KERNEL)
    nbformat.validate(notebook)
    return notebook


def test_every_entry_becomes_a_cell_in_order(scripted: Transcript) -> None:
    notebook = _notebook(scripted)
    kinds = [(cell.cell_type, cell.metadata.get("conch", {})) for cell in notebook.cells]
    assert kinds == [
        ("markdown", {"notice": "banner"}),
        *[("code", {})] * 8,
        ("code", {"foreign": True}),
        ("code", {"outside": True}),
        ("markdown", {"notice": "warning"}),
    ]
    assert [cell.execution_count for cell in notebook.cells[1:10]] == list(range(1, 10))
    assert notebook.cells[9].source == "x = 41 + 1\nprint(x)"
    assert notebook.cells[10].source == "" and notebook.cells[10].execution_count is None
    assert notebook.cells[10].outputs[0].text == "from a thread\n"
    assert notebook.cells[11].source == "*— Kernel restarted*"
    assert notebook.cells[0].source.startswith("```\nPython 3.11")


def test_metadata_names_the_kernel_and_language() -> None:
    notebook = _notebook(Transcript())
    assert notebook.metadata.kernelspec == {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    assert notebook.metadata.language_info == KERNEL["language_info"]
    assert notebook.nbformat == 4


def test_a_kernel_not_ready_yet_or_with_odd_language_info_still_validates() -> None:
    for info in ({}, {"name": 3, "file_extension": None, "codemirror_mode": 5, "version": float("nan")}):
        notebook = transcript_to_notebook(Transcript(), kernel_name="k", display_name="K", language_info=info)
        nbformat.validate(notebook)
        assert notebook.metadata.language_info["name"] == ""


def test_streams_are_the_text_the_console_shows(scripted: Transcript) -> None:
    outputs = _notebook(scripted).cells[1].outputs
    assert [(o.output_type, o.name, o.text) for o in outputs] == [
        ("stream", "stdout", "hello\n100%\n"),
        ("stream", "stderr", "careful\n"),
    ]


def test_errors_keep_their_coloured_traceback(scripted: Transcript) -> None:
    (error,) = _notebook(scripted).cells[2].outputs
    assert (error.output_type, error.ename, error.evalue) == ("error", "ZeroDivisionError", "division by zero")
    assert all("\x1b[" in line for line in error.traceback if line)
    # Re-read as a terminal would: the same styled lines as the console's.
    original, rebuilt = TerminalText(), TerminalText()
    original.feed("\n".join(TRACEBACK))
    rebuilt.feed("\n".join(error.traceback))
    assert [rebuilt.line_spans(i) for i in range(rebuilt.line_count())] == [
        original.line_spans(i) for i in range(original.line_count())
    ]


def test_a_kept_raw_traceback_is_used_as_it_is() -> None:
    transcript = Transcript()
    cell = transcript.add_cell("1/0", "m1")
    output = ErrorOutput("E", "v", ["\x1b[31mraw\x1b[0m"])
    output.traceback = ["\x1b[31mraw\x1b[0m"]  # type: ignore[attr-defined]  # should the model keep it
    transcript.append_output(cell, output)
    (error,) = _notebook(transcript).cells[0].outputs
    assert error.traceback == ["\x1b[31mraw\x1b[0m"]


def test_rich_outputs_keep_their_bundles_in_their_final_state(scripted: Transcript) -> None:
    cells = _notebook(scripted).cells
    (png,) = cells[3].outputs
    assert png.output_type == "display_data"
    assert png.data["image/png"] == PNG + "\n" and png.metadata == {"image/png": {"width": 10, "height": 8}}
    (table,) = cells[4].outputs
    assert (table.output_type, table.execution_count) == ("execute_result", 4)
    assert table.data["text/html"].startswith('<table class="dataframe">')
    (updated,) = cells[5].outputs
    assert updated.data == {"text/markdown": "**final** version", "text/plain": "<Markdown>"}
    assert updated.metadata == {"updated": True}
    assert cells[6].outputs == []
    latex, result = cells[7].outputs
    assert latex.data["text/latex"] == "$x^2 < 1$"
    assert result.data["application/json"] == {"a": [1, 2], "b": None}


def test_bundles_are_what_the_schema_wants() -> None:
    transcript = Transcript()
    cell = transcript.add_cell("x", "m1")
    transcript.append_output(cell, RichOutput(
        "result",
        {"text/plain": ["line 1\n", "line 2"], "application/vnd.custom+json": {"k": float("inf")}, "text/x-odd": 5},
        {"bad": float("nan"), 3: object.__name__},
        execution_count=-1,
    ))
    (output,) = _notebook(transcript).cells[0].outputs
    assert output.data == {"text/plain": "line 1\nline 2", "application/vnd.custom+json": {"k": None}, "text/x-odd": "5"}
    assert output.metadata == {"bad": None, "3": "object"}
    assert output.execution_count is None


def test_written_file_reads_back_the_same(scripted: Transcript, tmp_path: Path) -> None:
    path = tmp_path / "session.ipynb"
    write_notebook(scripted, path, **KERNEL)
    again = nbformat.read(path, as_version=4)
    nbformat.validate(again)
    expected = _notebook(scripted)
    assert len(again.cells) == len(expected.cells)
    for read, made in zip(again.cells, expected.cells):
        assert (read.cell_type, read.source, read.metadata) == (made.cell_type, made.source, made.metadata)
        if made.cell_type == "code":
            assert read.execution_count == made.execution_count
            assert read.outputs == made.outputs
    assert again.metadata == expected.metadata
    assert [p.name for p in tmp_path.iterdir()] == ["session.ipynb"]  # no temporary file left


def test_writing_replaces_a_file_keeping_its_mode(scripted: Transcript, tmp_path: Path) -> None:
    path = tmp_path / "session.ipynb"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_notebook(scripted, path, **KERNEL)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert nbformat.read(path, as_version=4).cells


def test_an_invalid_notebook_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "session.ipynb"
    path.write_text("old")
    bad: dict[str, Any] = dict(KERNEL, display_name=5)  # not a string: the schema refuses it
    with pytest.raises(nbformat.ValidationError):
        write_notebook(Transcript(), path, **bad)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["session.ipynb"]


def test_spans_to_ansi_round_trips_every_attribute() -> None:
    source = "\x1b[1;2;3;4;7;9;31;42mall\x1b[0m \x1b[91;104mbright\x1b[0m \x1b[38;5;200;48;2;1;2;3mext\x1b[0m plain"
    text = TerminalText()
    text.feed(source)
    again = TerminalText()
    again.feed(spans_to_ansi(text.line_spans(0)))
    assert again.line_spans(0) == text.line_spans(0)
    assert spans_to_ansi([("plain", TerminalText().style)]) == "plain"
