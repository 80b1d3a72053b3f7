"""`python -m devstack.realtime --port P [--scenario FILE | --assistant]`: serve the simulator."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import uvicorn

from devstack.realtime import build_state, create_app
from devstack.realtime.agents import ScenarioError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.realtime", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--scenario", help="scripted mode: a JSON scenario file")
    mode.add_argument("--assistant", action="store_true", help="offline assistant: PocketSphinx + eSpeak NG")
    parser.add_argument("--voice", choices=("espeak", "tone"), default="espeak", help="how the agent's speech is made")
    parser.add_argument("--speedup", type=float, default=4.0, help="response audio streaming speed vs real time")
    parser.add_argument(
        "--late-transcription",
        type=float,
        default=0.0,
        help="share (0..1) of caller transcripts sent after the response started, as the service may",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for --late-transcription")
    parser.add_argument(
        "--api-key-env", default="AZURE_OPENAI_API_KEY", help="environment variable holding the key clients must send"
    )
    args = parser.parse_args(argv)
    api_key = os.environ.get(args.api_key_env, "")
    if not api_key:
        parser.error(f"set {args.api_key_env} to the key clients must present")
    try:
        state = build_state(
            api_key,
            scenario=args.scenario,
            assistant=args.assistant,
            voice=args.voice,
            speedup=args.speedup,
            late_transcription=args.late_transcription,
            seed=args.seed,
        )
    except ScenarioError as exc:
        print(f"devstack.realtime: {exc}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning", ws="websockets")


if __name__ == "__main__":
    main()
