"""`conch --server`: a real subprocess each time, against a real Jupyter Server on 127.0.0.1."""
from __future__ import annotations

import os

from tests.remote_servers import RunningServer, jupyter_server  # noqa: F401

from ..test_cli import conch


def offscreen() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("JUPYTER_TOKEN", None)
    return env


def milestones(stderr: str) -> list[str]:
    return [line.split()[1] for line in stderr.splitlines() if line.startswith("conch-startup")]


def test_server_starts_a_kernel_there_reaches_the_prompt_and_deletes_it(jupyter_server: RunningServer) -> None:
    before = set(jupyter_server.kernel_ids())
    result = conch("--server", jupyter_server.url, "--token", jupyter_server.token, "--startup-times",
                   "--quit-when-ready", env=offscreen(), timeout=90)
    assert result.returncode == 0, result.stderr
    assert milestones(result.stderr) == ["window-shown", "prompt-ready"]
    assert set(jupyter_server.kernel_ids()) == before  # the kernel it started is gone again


def test_the_token_may_come_from_the_url_or_the_environment(jupyter_server: RunningServer) -> None:
    url = f"{jupyter_server.url}?token={jupyter_server.token}"
    result = conch("--server", url, "--startup-times", "--quit-when-ready", env=offscreen(), timeout=90)
    assert milestones(result.stderr) == ["window-shown", "prompt-ready"], result.stderr
    env = dict(offscreen(), JUPYTER_TOKEN=jupyter_server.token)
    result = conch("--server", jupyter_server.url, "--startup-times", "--quit-when-ready", env=env, timeout=90)
    assert milestones(result.stderr) == ["window-shown", "prompt-ready"], result.stderr


def test_existing_attaches_to_a_kernel_id_and_leaves_it_running(jupyter_server: RunningServer) -> None:
    kernel_id = jupyter_server.start_kernel()
    try:
        result = conch("--server", jupyter_server.url, "--token", jupyter_server.token, "--existing", kernel_id,
                       "--startup-times", "--quit-when-ready", env=offscreen(), timeout=90)
        assert milestones(result.stderr) == ["window-shown", "prompt-ready"], result.stderr
        assert kernel_id in jupyter_server.kernel_ids()
    finally:
        jupyter_server.rest("DELETE", f"/api/kernels/{kernel_id}")


def test_bad_server_arguments_exit_2_with_the_reason() -> None:
    result = conch("--server", "ftp://example.org/", env=offscreen())
    assert result.returncode == 2 and "ftp" in result.stderr
    result = conch("--server", "http://127.0.0.1:1/", "--existing", env=offscreen())
    assert result.returncode == 2 and "kernel id" in result.stderr
    result = conch("--server", "http://127.0.0.1:1/", "--ca-file", "/no/such.pem", env=offscreen())
    assert result.returncode == 2 and "/no/such.pem" in result.stderr


def test_a_wrong_token_fails_the_tab_with_the_reason_and_never_prints_it(jupyter_server: RunningServer) -> None:
    result = conch("--server", jupyter_server.url, "--token", "wrong-token-789", "--startup-times",
                   "--quit-when-ready", env=offscreen(), timeout=90)
    assert milestones(result.stderr) == ["window-shown", "kernel-failed"], result.stderr
    assert "wrong-token-789" not in result.stderr + result.stdout
