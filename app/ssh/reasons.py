"""Why an ssh connection failed or was lost, in words for people (Qt-free).

The facts come from ssh's stderr and from the questions it asked (a passphrase typed wrong three
times leaves only "Permission denied (publickey)" on stderr; the prompt history says the rest).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from conch.app.ssh.prompt_text import PromptInfo, PromptKind, PromptOutcome

MIN_ASKPASS_VERSION = (8, 4)
_VERSION = re.compile(r"OpenSSH_for_Windows_(\d+)\.(\d+)|OpenSSH_(\d+)\.(\d+)")
_QUOTED_LINES = 12
_CONFIG_TROUBLE = (
    "Bad configuration option", "Can't open user config file", "Unsupported option", "bad configuration options",
    "no argument after keyword", "garbage at end of line", "Missing argument",
)  # fmt: skip


@dataclass(frozen=True)
class AskedPrompt:
    """A question ssh asked during a connection attempt, and how it ended (never the answer)."""

    info: PromptInfo
    outcome: PromptOutcome
    accepted: bool | None = None


def parse_openssh_version(text: str) -> tuple[int, int] | None:
    """``(9, 2)`` from ``ssh -V``'s ``OpenSSH_9.2p1 Debian-2, OpenSSL 3.0.11 …``; None if not OpenSSH."""
    match = _VERSION.search(text)
    if not match:
        return None
    numbers = [group for group in match.groups() if group is not None]
    return int(numbers[0]), int(numbers[1])


def old_openssh_message(version: tuple[int, int] | None) -> str:
    """Why prompts cannot reach Conch with this ssh, and what to do instead."""
    which = f"OpenSSH {version[0]}.{version[1]}" if version else "This ssh client (not OpenSSH)"
    return (
        f"{which} cannot send its questions (passphrases, passwords, unknown host keys) to Conch: "
        "that needs OpenSSH 8.4 or newer (SSH_ASKPASS_REQUIRE). Conch connects without asking anything. "
        "Load your key into ssh-agent (ssh-add), connect once in a terminal to accept the host key, "
        "or upgrade OpenSSH."
    )


def describe_failure(
    destination: str, stderr: str, prompts: Sequence[AskedPrompt] = (), exit_code: int | None = None
) -> str:
    """Why connecting to ``destination`` failed."""
    lines = _lines(stderr)
    text = "\n".join(lines)
    if "REMOTE HOST IDENTIFICATION HAS CHANGED" in text:
        return _changed_host_key(destination, lines)
    if "Host key verification failed" in text:
        return _host_key_refused(destination, lines, prompts)
    resolve = _find(lines, "Could not resolve hostname")
    if resolve:
        return (
            f"Cannot find the host of {destination}: {_after_colon(resolve)}. Check the host name "
            f"(and your network or DNS).\nssh said: {resolve}"
        )
    refused = _find(lines, "Connection refused")
    if refused:
        return (
            f"{destination} refused the connection: no SSH server listens there (wrong port, or sshd "
            f"is not running).\nssh said: {refused}"
        )
    for words, meaning in (
        ("timed out", "the host did not answer (it is down, or a firewall drops the connection)"),
        ("No route to host", "there is no network route to the host"),
        ("Network is unreachable", "the network is unreachable"),
    ):
        found = _find(lines, words)
        if found:
            return f"Cannot reach {destination}: {meaning}.\nssh said: {found}"
    if _find(lines, "Too many authentication failures"):
        return (
            f"{destination} stopped the login after too many failed attempts: ssh offered too many keys. "
            "Set `IdentitiesOnly yes` and the right `IdentityFile` for this host in ~/.ssh/config."
        )
    denied = _find(lines, "Permission denied")
    if denied:
        return _permission_denied(destination, denied, prompts)
    config = _find(lines, *_CONFIG_TROUBLE)
    if config:
        return f"ssh cannot use its configuration for {destination}: {config}"
    socket = _find(lines, "ControlPath", "unix_listener", "Control socket")
    if socket:
        return f"ssh could not create its control socket for {destination}: {socket}"
    closed = _find(lines, "kex_exchange_identification", "Connection closed by", "Connection reset by peer")
    if closed:
        return (
            f"{destination} closed the connection before the login (not an SSH server? too many connections? "
            f"a firewall?).\nssh said: {closed}"
        )
    cancelled = [p for p in prompts if p.outcome is PromptOutcome.CANCELLED]
    if cancelled:
        what = cancelled[-1].info.title.lower()
        return f"You cancelled the {what} question, so Conch did not connect to {destination}."
    return _generic(f"ssh could not connect to {destination}", lines, exit_code)


def describe_loss(destination: str, stderr: str, exit_code: int | None = None, crashed: bool = False) -> str:
    """Why an established connection to ``destination`` ended."""
    lines = _lines(stderr)
    if crashed:
        return f"The connection to {destination} was lost: its ssh process was killed."
    not_responding = _find(lines, "not responding")
    if not_responding:
        return (
            f"The connection to {destination} was lost: the server stopped answering (network down?)."
            f"\nssh said: {not_responding}"
        )
    closed = _find(lines, "closed by remote host", "Connection closed by")
    if closed:
        return f"{destination} closed the connection (the server restarted or dropped it).\nssh said: {closed}"
    broken = _find(lines, "Broken pipe", "Connection reset", "Software caused connection abort")
    if broken:
        return f"The connection to {destination} broke (the network changed or failed).\nssh said: {broken}"
    return _generic(f"The connection to {destination} ended", lines, exit_code)


