"""execute_reply payloads (no Qt)."""
from __future__ import annotations

from conch.app.model.payloads import ExitRequest, NextInput, Page, parse_payloads


def test_known_payloads_in_order_and_unknown_ones_skipped() -> None:
    content = {"payload": [
        {"source": "page", "data": {"text/plain": "\x1b[31mSignature:\x1b[39m print()"}, "start": 0},
        {"source": "edit_magic", "filename": "x.py"},
        {"source": "set_next_input", "text": "# %load x.py\nprint(1)\n", "replace": True},
        {"source": "ask_exit", "keepkernel": False},
    ]}
    page, next_input, exit_request = parse_payloads(content)
    assert isinstance(page, Page) and page.text.endswith("print()") and page.start == 0
    assert next_input == NextInput("# %load x.py\nprint(1)\n", replace=True)
    assert exit_request == ExitRequest(keep_kernel=False)


def test_no_payload_and_old_style_page() -> None:
    assert parse_payloads({"status": "ok"}) == []
    (page,) = parse_payloads({"payload": [{"source": "page", "text": "help"}]})
    assert isinstance(page, Page) and page.text == "help"
