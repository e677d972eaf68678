"""The ``conch`` command: parse arguments, check the kernel and display, open the window."""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from conch import __version__
from conch.app.desktop_integration import APP_ID
from conch.app.quit_signals import SignalPipe, TwoStageQuit

if TYPE_CHECKING:
    from pathlib import Path

    from conch.app.kernel.server_url import ServerAddress
    from conch.app.main_window import MainWindow
    from conch.widgets.console import ConsoleWidget

EXIT_USAGE = 2
EXIT_NO_DISPLAY = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conch",
        description="Conch: a fast desktop rich console for Jupyter kernels.",
    )
    parser.add_argument("--version", action="version", version=f"conch {__version__}")
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a kernel's connection file to open a tab on (as --existing FILE; what the desktop "
        "passes when a file is dropped on Conch's launcher)",
    )
    parser.add_argument(
        "--kernel",
        metavar="NAME",
        default=None,
        help="kernelspec to launch in the first tab (default: the default_kernel setting, python3 "
        "unless changed in Edit ▸ Preferences); "
        "`jupyter kernelspec list` shows the installed ones",
    )
    parser.add_argument(
        "--existing",
        nargs="?",
        const="",
        metavar="FILE",
        help="connect to a kernel that is already running, through its connection file (a path, or a "
        "name in Jupyter's runtime folder such as kernel-1234.json); without FILE, the newest one there",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        help="start the kernel on a Jupyter Server, JupyterHub user server or Kernel Gateway at URL "
        "(e.g. http://host:8888/?token=… or https://hub.example.org/user/ada/); with --existing ID, "
        "attach to the kernel with that id there",
    )
    parser.add_argument(
        "--token",
        metavar="TOKEN",
        help="the server's token (else the URL's ?token=, else $JUPYTER_TOKEN, else you are asked)",
    )
    parser.add_argument(
        "--ssh",
        metavar="HOST",
        help="run the kernel on HOST (as in ~/.ssh/config, or user@host) over the system ssh: on a Jupyter "
        "server running there, or one Conch starts; with --existing FILE_OR_ID, attach to a kernel there",
    )
    parser.add_argument(
        "--ssh-option",
        action="append",
        default=[],
        metavar="OPT",
        help="an option for ssh, e.g. --ssh-option=-F --ssh-option=~/.ssh/lab_config (repeatable)",
    )
    parser.add_argument(
        "--ca-file",
        metavar="PEM",
        help="certificates to trust for an https server besides the system's (a self-signed one)",
    )
    parser.add_argument(
        "--new-window",
        action="store_true",
        help="start a new Conch window even if Conch is running (else the running one opens the tab)",
    )
    parser.add_argument("--connect-server", action="store_true", help="open File ▸ Connect to Server… at once")
    parser.add_argument("--connect-ssh", action="store_true", help="open File ▸ Connect over SSH… at once")
    parser.add_argument(
        "--execute",
        metavar="CODE",
        help="run CODE in the first tab once its kernel is ready and print what it shows to stdout "
        "(with --quit-when-ready, quit after it; the exit code is 1 if it raised)",
    )
    parser.add_argument(
        "--install-desktop",
        action="store_true",
        help="put Conch in the desktop's application menu (entry, icons, AppStream metainfo in "
        "$XDG_DATA_HOME) and exit",
    )
    parser.add_argument(
        "--uninstall-desktop", action="store_true", help="remove what --install-desktop put there and exit",
    )
    parser.add_argument(
        "--startup-times",
        action="store_true",
        help="print startup milestones (window shown, prompt ready) as wall-clock times to stderr",
    )
    parser.add_argument(
        "--quit-when-ready",
        action="store_true",
        help="quit as soon as the first kernel's prompt is ready (for measuring startup)",
    )
    return parser


def kernel_problem(name: str) -> str | None:
    """None if kernelspec ``name`` exists and its ``kernel.json`` can be used, else a message
    naming the problem: the file and what is wrong with it, or the installed kernels (and the
    broken ones) when there is no such kernel. Never raises, never blocks on the file."""
    from conch.app.kernel.launcher import KernelLaunchError, KernelSpecNotFound, load_kernelspec

    try:
        load_kernelspec(name)
    except (KernelSpecNotFound, KernelLaunchError) as error:
        return str(error)
    return None


