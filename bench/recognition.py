"""Recognition benchmark of the offline assistant: WER, intent and argument accuracy, latency.

    python -m bench.recognition [--limit N] [--grid]

Every phrase of `bench/recognition_phrases.py` is spoken by eSpeak NG (three voices, two rates,
in rotation; `--grid` speaks each phrase in all six), sent through a phone channel (band-limited
to 300-3400 Hz, at 8 kHz for even phrases and 16 kHz for odd ones, white noise at 20 dB SNR,
seeded), and recognised twice: with the domain language model (general model as fallback, as
the assistant runs) and with PocketSphinx's general model alone. The transcript then goes
through the assistant's dialogue to score the move and its arguments. Audio is made at run time.
Latency is the time from the end of the utterance to the transcript (decode after the last
sample; the simulator decodes at the end of the caller's turn).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from bench.recognition_phrases import PHRASES
from callcenter.agents.profiles import PROFILES
from devstack.realtime.agents import ResponseContext
from devstack.realtime.assistant import intents
from devstack.realtime.assistant.arguments import read_facts
from devstack.realtime.assistant.dialogue import Dialogue
from devstack.realtime.assistant.domain import load_domain
from devstack.realtime.assistant.recognizer import DOMAIN, GENERAL, Recognizer, condition
from devstack.realtime.speech import VOICE, WORDS_PER_MINUTE, shared_speaker

VOICES = ("en-us+klatt3", "en-us+klatt4", "en-us+edward")
RATES = (150, 190)
SNR_DB = 20.0
_PAUSE = b"\0\0" * 12000  # 0.5 s at 24 kHz
TODAY = date(2026, 12, 1)  # the demo data's "now", so spoken dates resolve the same every run


@dataclass
class Score:
    words: int = 0
    errors: int = 0
    intents: int = 0
    intents_right: int = 0
    args: int = 0
    args_right: int = 0

    def add(self, other: Score) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance in words (substitutions + deletions + insertions)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ref != hyp))
    return row[-1]


def phone_channel(
    pcm24: bytes, rate: int, rng: np.random.Generator, snr_db: float = SNR_DB, band: bool = True
) -> bytes:
    """24 kHz speech as a phone line delivers it (300-3400 Hz, sampled at `rate`, white noise at
    `snr_db`), back at 16 kHz for the recognizer. The band is cut before sampling, as a line's
    codec does: nothing above it folds back into the band."""
    x = np.frombuffer(pcm24, dtype="<i2").astype(np.float64)
    if band:
        x = _band_pass(x, 24000, 300, 3400)
    narrow = _resample(x, 24000, rate)
    power = np.mean(narrow**2) if len(narrow) else 0.0
    if snr_db > 0:
        narrow = narrow + rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(narrow))
    return np.clip(np.rint(_resample(narrow, rate, 16000)), -32768, 32767).astype("<i2").tobytes()


def _band_pass(x: np.ndarray, rate: int, low: float, high: float) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, len(x))


def _resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling of a whole signal (its spectrum cut or padded)."""
    if rate_in == rate_out or len(x) == 0:
        return x
    n = int(len(x) * rate_out / rate_in)
    spectrum = np.fft.rfft(x)
    out = np.zeros(n // 2 + 1, dtype=complex)
    keep = min(len(spectrum), len(out))
    out[:keep] = spectrum[:keep]
    return np.fft.irfft(out, n) * (n / len(x))


def tools_of(agent: str) -> list[dict[str, Any]]:
    domain = load_domain()
    return [{"type": "function", "name": n, **domain.tools[n]} for n in PROFILES[agent].tools]


def interpret(agent: str, text: str, expected: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The assistant's move for `text` as the first thing said to `agent`, and the argument values
    it holds for the expected argument names."""
    dialogue = Dialogue(today=TODAY)
    context = ResponseContext(
        caller_texts=[text], tools=tools_of(agent), session_instructions=PROFILES[agent].instructions
    )
    turn = dialogue.respond(context)
    move = "none"
    if turn.tool_calls:
        call = turn.tool_calls[0]
        move = f"handoff:{call.arguments.get('agent')}" if call.name == "handoff_to_agent" else call.name
    elif dialogue.pending is not None:
        move = dialogue.pending.tool
    else:
        answer = intents.clear_intent(intents.rank_intents(text), {intents.YES, intents.NO})
        facts = read_facts(text, dialogue.domain, TODAY)
        if answer is not None:
            move = answer.name
        elif facts.values or facts.dates:
            move = "answer"
    tool = move if move in dialogue.domain.tools else ""
    values = {name: dialogue._value_for(tool, name, text) for name in expected}
    return move, values


def score(agent: str, reference: str, heard: str, move: str, args: dict[str, Any]) -> Score:
    result = Score(words=len(reference.split()), errors=word_errors(reference.split(), heard.split()))
    got_move, got_args = interpret(agent, heard, args)
    result.intents, result.intents_right = 1, int(got_move == move)
    result.args = len(args)
    result.args_right = sum(1 for k, v in args.items() if got_args.get(k) == v)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recognition", description=__doc__)
    parser.add_argument("--limit", type=int, default=0, help="only the first N phrases")
    parser.add_argument("--grid", action="store_true", help="every phrase in every voice and rate")
    parser.add_argument("--no-general", action="store_true", help="skip the (slow) general-model column")
    parser.add_argument("--snr", type=float, default=SNR_DB, help="noise level in dB SNR; 0 = no noise (clean)")
    parser.add_argument(
        "--wideband", action="store_true", help="16 kHz without the 300-3400 Hz band limit (as `make call` streams)"
    )
    parser.add_argument("--voices", default=",".join(VOICES), help="eSpeak NG voices, comma separated")
    args = parser.parse_args(argv)
    voices = tuple(v for v in args.voices.split(",") if v)
    phrases = PHRASES[: args.limit] if args.limit else PHRASES
    started = time.monotonic()
    recognizer = Recognizer()
    build_s = time.monotonic() - started
    speaker = shared_speaker()
    rng = np.random.default_rng(15)
    combos = [(v, r) for v in voices for r in RATES]
    totals = {DOMAIN: Score(), GENERAL: Score()}
    latency: dict[str, list[float]] = {DOMAIN: [], GENERAL: []}
    utterances = 0
    for n, (agent, text, move, expected) in enumerate(phrases):
        for voice, rate in combos if args.grid else [combos[n % len(combos)]]:
            speaker.configure(voice, rate)
            rate_in = 16000 if args.wideband or n % 2 else 8000
            said = _PAUSE + speaker.synthesize(text) + _PAUSE  # a turn holds the pauses around the words
            audio = phone_channel(said, rate_in, rng, args.snr, band=not args.wideband)
            audio = condition(audio)  # as `Recognizer.transcribe` prepares a committed turn
            utterances += 1
            for model in (DOMAIN, GENERAL):
                if model == GENERAL and args.no_general:
                    continue
                dialogue = Dialogue(today=TODAY)
                t0 = time.perf_counter()
                if model == DOMAIN:
                    heard = recognizer.decode(audio, DOMAIN)
                    if not dialogue.understands(heard):
                        heard = recognizer.decode(audio, GENERAL) or heard
                else:
                    heard = recognizer.decode(audio, GENERAL)
                latency[model].append(time.perf_counter() - t0)
                totals[model].add(score(agent, text, heard, move, expected))
    speaker.configure(VOICE, WORDS_PER_MINUTE)
    channel = "16 kHz wideband" if args.wideband else "300-3400 Hz at 8/16 kHz"
    noise = f"{args.snr:.0f} dB SNR" if args.snr > 0 else "no noise"
    print(
        f"recognition: {utterances} utterances ({len(phrases)} phrases; voices {', '.join(voices)}; "
        f"{'/'.join(map(str, RATES))} wpm; {channel}; {noise}); "
        f"domain model built in {build_s:.1f} s"
    )
    print(f"{'model':<26}{'WER':>8}{'intent':>9}{'arguments':>11}{'latency p50':>13}{'p95':>8}")
    for model, label in ((DOMAIN, "domain (general fallback)"), (GENERAL, "general only")):
        s, lat = totals[model], sorted(latency[model])
        if not lat:
            continue
        p95 = lat[max(0, int(np.ceil(0.95 * len(lat))) - 1)]
        wer = 100 * s.errors / max(1, s.words)
        intent = 100 * s.intents_right / max(1, s.intents)
        argument = 100 * s.args_right / max(1, s.args)
        median = 1000 * statistics.median(lat)
        print(f"{label:<26}{wer:>7.1f}%{intent:>8.1f}%{argument:>10.1f}%{median:>10.0f} ms{1000 * p95:>5.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
