"""The standalone bundle beside the pip install: time to the window and to the first prompt
(``--startup-times``, offscreen), and the bundle's size.

    python benchmarks/bench_bundle.py [--bundle dist/conch-VERSION-linux-ARCH] [--runs 7]

Starts alternate (pip, bundle, pip, ...) so both see the same machine; medians and maxima.
The target: the bundle's window within 0.5 s, as the pip install's.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """One start until the first prompt; milestones in seconds after Popen."""
    t0 = time.time()
    result = subprocess.run([*argv, "--startup-times", "--quit-when-ready"], capture_output=True, text=True,
                            env=env, timeout=120, stdin=subprocess.DEVNULL)
    milestones = {}
    for line in result.stderr.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "conch-startup":
            milestones[parts[1]] = float(parts[2]) - t0
    if result.returncode != 0 or "prompt-ready" not in milestones:
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    return milestones


def summary(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:6.0f} ms median, {max(values) * 1000:6.0f} ms max"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path, help="the bundle folder (default: the one in dist/)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bundle = args.bundle or next(iter(sorted((ROOT / "dist").glob("conch-*-linux-*"))), None)
    if bundle is None or not (bundle / "conch").exists():
        print("no bundle: build one with `python packaging/build_bundle.py`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CONCH_CONFIG_DIR": scratch}
        kinds = {"pip install": [sys.executable, "-m", "conch"], "bundle": [str(bundle / "conch")]}
        times: dict[str, dict[str, list[float]]] = {k: {"window-shown": [], "prompt-ready": []} for k in kinds}
        start(kinds["bundle"], env)  # the first start of a fresh bundle reads its files from disk
        for _ in range(args.runs):
            for kind, argv in kinds.items():
                for milestone, value in start(argv, env).items():
                    times[kind].setdefault(milestone, []).append(value)
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle {bundle.name}: {size / 2**20:.0f} MiB, {sum(1 for p in bundle.rglob('*') if p.is_file())} files")
    for kind in kinds:
        print(f"{kind:12} window shown {summary(times[kind]['window-shown'])}; "
              f"prompt ready {summary(times[kind]['prompt-ready'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
