"""Build Conch's standalone Linux bundle: one folder with Conch, Qt and a python3 kernel
(ipykernel, matplotlib), running on a machine without Python. One command:

    python packaging/build_bundle.py            # -> dist/conch-VERSION-linux-ARCH/conch

It needs PyInstaller (``pip install -e ".[bundle]"``). What Conch does not use is left out
(QtQuick/QML, WebEngine, 3D, Multimedia, translations, test tools) and the folder's size is
printed.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "packaging" / "bundle_entry.py"

EXCLUDED = (
    # Qt modules Conch never imports (PySide6's hooks would otherwise follow optional imports).
    "PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebChannel", "PySide6.Qt3DCore",
    "PySide6.QtMultimedia", "PySide6.QtCharts", "PySide6.QtDataVisualization", "PySide6.QtDesigner",
    "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtPdf",
    "PySide6.QtBluetooth", "PySide6.QtPositioning", "PySide6.QtSerialPort", "PySide6.QtRemoteObjects",
    # Tools and libraries of the tests, benchmarks and servers, not of the app.
    "tkinter", "pytest", "hypothesis", "mypy", "pandas", "sympy", "jupyter_server", "notebook",
    "jupyterlab", "nbconvert", "qtconsole", "IPython.kernel", "pip", "setuptools",
    # ipykernel debugs through debugpy only when a client asks (Conch never does); it needs its
    # vendored sources on disk, so it stays out and ipykernel runs without it.
    "debugpy",
)
HIDDEN = (
    "ipykernel_launcher", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
    "ipykernel.pylab.backend_inline", "matplotlib_inline.backend_inline", "conch.app.latex_worker",
    "conch.app.ssh.askpass",
)
METADATA = ("conch", "jupyter_client", "ipykernel", "pyzmq", "traitlets", "ipython", "matplotlib", "matplotlib-inline", "nbformat",
            "jupyter_core", "PySide6_Essentials", "shiboken6", "keyring", "websockets")


def version() -> str:
    from importlib.metadata import version as installed

    return installed("conch")


def bundle_name() -> str:
    machine = platform.machine().lower() or "unknown"
    return f"conch-{version()}-linux-{machine}"


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def prune(folder: Path) -> None:
    """Remove what PyInstaller collected but Conch does not use."""
    internal = folder / "_internal"
    for pattern in ("PySide6/Qt/translations", "PySide6/Qt/qml", "PySide6/Qt/resources/qtwebengine*",
                    "PySide6/Qt/lib/libQt6WebEngine*", "PySide6/Qt/lib/libQt6Quick*", "PySide6/Qt/lib/libQt6Qml*",
                    "PySide6/Qt/lib/libQt63D*", "PySide6/Qt/lib/libQt6Pdf*", "PySide6/Qt/lib/libQt6Designer*",
                    "matplotlib/mpl-data/sample_data"):
        for path in internal.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def build(dist: Path) -> Path:
    import PyInstaller.__main__ as pyinstaller

    name = bundle_name()
    with tempfile.TemporaryDirectory(prefix="conch-bundle-") as work:
        # The repository root *is* the conch package: give PyInstaller a folder where it is named so.
        (Path(work) / "src").mkdir()
        (Path(work) / "src" / "conch").symlink_to(ROOT, target_is_directory=True)
        arguments = [
            str(ENTRY), "--noconfirm", "--clean", "--onedir", "--log-level", "WARN",
            "--name", name, "--distpath", str(dist), "--workpath", str(Path(work) / "build"),
            "--specpath", work, "--paths", str(Path(work) / "src"),
            "--add-data", f"{ROOT / 'resources'}{os.pathsep}conch/resources",
            "--collect-submodules", "conch.app", "--collect-submodules", "conch.widgets",
            "--collect-data", "ipykernel", "--collect-data", "matplotlib",
        ]
        for module in EXCLUDED:
            arguments += ["--exclude-module", module]
        for module in HIDDEN:
            arguments += ["--hidden-import", module]
        for distribution in METADATA:
            arguments += ["--copy-metadata", distribution]
        pyinstaller.run(arguments)
    folder = dist / name
    executable = folder / name
    executable.rename(folder / "conch")
    prune(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the bundle folder goes (default: dist/)")
    args = parser.parse_args()
    started = time.monotonic()
    folder = build(args.dist.resolve())
    print(f"built {folder} in {time.monotonic() - started:.0f} s: {folder_size(folder) / 2**20:.0f} MiB; "
          f"run {folder / 'conch'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
