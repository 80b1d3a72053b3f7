"""`make bench`: run every benchmark and print its figures (see bench/README.md).

`python -m bench` runs them all with their published parameters; pass `--quick` for a short run.
"""

from __future__ import annotations

import subprocess
import sys

QUICK = {
    "bridge_load": ["--calls", "10,50", "--seconds", "5"],
    "campaign_scale": ["--contacts", "2000"],
    "cold_start": ["--runs", "5", "--profiles", "3"],
    "stack_load": ["--calls", "10", "--seconds", "20"],
    "stats_load": ["--conversations", "10000", "--repeats", "5"],
    "live_view": ["--calls", "10", "--lines", "5"],
    "recognition": ["--limit", "30", "--no-general"],
}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    status = 0
    for name in (
        "durable_replay",
        "bridge_load",
        "campaign_scale",
        "cold_start",
        "stack_load",
        "stats_load",
        "live_view",
        "recognition",
    ):
        print(f"\n== bench.{name} ==", flush=True)
        argv = [sys.executable, "-m", f"bench.{name}", *(QUICK.get(name, []) if quick else [])]
        status |= subprocess.run(argv, check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
