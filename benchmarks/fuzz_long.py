"""Long fuzzing run: the properties of ``tests/app/model/test_fuzz_ansi.py`` and
``test_fuzz_router.py`` with random seeds and many more examples than the test suite's
derandomized, bounded run.

Each test module lists its properties in ``PROPERTIES`` (name → strategy, check). Every
property gets an equal share of what is left of ``--minutes`` when its turn comes (or runs
``--examples`` examples), in batches of ``--batch`` examples, each batch with a seed drawn
from the run's seed (printed; ``--seed N`` with the same ``--examples`` and ``--batch``
replays a run). A failing batch is shrunk by Hypothesis to a minimal example (one per
distinct failure it met) and the run goes on with the next seed; each distinct failure (by
exception type and place) is reported once: the exception, where it was raised and the
minimal example. Any failure makes the exit status 1.

Qt-free: it needs only the ``conch`` package importable and ``hypothesis`` installed.

Usage::

    python benchmarks/fuzz_long.py [--minutes 10 | --examples 200000] [--batch 500]
                                   [--only NAME ...] [--seed N] [--json FILE]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import HypothesisException

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    ROOT / "tests" / "app" / "model" / "test_fuzz_ansi.py",
    ROOT / "tests" / "app" / "model" / "test_fuzz_router.py",
]


def load_properties() -> dict[str, tuple[Any, Callable[[Any], None]]]:
    properties: dict[str, tuple[Any, Callable[[Any], None]]] = {}
    for path in MODULES:
        spec = importlib.util.spec_from_file_location(f"fuzz_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        properties.update(module.PROPERTIES)
    return properties


def describe(error: BaseException) -> list[tuple[str, str]]:
    """Each distinct failure in ``error``: (exception type and where it was raised, the report
    with the minimal example)."""
    errors = list(error.exceptions) if isinstance(error, BaseExceptionGroup) else [error]
    out = []
    for e in errors:
        frames = traceback.extract_tb(e.__traceback__)
        ours = [f for f in frames if "/hypothesis/" not in f.filename]
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].line}" if ours else "?"
        notes = "\n".join(getattr(e, "__notes__", []))
        out.append((f"{type(e).__name__} at {where}", f"{type(e).__name__}: {str(e)[:300]}\n    at {where}\n{notes}"))
    return out


def run_property(name: str, strategy: Any, check: Callable[[Any], None], budget: float, examples: int,
                 batch: int, rng: random.Random) -> dict[str, Any]:
    """Batches with fresh seeds until the budget (time or examples) is spent. A failing batch
    is shrunk and reported; the run goes on with the next seed, collecting distinct failures
    (by exception type and place). Examples are the calls before a batch's first failure;
    shrinking's calls are counted apart."""
    calls = 0
    failing_at: int | None = None  # the call that first failed in the current batch

    def counted(case: Any) -> None:
        nonlocal calls, failing_at
        calls += 1
        try:
            check(case)
        except BaseException:
            if failing_at is None:
                failing_at = calls
            raise

    start = time.monotonic()
    ran = shrinking = batches = 0
    failures: dict[str, str] = {}
    failing_seeds: list[int] = []
    while True:
        if examples and ran >= examples or not examples and time.monotonic() - start >= budget:
            break
        size = min(batch, examples - ran) if examples else batch
        batch_seed = rng.getrandbits(32)
        batches += 1
        before, failing_at = calls, None

        def one(case: Any) -> None:  # a new function each batch: settings attach to it
            counted(case)

        test = seed(batch_seed)(given(strategy)(settings(
            max_examples=size, deadline=None, database=None, derandomize=False,
            phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck),
        )(one)))
        found: list[tuple[str, str]] = []
        try:
            test()
        except HypothesisException as e:  # a problem with the strategy itself: report it, stop
            failures[type(e).__name__] = f"{type(e).__name__}: {e}"
            break
        except Exception as e:  # noqa: BLE001 - every failure is reported
            found = describe(e)
        if failing_at is None:
            ran += calls - before
        else:
            ran += failing_at - before
            shrinking += calls - failing_at
            failing_seeds.append(batch_seed)
        for key, report in found:
            failures.setdefault(key, report)
    seconds = time.monotonic() - start
    return {
        "property": name, "examples": ran, "shrink_calls": shrinking, "seconds": round(seconds, 1),
        "examples_per_s": round(ran / seconds, 1) if seconds else 0.0, "batches": batches,
        "failing_batches": len(failing_seeds), "failing_seeds": failing_seeds[:5],
        "failures": list(failures.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="total time, shared by the properties")
    parser.add_argument("--examples", type=int, default=0, help="examples per property instead of a time budget")
    parser.add_argument("--batch", type=int, default=500, help="examples per seed")
    parser.add_argument("--only", nargs="*", default=None, help="property names (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the seeds (default: random)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    properties = load_properties()
    names = args.only or list(properties)
    unknown = [n for n in names if n not in properties]
    if unknown:
        parser.error(f"unknown properties {unknown}; there are {list(properties)}")
    master = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    rng = random.Random(master)
    deadline = time.monotonic() + args.minutes * 60
    print(f"fuzz_long: {len(names)} properties, "
          + (f"{args.examples} examples each" if args.examples else f"{args.minutes:g} minutes in all")
          + f", seed {master}", flush=True)
    results = []
    for i, name in enumerate(names):
        strategy, check = properties[name]
        budget = max(deadline - time.monotonic(), 0.0) / (len(names) - i)
        result = run_property(name, strategy, check, budget, args.examples, args.batch, rng)
        results.append(result)
        status = "ok" if not result["failures"] else "FAILED"
        if result["failures"]:
            status += f" in {result['failing_batches']} of {result['batches']} batches"
        print(f"{name:40} {result['examples']:>9} examples {result['seconds']:>7.1f} s "
              f"{result['examples_per_s']:>8.1f}/s  {status}", flush=True)
        for failure in result["failures"]:
            print("    " + failure.replace("\n", "\n    "), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"seed": master, "results": results}, indent=1))
    failed = [r["property"] for r in results if r["failures"]]
    if failed:
        print(f"failures: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