def display_problem() -> str | None:
    """A hint when Qt would abort for lack of a usable display (Linux): none at all, or an X11
    setup its xcb plugin cannot use (missing system libraries, no X server). Imports no Qt."""
    if not sys.platform.startswith("linux"):
        return None
    if not any(os.environ.get(name) for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")):
        return (
            "conch: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "Run it inside a desktop session, under a virtual X server (xvfb-run conch), "
            "or headless with QT_QPA_PLATFORM=offscreen."
        )
    from conch.app.display_check import xcb_problem

    return xcb_problem(os.environ)


def server_target(args: argparse.Namespace) -> tuple["ServerAddress | None", str | None]:
    """The server ``--server`` names, with its token (asked for on the terminal when there is
    none and one is there to ask), or a problem to report."""
    from conch.app.kernel.server_url import parse_server_url

    try:
        address = parse_server_url(args.server, token=args.token)
    except ValueError as error:
        return None, str(error)
    if args.existing == "":
        return None, "--existing with --server needs a kernel id (File ▸ Connect to Server… lists them)"
    if args.ca_file is not None and not os.path.isfile(args.ca_file):
        return None, f"--ca-file {args.ca_file}: no such file"
    if address.token is None and sys.stdin is not None and sys.stdin.isatty():
        import getpass

        typed = getpass.getpass(f"Token for {address.display_name} (Enter for none): ")
        address = address.with_token(typed.strip() or None)
    return address, None


def existing_connection_file(name: str) -> tuple["Path | None", str | None]:
    """The connection file ``--existing`` names (the newest one for ""), or a problem to report."""
    from conch.app.kernel.connection_files import (
        ConnectionFileError,
        newest_connection_file,
        read_connection_file,
        resolve_connection_file,
    )

    try:
        path = newest_connection_file() if not name else resolve_connection_file(name)
        read_connection_file(path)
    except ConnectionFileError as error:
        return None, str(error)
    return path, None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # From here on SIGINT, SIGTERM and SIGHUP only write a byte that the Qt loop reads (see
    # quit_signals): never a KeyboardInterrupt in the middle of Qt, never a kernel left behind.
    signals = SignalPipe()
    signals.install()
    try:
        return _run(args, signals)
    finally:
        signals.uninstall()


def _run(args: argparse.Namespace, signals: SignalPipe) -> int:
    from conch.app.settings import Settings, settings_path

    if args.install_desktop or args.uninstall_desktop:
        from conch.app import desktop_integration

        return desktop_integration.main("install" if args.install_desktop else "uninstall")
    if args.file is not None:
        if args.existing is not None:
            print("conch: give the connection file either as FILE or with --existing, not both", file=sys.stderr)
            return EXIT_USAGE
        args.existing = args.file

    settings = Settings.load()
    kernel_from_settings = args.kernel is None
    if kernel_from_settings:
        args.kernel = settings.default_kernel
    existing = None
    server = None
    if args.server is not None:
        server, problem = server_target(args)
    elif args.ssh is not None:
        problem = "--existing with --ssh needs a kernel id or connection file name" if args.existing == "" else None
    elif args.existing is not None:
        existing, problem = existing_connection_file(args.existing)
    else:
        problem = kernel_problem(args.kernel)
        if problem is not None and kernel_from_settings:
            problem += f" (the \"default_kernel\" setting in {settings_path()} names it; --kernel picks another)"
    if problem is not None:
        print(f"conch: {problem}", file=sys.stderr)
        return EXIT_USAGE
    alone = args.new_window or args.quit_when_ready or args.execute is not None
    if not alone:
        from conch.app.single_instance import hand_over

        if hand_over(instance_request(args, existing, server)):
            print("conch: opened in the Conch already running (--new-window starts another)", file=sys.stderr)
            return 0
    problem = display_problem()
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY

    launched = None
    wants_tab = not (args.connect_server or args.connect_ssh)
    if existing is None and server is None and args.ssh is None and wants_tab:
        # Launch the kernel first: it boots on another core while Qt builds the window.
        from conch.app.kernel.launcher import KernelLaunchError, KernelSpecNotFound, LocalKernelProcess

        process = LocalKernelProcess(args.kernel)
        try:
            launched = (process, process.start())
        except (KernelLaunchError, KernelSpecNotFound):
            pass  # the tab launches again and shows the error where the user looks

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from conch.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Conch")
    app.setApplicationVersion(__version__)
    # The desktop groups Conch's windows under its launcher and finds its icon by these.
    app.setOrganizationName("Conch")
    app.setDesktopFileName(APP_ID)
    # Closing the window starts the kernels' shutdown; quit once they are gone.
    app.setQuitOnLastWindowClosed(False)
    window = MainWindow(args.kernel, settings)
    window.all_kernels_closed.connect(app.quit)
    if not alone:  # once the window is up: it is what a user waits for
        QTimer.singleShot(0, lambda: listen_for_launches(window))

    # A quit signal is Quit without the questions; a second one while quitting ends Conch at
    # once: when main returns, process_reaper's atexit hook kills the kernels still running and
    # removes their connection files (and on Linux they die with this process anyway).
    on_signal = TwoStageQuit(window.quit_now, lambda: app.exit(on_signal.exit_code or 1))
    signals.notify_on_qt_loop(on_signal, app)

    def milestone(name: str) -> None:
        if args.startup_times:
            print(f"conch-startup {name} {time.time():.6f}", file=sys.stderr, flush=True)

    window.show()
    QTimer.singleShot(0, lambda: milestone("window-shown"))
    if not wants_tab:
        QTimer.singleShot(0, window.connect_to_server if args.connect_server else window.connect_over_ssh)
        return int(app.exec()) if on_signal.exit_code is None else on_signal.exit_code
    if args.ssh is not None:
        tab = window.new_ssh_tab(args.ssh, args.ssh_option, args.kernel, existing=args.existing)
    elif server is not None:
        ca_file = args.ca_file or window.settings.ca_file
        tab = window.new_server_tab(server, args.kernel, kernel_id=args.existing or None, ca_file=ca_file)
    elif existing is None:
        tab = window.new_tab(launched=launched)
    else:
        tab = window.new_tab(connection_file=existing)
    if not args.quit_when_ready:  # the last session's tabs, offered beside the one(s) asked for
        from conch.app.window_session import offer_last_session

        offer_last_session(window)

    reported: list[str] = []

    outcome: list[int] = []

    def on_tab_state() -> None:
        console = tab.console
        ready = console is not None and console.kernel.status.ready
        failed = tab.error is not None or (console is not None and console.kernel.status.gone)
        if (ready or failed) and not reported:
            reported.append("prompt-ready" if ready else "kernel-failed")
            milestone(reported[0])
            if ready and console is not None and args.execute is not None:
                execute_and_print(console, args.execute, outcome, window.close if args.quit_when_ready else None)
            elif args.quit_when_ready:
                outcome.append(0 if ready else 1)
                window.close()
            if failed and (args.quit_when_ready or args.execute is not None):
                print(f"conch: {tab.error or 'the kernel stopped before its prompt was ready'}", file=sys.stderr)

    tab.state_changed.connect(on_tab_state)
    code = int(app.exec())
    if on_signal.exit_code is not None:
        return on_signal.exit_code
    return code or (outcome[0] if outcome else 0)


def instance_request(args: argparse.Namespace, existing: "Path | None", server: "ServerAddress | None") -> dict[str, Any]:
    """What to ask a running Conch for, from the command line (already checked)."""
    from conch.app.single_instance import make_request

    if args.connect_server or args.connect_ssh:
        return make_request("connect_server" if args.connect_server else "connect_ssh")
    if args.ssh is not None:
        return make_request("ssh", host=args.ssh, ssh_options=list(args.ssh_option), kernel=args.kernel,
                            existing=args.existing)
    if server is not None:
        return make_request("server", url=server.base_url, token=server.token, kernel=args.kernel,
                            kernel_id=args.existing, ca_file=args.ca_file)
    if existing is not None:
        return make_request("existing", path=str(existing))
    return make_request("local", kernel=args.kernel)


def listen_for_launches(window: "MainWindow") -> None:
    """Become the running Conch later launches hand their tabs to (unless one already is)."""
    from conch.app.instance_server import InstanceServer
    from conch.app.single_instance import hand_over, make_request, socket_path
    from conch.app.window_requests import handle_request

    path = socket_path()
    if hand_over(make_request("show"), path):  # another Conch (a --new-window one is this) keeps the name
        return
    server = InstanceServer(path, window)
    if server.listen():
        server.requested.connect(lambda request: handle_request(window, request))
        window.destroyed.connect(server.close)


def execute_and_print(console: "ConsoleWidget", code: str, outcome: list[int], then: "Callable[[], object] | None") -> None:
    """``--execute``: run ``code`` as if typed, print the text of its outputs when it finishes."""
    msg_id = console.execute(code)

    def finished(finished_id: str) -> None:
        if finished_id != msg_id:
            return
        cell = console.kernel.transcript.cell_for(msg_id)
        shown = list(cell.outputs) if cell is not None else []
        for output in shown:
            print(output.text, flush=True)
        outcome.append(1 if any(output.kind == "error" for output in shown) else 0)
        if then is not None:
            then()

    console.execution_finished.connect(finished)
