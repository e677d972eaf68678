"""execute_reply payloads (no Qt): known ones in order, and anything malformed skipped, never raised."""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from conch.app.model.payloads import ExitRequest, NextInput, Page, bundle_text, parse_payloads


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
    assert parse_payloads({"status": "ok", "payload": None}) == []
    (page,) = parse_payloads({"payload": [{"source": "page", "text": "help"}]})
    assert isinstance(page, Page) and page.text == "help"


def test_page_text_and_html_come_from_strings_or_lists_of_strings() -> None:
    (page,) = parse_payloads({"payload": [{"source": "page", "data": {"text/plain": ["a", "b"], "text/html": "<b>x</b>"}}]})
    assert isinstance(page, Page) and page.text == "ab" and page.html == "<b>x</b>"
    assert bundle_text(["a", 1]) == "" and bundle_text(None) == "" and bundle_text(b"bytes") == ""


class Exploding(Mapping[str, Any]):
    """A mapping whose every read raises (no JSON makes one; a careless caller might)."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("boom")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        return 1


class ExplodingList(list[Any]):
    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError("boom")


GOOD = {"source": "set_next_input", "text": "ok"}

BAD_CONTENT: list[object] = [
    None, "str", 42, 3.5, True, b"bytes", ["payload"], Exploding(),
    {"payload": "str"}, {"payload": 7}, {"payload": {"source": "page", "data": {"text/plain": "x"}}},
    {"payload": b"bytes"}, {"payload": ExplodingList([GOOD])},
]

BAD_ITEMS: list[object] = [
    None, "page", 1, [], ["source", "page"], Exploding(),
    {},  # no source
    {"source": None}, {"source": 5}, {"source": ["page"]}, {"source": "page" * 10_000},
    # pages
    {"source": "page", "data": "str"},
    {"source": "page", "data": 5},
    {"source": "page", "data": None},
    {"source": "page", "data": ["text/plain", "x"]},
    {"source": "page", "data": {}},
    {"source": "page", "data": {"text/plain": 5}},
    {"source": "page", "data": {"text/plain": None, "text/html": ["<b>", 3]}},
    {"source": "page", "data": {1: "x", None: "y"}},
    {"source": "page", "data": Exploding()},
    {"source": "page", "text": 5},
    {"source": "page", "text": None, "data": "str"},
    # next input
    {"source": "set_next_input"} | {"text": None},
    {"source": "set_next_input", "text": 5},
    {"source": "set_next_input", "text": ["x = 1"]},
    {"source": "set_next_input", "text": {"a": 1}},
    {"source": "set_next_input", "text": b"x = 1"},
]


@pytest.mark.parametrize("content", BAD_CONTENT, ids=lambda c: type(c).__name__)
def test_malformed_reply_content_gives_no_payloads(content: object, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "conch.app.model.payloads")
    assert parse_payloads(content) == []
    if content is not None:
        assert caplog.records, "skipped without a log line"


@pytest.mark.parametrize("item", BAD_ITEMS, ids=range(len(BAD_ITEMS)))
def test_a_malformed_payload_is_skipped_with_a_log_line_and_the_others_kept(
    item: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "conch.app.model.payloads")
    result = parse_payloads({"payload": [GOOD, item, {"source": "ask_exit", "keepkernel": True}]})
    assert result == [NextInput("ok"), ExitRequest(keep_kernel=True)]
    assert caplog.records, "skipped without a log line"
    assert all(len(record.getMessage()) < 1000 for record in caplog.records), "a log line quotes a huge value"


@pytest.mark.parametrize(
    ("start", "expected"),
    [(7, 7), (-3, 0), ("12", 0), (None, 0), (1.5, 0), (True, 0), (10**400, 10**400), ([1], 0)],
)
def test_page_start_is_a_non_negative_int_or_the_top(start: object, expected: int) -> None:
    (page,) = parse_payloads({"payload": [{"source": "page", "data": {"text/plain": "help"}, "start": start}]})
    assert isinstance(page, Page) and page.start == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (1, True), (0, False), ("yes", False), (None, False), ([], False)]
)
def test_flags_of_the_wrong_type_are_false(value: object, expected: bool) -> None:
    next_input, exit_request = parse_payloads({"payload": [
        {"source": "set_next_input", "text": "x", "replace": value},
        {"source": "ask_exit", "keepkernel": value},
    ]})
    assert next_input == NextInput("x", replace=expected)
    assert exit_request == ExitRequest(keep_kernel=expected)


def test_huge_values_pass_through_without_copies_and_never_into_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "conch.app.model.payloads")
    text = "x = 1\n" * 1_000_000
    plain = "y" * 5_000_000
    next_input, page = parse_payloads({"payload": [
        {"source": "set_next_input", "text": text},
        {"source": "page", "data": {"text/plain": plain}, "start": 0},
        {"source": "mystery" * 1_000_000},
    ]})
    assert isinstance(next_input, NextInput) and next_input.text is text
    assert isinstance(page, Page) and page.text is plain
    assert caplog.records and all(len(record.getMessage()) < 1000 for record in caplog.records)


def test_many_payloads() -> None:
    items = [{"source": "page", "data": "str"}] * 10_000 + [GOOD]
    assert parse_payloads({"payload": items}) == [NextInput("ok")]
