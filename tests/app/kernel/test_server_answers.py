"""Reading Jupyter REST answers and wording errors, without a network."""
from __future__ import annotations

import json

import pytest

from conch.app.kernel.server_answers import (
    HttpAnswer,
    KernelSpecInfo,
    RemoteKernel,
    ServerAnswers,
    ServerApiFailure,
    ServerErrorKind,
)
from conch.app.kernel.server_url import parse_server_url

TOKEN = "s3cret-token-value"
ANSWERS = ServerAnswers(parse_server_url("https://hub.example.org/user/ada/", TOKEN, environ={}))


def json_answer(content: object, status: int = 200) -> HttpAnswer:
    return HttpAnswer(status, json.dumps(content).encode(), "application/json")


def failure_of(read: object, answer: HttpAnswer) -> ServerErrorKind:
    with pytest.raises(ServerApiFailure) as caught:
        read(answer)  # type: ignore[operator]
    assert TOKEN not in caught.value.error.message
    return caught.value.error.kind


def test_kernelspecs() -> None:
    content = {
        "default": "python3",
        "kernelspecs": {
            "python3": {"name": "python3", "spec": {"display_name": "Python 3", "language": "python"}},
            "odd": "not a dict",
        },
    }
    specs = ANSWERS.kernelspecs(json_answer(content))
    assert specs.default == "python3"
    assert specs.specs["python3"] == KernelSpecInfo("python3", "Python 3", "python")
    assert specs.specs["odd"] == KernelSpecInfo("odd", "odd", "")
    assert failure_of(ANSWERS.kernelspecs, json_answer({"kernelspecs": []})) is ServerErrorKind.NOT_JUPYTER
    assert failure_of(ANSWERS.kernelspecs, json_answer({}, 404)) is ServerErrorKind.NO_API
    assert failure_of(ANSWERS.kernelspecs, json_answer({}, 500)) is ServerErrorKind.HTTP


def test_kernel_models() -> None:
    content = {"id": "k1", "name": "python3", "execution_state": "idle", "last_activity": "2026-01-01T00:00:00Z",
               "connections": 2}  # fmt: skip
    assert ANSWERS.kernel("k1")(json_answer(content)) == RemoteKernel(
        "k1", "python3", "idle", "2026-01-01T00:00:00Z", 2
    )
    assert ANSWERS.kernel_model({"id": "k2"}) == RemoteKernel("k2", "", "unknown", None, 0)
    assert failure_of(ANSWERS.kernel_model, {"name": "no id"}) is ServerErrorKind.NOT_JUPYTER  # type: ignore[arg-type]
    assert ANSWERS.kernel_list(json_answer([content, {"id": "k2"}]))[1].id == "k2"  # type: ignore[index]
    assert ANSWERS.kernel_list(json_answer({}, 403)) is None
    assert failure_of(ANSWERS.kernel_list, json_answer({"not": "a list"})) is ServerErrorKind.NOT_JUPYTER


@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        (b"<html><body>hi</body></html>", "text/html; charset=utf-8", "HTML page"),
        (b"  <!DOCTYPE html>", "application/octet-stream", "HTML page"),
        (b"plain words", "text/plain", "not JSON"),
    ],
)
def test_what_is_not_json_is_not_jupyter(body: bytes, content_type: str, why: str) -> None:
    with pytest.raises(ServerApiFailure) as caught:
        ANSWERS.json(HttpAnswer(200, body, content_type))
    assert caught.value.error.kind is ServerErrorKind.NOT_JUPYTER and why in caught.value.error.message


def test_http_errors_quote_the_server_but_never_the_token() -> None:
    answer = json_answer({"message": f"bad request for token {TOKEN}", "reason": None}, 400)
    error = ANSWERS.http(answer, "could not start a 'x' kernel")
    assert error.message == "hub.example.org/user/ada could not start a 'x' kernel (HTTP 400): bad request for token …"
    traceback = json_answer({"traceback": "Traceback ...\nNoSuchKernel: No such kernel named x\n"}, 500)
    assert ANSWERS.http(traceback, "failed").message.endswith("(HTTP 500): NoSuchKernel: No such kernel named x")


def test_token_messages() -> None:
    assert "refused the token" in ANSWERS.token_refused(403).message
    tokenless = ServerAnswers(parse_server_url("localhost:8888", environ={}))
    assert "needs a token" in tokenless.token_refused(401).message
