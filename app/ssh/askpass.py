"""The askpass helper: ssh runs it (``SSH_ASKPASS``) to ask the person at Conch for an answer.

``ssh`` calls ``HELPER "<prompt>"`` and reads one line from its stdout. The helper passes the
prompt to Conch's :class:`~conch.app.ssh.prompts.PromptServer` over the local socket named in
``CONCH_ASKPASS_SOCKET``, with the tag from ``CONCH_ASKPASS_TAG`` (which connection asks), waits
for the answer, prints it and exits 0; it exits 1 when the prompt was cancelled or Conch is gone.

Wire format, one JSON object per line each way (UTF-8)::

    helper → Conch  {"tag": "...", "prompt": "...", "hint": "<SSH_ASKPASS_PROMPT or ''>"}
    Conch → helper  {"answer": "..."}   or   {"cancel": true}

Plain Python (stdlib only, no Qt, no Conch import): it is started by file path with ``python -I``.
"""
from __future__ import annotations

import json
import os
import socket
import sys

SOCKET_ENV = "CONCH_ASKPASS_SOCKET"
TAG_ENV = "CONCH_ASKPASS_TAG"
MAX_ANSWER_BYTES = 64 * 1024


def ask(prompt: str, socket_path: str, tag: str, hint: str = "") -> str | None:
    """The answer Conch gives to ``prompt``, or None when it was cancelled (or Conch is gone)."""
    request = json.dumps({"tag": tag, "prompt": prompt, "hint": hint}).encode("utf-8") + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(socket_path)
        connection.sendall(request)
        received = b""
        while b"\n" not in received and len(received) <= MAX_ANSWER_BYTES:
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
    line = received.split(b"\n", 1)[0]
    try:
        reply = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    answer = reply.get("answer") if isinstance(reply, dict) else None
    return answer if isinstance(answer, str) else None


def main(argv: list[str]) -> int:
    prompt = argv[1] if len(argv) > 1 else ""
    socket_path = os.environ.get(SOCKET_ENV, "")
    if not socket_path:
        print(f"conch askpass: {SOCKET_ENV} is not set (this helper only runs under Conch)", file=sys.stderr)
        return 1
    try:
        answer = ask(prompt, socket_path, os.environ.get(TAG_ENV, ""), os.environ.get("SSH_ASKPASS_PROMPT", ""))
    except OSError as error:
        print(f"conch askpass: cannot reach Conch at {socket_path}: {error}", file=sys.stderr)
        return 1
    if answer is None:
        return 1
    sys.stdout.write(answer.replace("\n", " ") + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