def describe_mux_failure(destination: str, what: str, stderr: str, exit_code: int | None = None) -> str:
    """Why a request through the master (a forward, a command) failed: ``what`` says which."""
    lines = _lines(stderr)
    if _find(lines, "Control socket connect", "No such file or directory", "Connection refused"):
        return f"Cannot {what}: the connection to {destination} is closed."
    forwarding = _find(lines, "forwarding request failed", "Port forwarding failed", "cannot listen")
    if forwarding:
        return (
            f"Cannot {what} on {destination}: the port is in use here, or the server refused forwarding."
            f"\nssh said: {forwarding}"
        )
    return _generic(f"Cannot {what} on {destination}", lines, exit_code)


def _changed_host_key(destination: str, lines: list[str]) -> str:
    quoted = [line for line in lines if not line.startswith("@") and "Host key verification failed" not in line]
    removal = next((line for line in lines if line.startswith("ssh-keygen ") and " -R " in line), "")
    if not removal:
        host = re.search(r"Host key for (\S+) has changed", "\n".join(lines))
        offending = re.search(r"Offending \S+ key in (.+?):\d+", "\n".join(lines))
        removal = "ssh-keygen -R " + (host.group(1) if host else "HOST")
        removal += f' -f "{offending.group(1)}"' if offending else ""
    body = "\n".join(f"  {line}" for line in quoted[: _QUOTED_LINES + 4])
    return (
        f"The host key of {destination} has CHANGED since you last connected, so Conch did not connect. "
        f"OpenSSH warns:\n{body}\n"
        f"If you know why it changed (e.g. the server was reinstalled), remove the old key with "
        f"`{removal}` and connect again to check the new fingerprint."
    )


def _host_key_refused(destination: str, lines: list[str], prompts: Sequence[AskedPrompt]) -> str:
    asked = [p for p in prompts if p.info.kind is PromptKind.HOST_KEY]
    if asked:
        first = asked[0].info
        key = f" ({first.key_type} key {first.fingerprint})" if first.fingerprint else ""
        how = "cancelled the question" if asked[-1].outcome is PromptOutcome.CANCELLED else "did not accept it"
        if asked[-1].outcome is PromptOutcome.EXPIRED:
            how = "did not answer the question in time"
        return f"The host key of {destination}{key} is not known and you {how}, so Conch did not connect."
    unknown = _find(lines, "host key is known")
    if unknown:
        return (
            f"The host key of {destination} is not known and ssh is set not to ask (StrictHostKeyChecking yes). "
            "Connect once in a terminal to check and accept it, or set `StrictHostKeyChecking ask`."
            f"\nssh said: {unknown}"
        )
    return _generic(f"Host key verification failed for {destination}", lines, None)


def _permission_denied(destination: str, denied: str, prompts: Sequence[AskedPrompt]) -> str:
    said = f"\nssh said: {denied}"
    passphrases = [p for p in prompts if p.info.kind is PromptKind.PASSPHRASE]
    if passphrases:
        key = passphrases[-1].info.key_path
        wrong = [p for p in passphrases if p.outcome is PromptOutcome.ANSWERED and p.info.key_path == key]
        if passphrases[-1].outcome is not PromptOutcome.ANSWERED:
            return f"You cancelled the passphrase for key {key}, so {destination} refused the login.{said}"
        times = "once" if len(wrong) == 1 else f"{len(wrong)} times"
        return f"Permission denied by {destination}: the passphrase for key {key} was wrong ({times}).{said}"
    secrets = [p for p in prompts if p.info.kind in (PromptKind.PASSWORD, PromptKind.ONE_TIME_CODE, PromptKind.PIN)]
    if secrets:
        last = secrets[-1]
        if last.outcome is not PromptOutcome.ANSWERED:
            return f"You cancelled the {last.info.title.lower()}, so {destination} refused the login.{said}"
        return f"Permission denied by {destination}: the {last.info.title.lower()} was not accepted.{said}"
    methods = re.search(r"Permission denied \(([^)]*)\)", denied)
    offered = f" (it accepts: {methods.group(1)})" if methods else ""
    return (
        f"Permission denied by {destination}{offered}: none of your keys was accepted. Check the user name, that "
        f"your public key is in ~/.ssh/authorized_keys there, or load the key into ssh-agent (ssh-add).{said}"
    )


def _lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.replace("\r", "").splitlines() if line.strip()]


def _find(lines: list[str], *needles: str) -> str:
    """The first line containing any of ``needles``, or ""."""
    for line in lines:
        if any(needle in line for needle in needles):
            return line
    return ""


def _after_colon(line: str) -> str:
    return line.rsplit(":", 1)[-1].strip() or line


def _generic(head: str, lines: list[str], exit_code: int | None) -> str:
    if not lines:
        code = f" (exit code {exit_code})" if exit_code is not None else ""
        return f"{head}; ssh said nothing{code}."
    shown = "\n".join(f"  {line}" for line in lines[-_QUOTED_LINES:])
    return f"{head}. ssh said:\n{shown}"
