"""The POSIX sh scripts Conch runs on an SSH host for Jupyter, and readers of what they print (Qt-free).

Scripts go through stdin (``/bin/sh -s``), so nothing in them shows on a command line there and
any login shell (bash, zsh, fish, csh) will do. Secrets (a server's token) travel only inside them.
Lines Conch reads start with ``CONCH-``; anything else is the programs' own output.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping

NO_JUPYTER = "CONCH-NO-JUPYTER"
NO_JUPYTER_EXIT = 127
KERNEL_FILE_LIMIT = 64 * 1024
KERNEL_FILES_MAX = 100
SERVER_DIR_PATTERN = re.compile(r"^/[^\n]*/conch-jupyter-[A-Za-z0-9]{8}$")
PORT_KEYS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
_LOCAL_HOSTS = {"", "localhost", "0.0.0.0", "*", "::", "[::]", "127.0.0.1"}

# Places a non-login shell's PATH often misses (pip --user, conda installers).
_FALLBACK_DIRS = (
    '"$HOME/.local/bin"', '"$HOME/miniconda3/bin"', '"$HOME/anaconda3/bin"', '"$HOME/miniforge3/bin"',
    '"$HOME/mambaforge/bin"', "/opt/conda/bin", "/usr/local/bin",
)  # fmt: skip


def preamble(jupyter_command: str | None, environment: Mapping[str, str] | None = None) -> str:
    """Exports ``environment`` and sets ``$J`` to the jupyter program, or exits 127 saying NO_JUPYTER."""
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in (environment or {}).items()
                      if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name))  # fmt: skip
    if jupyter_command:
        find = f"J={shlex.quote(jupyter_command)}\ncommand -v \"$J\" >/dev/null 2>&1 || J=\n"
    else:
        find = "J=$(command -v jupyter 2>/dev/null)\n" + "".join(
            f'[ -z "$J" ] && [ -x {folder}/jupyter ] && J={folder}/jupyter\n' for folder in _FALLBACK_DIRS
        )
    return exports + find + f'[ -n "$J" ] || {{ echo {NO_JUPYTER} >&2; exit {NO_JUPYTER_EXIT}; }}\n'


def list_servers_script(jupyter_command: str | None, environment: Mapping[str, str] | None = None) -> str:
    return preamble(jupyter_command, environment) + '"$J" server list --json\n'


def start_server_script(
    jupyter_command: str | None, environment: Mapping[str, str] | None, config: Mapping[str, Any], wait_s: int
) -> str:
    """Start ``jupyter server`` detached, on a unix socket in a fresh 0700 folder, with ``config``
    (token included) in a 0600 file. Prints ``CONCH-STARTED PID DIR`` then ``CONCH-READY`` (and
    ``CONCH-NO-IPYKERNEL PYTHON`` when the Python running jupyter lacks ipykernel), or
    ``CONCH-DIED``/``CONCH-TIMEOUT`` and the end of the server's log."""
    text = json.dumps(config, indent=1)
    if "CONCH_END_OF_CONFIG" in text:
        raise ValueError("the server configuration cannot contain CONCH_END_OF_CONFIG")
    return preamble(jupyter_command, environment) + f"""umask 077
d=$(mktemp -d "${{TMPDIR:-/tmp}}/conch-jupyter-XXXXXXXX") || exit 70
cat > "$d/jupyter_server_config.json" <<'CONCH_END_OF_CONFIG'
{text}
CONCH_END_OF_CONFIG
extra=
[ "$(id -u)" = 0 ] && extra=--ServerApp.allow_root=True
cd "$HOME" 2>/dev/null || cd /
if command -v setsid >/dev/null 2>&1; then detach=setsid; else detach=; fi
$detach nohup "$J" server --config="$d/jupyter_server_config.json" --ServerApp.sock="$d/jupyter.sock" $extra \\
  > "$d/server.log" 2>&1 < /dev/null &
pid=$!
echo "CONCH-STARTED $pid $d"
py=$(sed -n '1s/^#![[:space:]]*//p' "$(command -v "$J")" 2>/dev/null)
case "$py" in *python*) $py -c 'import ipykernel' >/dev/null 2>&1 || echo "CONCH-NO-IPYKERNEL $py";; esac
i=0
while [ $i -lt {wait_s * 10} ]; do
  if [ -S "$d/jupyter.sock" ]; then echo CONCH-READY; exit 0; fi
  kill -0 $pid 2>/dev/null || {{ echo CONCH-DIED; tail -c 3000 "$d/server.log"; rm -rf -- "$d"; exit 1; }}
  sleep 0.1 2>/dev/null || sleep 1
  i=$((i+1))
done
echo CONCH-TIMEOUT; tail -c 3000 "$d/server.log"; kill $pid 2>/dev/null; rm -rf -- "$d"; exit 1
"""


def stop_server_script(pid: int, folder: str) -> str:
    """SIGTERM the server (it shuts its kernels down), SIGKILL after 10 s, then remove its folder.
    The pid is only signalled while its command line still names the folder (pids get reused)."""
    if not SERVER_DIR_PATTERN.match(folder) or pid <= 1:
        raise ValueError(f"not a server Conch started: pid {pid}, folder {folder!r}")
    return f"""pid={pid}
d={shlex.quote(folder)}
ours() {{ ps -o args= -p "$pid" 2>/dev/null | grep -F -- "$d" >/dev/null; }}
if ours; then
  kill -TERM "$pid" 2>/dev/null
  i=0
  while ours && [ $i -lt 100 ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done
  ours && kill -KILL "$pid" 2>/dev/null
fi
rm -rf -- "$d"
echo CONCH-STOPPED
"""


