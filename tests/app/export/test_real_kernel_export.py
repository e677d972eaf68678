"""Export of a transcript a real ipykernel filled: every iopub message goes through the router,
as in the console; a second client's execution shows up as a foreign cell."""
from __future__ import annotations

import base64
import re
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from conch.app.export.html_page import transcript_to_html, write_html
from conch.app.export.notebook import transcript_to_notebook, write_notebook
from conch.app.model.router import OutputRouter
from conch.app.model.transcript import Cell, Transcript
from tests.app.export.samples import assert_inert

pytestmark = pytest.mark.timeout(300)

CELLS = {
    "streams": "import sys\nprint('hello')\nprint('50%\\r100%')\nprint('careful', file=sys.stderr)",
    "error": "1/0",
    "plot": "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()",
    "frame": "import pandas as pd\npd.DataFrame({'alpha': [1, 2], 'beta': ['x', 'y']})",
    "display": (
        "from IPython.display import display, Markdown, HTML\n"
        "handle = display(Markdown('first *draft*'), display_id=True)"
    ),
    "update": "handle.update(Markdown('**final** version'))",
    "evil": (
        "HTML('<b>bold</b><script>alert(1)</script><img src=x onerror=\"alert(2)\">"
        "<a href=\"javascript:alert(3)\">link</a>')"
    ),
}
FOREIGN = "print('from another client')"


class Console:
    """A transcript fed by a real kernel the way the console feeds it."""

    def __init__(self, client: BlockingKernelClient) -> None:
        self.client = client
        self.transcript = Transcript()
        self.router = OutputRouter(self.transcript)

    def run(self, code: str) -> Cell:
        msg_id = self.client.execute(code)
        cell = self.transcript.add_cell(code, msg_id)
        self.drain(msg_id)
        reply = self.client.get_shell_msg(timeout=60)
        assert reply["parent_header"]["msg_id"] == msg_id
        self.router.finish(msg_id, reply)
        return cell

    def drain(self, msg_id: str) -> None:
        """Feed iopub messages to the router until ``msg_id``'s execution is idle."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            message: dict[str, Any] = self.client.get_iopub_msg(timeout=60)
            self.router.handle_iopub(message)
            if (
                message["parent_header"].get("msg_id") == msg_id
                and message["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"
            ):
                return
        raise AssertionError(f"{msg_id} never went idle")


@pytest.fixture(scope="module")
def session() -> Iterator[tuple[Console, dict[str, Any]]]:
    """The cells of :data:`CELLS` run in a python3 kernel, plus another client's cell."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = manager.blocking_client()
    other = manager.blocking_client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=60)
        info = client.kernel_info(reply=True, timeout=30)["content"]
        console = Console(client)
        for code in CELLS.values():
            console.run(code)
        other.start_channels()
        other.wait_for_ready(timeout=60)
        foreign_id = other.execute(FOREIGN)
        console.drain(foreign_id)
        other.get_shell_msg(timeout=60)
        yield console, info
    finally:
        other.stop_channels()
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        manager.cleanup_resources()


def _kernel(info: dict[str, Any]) -> dict[str, Any]:
    return {"kernel_name": "python3", "display_name": "Python 3 (ipykernel)", "language_info": info["language_info"]}


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _cell(notebook: nbformat.NotebookNode, name: str) -> Any:
    return next(cell for cell in notebook.cells if cell.source == CELLS[name])


def test_notebook_of_a_real_session(session: tuple[Console, dict[str, Any]], tmp_path: Path) -> None:
    console, info = session
    path = tmp_path / "real.ipynb"
    write_notebook(console.transcript, path, **_kernel(info))
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.language_info.name == "python"

    streams = _cell(notebook, "streams").outputs
    stdout = "".join(o.text for o in streams if o.output_type == "stream" and o.name == "stdout")
    stderr = "".join(o.text for o in streams if o.output_type == "stream" and o.name == "stderr")
    assert stdout == "hello\n100%\n"
    assert "careful\n" in stderr

    errors = [o for o in _cell(notebook, "error").outputs if o.output_type == "error"]
    assert [(e.ename, e.evalue) for e in errors] == [("ZeroDivisionError", "division by zero")]
    assert any("\x1b[" in line for line in errors[0].traceback)
    assert "ZeroDivisionError" in _strip_ansi("\n".join(errors[0].traceback))
    assert _cell(notebook, "error").execution_count == 2

    (figure,) = [o for o in _cell(notebook, "plot").outputs if o.output_type == "display_data"]
    assert base64.b64decode(figure.data["image/png"]).startswith(b"\x89PNG\r\n\x1a\n")

    (frame,) = [o for o in _cell(notebook, "frame").outputs if o.output_type == "execute_result"]
    assert frame.execution_count == 4
    assert '<table border="1" class="dataframe">' in frame.data["text/html"]
    assert "alpha" in frame.data["text/plain"]

    (shown,) = _cell(notebook, "display").outputs
    assert shown.data["text/markdown"] == "**final** version"  # the update, not the first draft
    assert _cell(notebook, "update").outputs == []

    (foreign,) = [cell for cell in notebook.cells if cell.metadata.get("conch", {}).get("foreign")]
    assert foreign.source == FOREIGN
    assert [o.text for o in foreign.outputs if o.output_type == "stream"] == ["from another client\n"]

    # Reading the file back gives the outputs the transcript exported.
    made = transcript_to_notebook(console.transcript, **_kernel(info))
    assert [cell.outputs for cell in notebook.cells if cell.cell_type == "code"] == [
        cell.outputs for cell in made.cells if cell.cell_type == "code"
    ]


def test_html_page_of_a_real_session(session: tuple[Console, dict[str, Any]], tmp_path: Path) -> None:
    console, info = session
    path = tmp_path / "real.html"
    write_html(console.transcript, path, title="Real session", language_info=info["language_info"])
    page = path.read_text(encoding="utf-8")
    assert page == transcript_to_html(console.transcript, title="Real session", language_info=info["language_info"])

    figure = next(
        o for cell in console.transcript.cells() for o in cell.outputs if "image/png" in getattr(o, "data", {})
    )
    png = re.sub(r"\s+", "", figure.data["image/png"])
    assert f'src="data:image/png;base64,{png}"' in page
    assert '<table border="1" class="dataframe">' in page and "<th>alpha</th>" in page
    assert "<p><strong>final</strong> version</p>" in page and "<em>draft</em>" not in page
    assert '<pre class="stream stderr">' in page and "careful" in page
    assert "ZeroDivisionError" in page and "\x1b" not in page
    assert "from another client" in page and '<section class="cell foreign">' in page
    assert "<b>bold</b>" in page
    assert_inert(page)
