"""The standalone bundle's executable: Conch, and the Python that Conch's helper processes
expect ``sys.executable`` to be.

In the bundle there is no ``python``: Conch's own kernel (the native ``python3`` kernelspec,
``[sys.executable, "-m", "ipykernel_launcher", "-f", FILE]``), its LaTeX worker
(``-m conch.app.latex_worker``) and its SSH askpass helper (``-I script``) all run this
executable again, which then behaves as ``python`` would for those arguments.
"""
from __future__ import annotations

import runpy
import sys


def main() -> int:
    arguments = sys.argv[1:]
    isolated = arguments[:1] == ["-I"]
    if isolated:
        arguments = arguments[1:]
    if len(arguments) >= 2 and arguments[0] == "-m":
        sys.argv = [sys.executable, *arguments[2:]]
        runpy.run_module(arguments[1], run_name="__main__", alter_sys=True)
        return 0
    if isolated and arguments:
        sys.argv = arguments
        runpy.run_path(arguments[0], run_name="__main__")
        return 0
    from conch.app.cli import main as conch

    return conch()


if __name__ == "__main__":
    sys.exit(main())