def kernel_files_script(jupyter_command: str | None, environment: Mapping[str, str] | None = None) -> str:
    """The runtime folder's ``kernel-*.json`` files, newest first: ``CONCH-DIR path``, then per file
    ``CONCH-FILE name`` and its first KERNEL_FILE_LIMIT+1 bytes as hex (``od``: POSIX everywhere).
    Only regular files are read (a FIFO is never opened)."""
    return preamble(jupyter_command, environment) + f"""d=$("$J" --runtime-dir) || exit 1
echo "CONCH-DIR $d"
cd "$d" 2>/dev/null || exit 0
n=0
ls -t 2>/dev/null | while IFS= read -r f; do
  case "$f" in kernel-*.json) ;; *) continue;; esac
  [ -f "$f" ] || continue
  n=$((n+1)); [ $n -gt {KERNEL_FILES_MAX} ] && break
  echo "CONCH-FILE $f"
  head -c {KERNEL_FILE_LIMIT + 1} -- "$f" | od -An -v -tx1
done
"""


@dataclass(frozen=True)
class RemoteServerInfo:
    """One line of ``jupyter server list --json`` on the remote machine."""

    url: str
    token: str
    port: int
    sock: str
    root_dir: str
    pid: int
    base_url: str
    version: str
    secure: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def target(self) -> str:
        """What to forward to, as seen from the remote machine: its unix socket or ``host:port``."""
        if self.sock:
            return self.sock
        host = re.sub(r"^\w+://", "", self.url).split("/", 1)[0].rsplit(":", 1)[0] if self.url else ""
        host = "127.0.0.1" if host.lower() in _LOCAL_HOSTS else host
        return f"{host}:{self.port}"


def parse_server_list(output: str) -> list[RemoteServerInfo]:
    servers = []
    for line in output.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        try:
            servers.append(RemoteServerInfo(
                url=str(data.get("url") or ""), token=str(data.get("token") or ""),
                port=int(data.get("port") or 0), sock=str(data.get("sock") or ""),
                root_dir=str(data.get("root_dir") or data.get("notebook_dir") or ""),
                pid=int(data.get("pid") or 0), base_url=str(data.get("base_url") or "/"),
                version=str(data.get("version") or ""), secure=bool(data.get("secure")), raw=data,
            ))  # fmt: skip
        except (TypeError, ValueError):
            continue
    return [server for server in servers if server.sock or server.port]


@dataclass(frozen=True)
class RemoteKernelFile:
    """A kernel connection file on the remote machine."""

    path: str
    connection_info: Mapping[str, Any] | None
    problem: str = ""
    """Why it cannot be used ("" when ``connection_info`` is set)."""


def parse_kernel_files(output: str) -> tuple[str, list[RemoteKernelFile]]:
    """``(runtime folder, files)`` from :func:`kernel_files_script`'s output."""
    folder, files, name, hex_lines = "", [], "", []  # type: ignore[var-annotated]

    def flush() -> None:
        if name:
            data = bytes.fromhex("".join("".join(hex_lines).split()))
            files.append(_kernel_file(f"{folder.rstrip('/')}/{name}", data))

    for line in output.splitlines():
        if line.startswith("CONCH-DIR "):
            folder = line[len("CONCH-DIR ") :]
        elif line.startswith("CONCH-FILE "):
            flush()
            name, hex_lines = line[len("CONCH-FILE ") :], []
        elif name:
            hex_lines.append(line)
    flush()
    return folder, files


def check_connection_info(info: object) -> str:
    """Why ``info`` is not a usable kernel connection, or "" (the checks of the local reader)."""
    if not isinstance(info, dict):
        return "it is not a JSON object"
    missing = [key for key in ("ip", "key", *PORT_KEYS) if key not in info]
    if missing:
        return f"it lacks {', '.join(missing)}"
    if any(type(info[key]) is not int or not 0 < info[key] < 65536 for key in PORT_KEYS):
        return "it has invalid ports"
    if info.get("transport", "tcp") != "tcp":
        return f"its transport is {info.get('transport')!r}: only tcp kernels can be forwarded"
    if not isinstance(info["ip"], str) or not isinstance(info["key"], str) or not info["key"].isascii():
        return "its ip or key is invalid"
    scheme = info.get("signature_scheme") or "hmac-sha256"
    if not isinstance(scheme, str) or not scheme.startswith("hmac-"):
        return f"its signature_scheme {scheme!r} is unknown"
    return ""


def remote_ip(info: Mapping[str, Any]) -> str:
    """Where the kernel listens, as reachable on its own machine."""
    ip = str(info.get("ip") or "")
    return "127.0.0.1" if ip.lower() in _LOCAL_HOSTS else ip


def _kernel_file(path: str, data: bytes) -> RemoteKernelFile:
    if len(data) > KERNEL_FILE_LIMIT:
        return RemoteKernelFile(path, None, f"{path} is bigger than {KERNEL_FILE_LIMIT // 1024} KiB")
    try:
        info = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return RemoteKernelFile(path, None, f"{path} is not JSON")
    problem = check_connection_info(info)
    if problem:
        return RemoteKernelFile(path, None, f"{path} cannot be used: {problem}")
    return RemoteKernelFile(path, info)
