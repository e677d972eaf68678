"""Conch: a desktop rich console for Jupyter kernels.

The embedding API is imported lazily so that ``conch --version`` and the
Qt-free model never pull in Qt::

    from conch import ConsoleWidget, attach_kernel, start_kernel
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ConsoleWidget", "attach_kernel", "start_kernel", "__version__"]

# Conch's own diagnostics go where the host application sends its logs, never to a bare
# stderr (inside a kernel that would land in the user's output); the user sees notices.
logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from conch.app.embedding import attach_kernel, start_kernel
    from conch.widgets.console import ConsoleWidget


def __getattr__(name: str) -> Any:
    if name == "ConsoleWidget":
        from conch.widgets.console import ConsoleWidget

        return ConsoleWidget
    if name == "start_kernel":
        from conch.app.embedding import start_kernel

        return start_kernel
    if name == "attach_kernel":
        from conch.app.embedding import attach_kernel

        return attach_kernel
    raise AttributeError(f"module 'conch' has no attribute {name!r}")
