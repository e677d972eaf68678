"""Conch: a desktop rich console for Jupyter kernels.

The embedding API is imported lazily so that ``conch --version`` and the
Qt-free model never pull in Qt::

    from conch import ConsoleWidget, start_kernel
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ConsoleWidget", "start_kernel", "__version__"]

if TYPE_CHECKING:
    from conch.app.kernel_session import start_kernel
    from conch.widgets.console import ConsoleWidget


def __getattr__(name: str) -> Any:
    if name == "ConsoleWidget":
        from conch.widgets.console import ConsoleWidget

        return ConsoleWidget
    if name == "start_kernel":
        from conch.app.kernel_session import start_kernel

        return start_kernel
    raise AttributeError(f"module 'conch' has no attribute {name!r}")
