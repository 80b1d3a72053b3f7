"""Cold start of the function app: how long a fresh worker process takes to `import function_app`.

On Flex Consumption a new instance pays this before its first request, so it is the part of cold
start the app controls. Each run is a new Python process (nothing cached in memory; the OS file
cache is warm, as on a recycled worker). Three views:

- wall time of `python -c "import function_app"` minus a bare interpreter start, over N runs;
- `python -X importtime` (the fastest of a few runs, the least disturbed by other work on the
  machine), self time summed per package, so it is clear what is worth importing lazily;
- how many modules the import loads, which does not depend on machine load at all.

`--compare DIR` measures another copy of the app (e.g. before a change) in alternating runs, so
both see the same machine load.

Run: `.venv/bin/python -m bench.cold_start [--runs 15] [--profiles 5] [--top 12] [--compare DIR]`.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMPORT_APP = "import function_app"
COUNT_MODULES = "import sys; import function_app; print(len(sys.modules))"
# Namespace packages reported one level further (azure.core, azure.data, ...).
NAMESPACES = ("azure",)
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")


@dataclass
class Measurement:
    """Figures for one app folder."""

    app_dir: Path
    bare: list[float] = field(default_factory=list)  # seconds, `python -c pass`
    app: list[float] = field(default_factory=list)  # seconds, `python -c "import function_app"`
    profile: Counter[str] = field(default_factory=Counter)  # package -> self microseconds
    import_us: int = 0  # total of the profiled run
    modules: int = 0

    @property
    def median_ms(self) -> float:
        return (statistics.median(self.app) - statistics.median(self.bare)) * 1000

    @property
    def best_ms(self) -> float:
        return (min(self.app) - min(self.bare)) * 1000


def _run(app_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(app_dir)}
    return subprocess.run([sys.executable, *argv], cwd=app_dir, env=env, capture_output=True, text=True, check=True)


def _timed(app_dir: Path, code: str) -> float:
    started = time.perf_counter()
    _run(app_dir, "-c", code)
    return time.perf_counter() - started


def import_profile(app_dir: Path) -> tuple[Counter[str], int]:
    """Self time (microseconds) per package of one cold import, and the import's total time."""
    by_package: Counter[str] = Counter()
    total = 0
    for line in _run(app_dir, "-X", "importtime", "-c", IMPORT_APP).stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match is None:
            continue
        by_package[package_of(match[4])] += int(match[1])
        if not match[3]:  # a top-level import: its cumulative time counts towards the total
            total += int(match[2])
    return by_package, total


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in NAMESPACES and len(parts) > 1 else parts[0]


def measure(app_dirs: list[Path], runs: int, profiles: int) -> list[Measurement]:
    """Every folder measured in alternating runs (so machine load affects each alike)."""
    results = [Measurement(app_dir) for app_dir in app_dirs]
    for _ in range(runs):
        for result in results:
            result.bare.append(_timed(result.app_dir, "pass"))
            result.app.append(_timed(result.app_dir, IMPORT_APP))
    for _ in range(profiles):
        for result in results:
            profile, total = import_profile(result.app_dir)
            if not result.import_us or total < result.import_us:
                result.profile, result.import_us = profile, total
    for result in results:
        result.modules = int(_run(result.app_dir, "-c", COUNT_MODULES).stdout.strip())
    return results


def print_tables(results: list[Measurement], runs: int, profiles: int, top: int) -> None:
    names = ["this app"] + [f"`{r.app_dir}`" for r in results[1:]]
    print(f"Cold `import function_app`, {runs} fresh processes each (interpreter start subtracted)\n")
    print("| Measure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(results))
    rows = [
        ("wall time, median (ms)", [f"{r.median_ms:.0f}" for r in results]),
        ("wall time, best (ms)", [f"{r.best_ms:.0f}" for r in results]),
        (f"`-X importtime` total, best of {profiles} (ms)", [f"{r.import_us / 1000:.0f}" for r in results]),
        ("modules loaded", [str(r.modules) for r in results]),
    ]
    for label, values in rows:
        print(f"| {label} | " + " | ".join(values) + " |")
    print(f"\nImport self time by package, this app (best of {profiles} `-X importtime` runs)\n")
    print("| Package | ms | share |")
    print("|---|---:|---:|")
    first = results[0]
    for name, micros in first.profile.most_common(top):
        print(f"| {name} | {micros / 1000:.0f} | {micros / max(first.import_us, 1):.0%} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cold import time of the function app.")
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per wall-time measurement")
    parser.add_argument("--profiles", type=int, default=5, help="-X importtime runs (the fastest is kept)")
    parser.add_argument("--top", type=int, default=12, help="packages to list by import self time")
    parser.add_argument("--compare", type=Path, action="append", default=[], help="another app folder to measure")
    args = parser.parse_args(argv)
    results = measure([REPO, *args.compare], args.runs, args.profiles)
    print_tables(results, args.runs, args.profiles, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
