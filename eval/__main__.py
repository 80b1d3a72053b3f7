"""`python -m eval` (`make eval`): run the scenario suites as phone calls and score the agent.

    python -m eval                              # offline assistant, every shipped suite
    python -m eval --suite eval/suites/retail.yaml --parallel 4
    python -m eval --target azure               # a real Azure OpenAI deployment (settings from env)

The stack starts on free ports and stops afterwards. Reports go to --out (JSON and HTML).
Exit status: 0 when every scenario passed, 1 otherwise, 2 for bad input, 3 when skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from eval.report import as_html, as_json, table
from eval.runner import local_stack, run_all
from eval.scenario import ScenarioError, load_suites

AZURE_SETTINGS = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_REALTIME_DEPLOYMENT")


def azure_overrides() -> tuple[dict[str, str], dict[str, str]] | None:
    """Function app and bridge settings for a real deployment, or None when they are not set."""
    values = {name: os.environ.get(name, "") for name in AZURE_SETTINGS}
    if not all(values.values()):
        return None
    return values, dict(values)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", choices=("offline", "azure"), default=os.environ.get("TARGET") or "offline")
    parser.add_argument("--suite", type=Path, action="append", help="a suite file (repeatable; default: all shipped)")
    parser.add_argument("--only", help="run scenarios whose name contains this")
    parser.add_argument("--parallel", type=int, default=4, help="calls at a time")
    parser.add_argument("--variant", type=int, default=0, help="which wording of each line (0 = the main one)")
    parser.add_argument("--out", type=Path, default=Path(".data/eval"))
    args = parser.parse_args(argv)
    try:
        scenarios = load_suites(args.suite)
    except ScenarioError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2
    if args.only:
        scenarios = [s for s in scenarios if args.only in s.name]
    settings: dict[str, str] | None = None
    bridge: dict[str, str] | None = None
    if args.target == "azure":
        overrides = azure_overrides()
        if overrides is None:
            print(f"eval: skipped: TARGET=azure needs {', '.join(AZURE_SETTINGS)} in the environment")
            return 3
        settings, bridge = overrides
    signal.signal(signal.SIGTERM, _interrupt)  # stop the stack on `kill` too, not only on Ctrl-C
    print(f"eval: {len(scenarios)} scenarios against {args.target}, {args.parallel} at a time", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="eval-") as data, local_stack(Path(data), settings, bridge) as target:
        outcomes = asyncio.run(run_all(target, scenarios, args.parallel, args.variant))
    print(table(outcomes))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(as_json(outcomes, args.target), indent=2))
    (args.out / "report.html").write_text(as_html(outcomes, args.target))
    print(f"reports: {args.out / 'report.json'}, {args.out / 'report.html'} ({time.monotonic() - started:.0f} s)")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
