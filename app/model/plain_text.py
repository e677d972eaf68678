"""The transcript as plain text, the way a user would copy it from the console."""
from __future__ import annotations

from conch.app.model.outputs import RichOutput
from conch.app.model.transcript import Cell, CellState, Notice, OutsideOutput, Transcript


def input_prompt(cell: Cell) -> str:
    if not cell.finished and cell.state in (CellState.QUEUED, CellState.RUNNING):
        return "In [*]: "
    count = "" if cell.execution_count is None else cell.execution_count
    return f"In [{count}]: "


def output_prompt(output: RichOutput) -> str:
    count = "" if output.execution_count is None else output.execution_count
    return f"Out[{count}]: "


def transcript_text(transcript: Transcript) -> str:
    """Prompts, code and the text of every output, cells separated by a blank line."""
    chunks: list[str] = []
    for entry in transcript.entries:
        if isinstance(entry, Notice):
            chunks.append(f"{entry.text}\n" if entry.level == "banner" else f"— {entry.text}\n")
        else:
            chunks.append(_cell_text(entry))
    return "\n".join(chunks)


def _cell_text(cell: Cell) -> str:
    if isinstance(cell, OutsideOutput):  # a header line, as a notice reads, then the output
        parts = [f"— {OutsideOutput.HEADER}\n"]
    else:
        prompt = input_prompt(cell)
        continuation = " " * (len(prompt) - 5) + "...: "
        lines = cell.code.split("\n")
        parts = [prompt + lines[0] + "\n"]
        parts.extend(continuation + line + "\n" for line in lines[1:])
    for output in cell.outputs:
        text = output.text
        if isinstance(output, RichOutput) and output.kind == "result":
            text = output_prompt(output) + text
        if text and not text.endswith("\n"):
            text += "\n"
        parts.append(text)
    return "".join(parts)
