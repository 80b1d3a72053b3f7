"""How the far end of an outbound call (or a transfer target) behaves, chosen by the dialled number.

`POST /simulator/behaviours {"+15550001": {"kind": "busy"}, "human_agent": {"kind": "answer"}}`:
keys are E.164 numbers or ACS user ids; `default` covers outbound numbers without an entry and
`human_agent` covers transfer targets without one. Kinds:

- `answer`: picks up after `ring_seconds` and follows its `script` (silence when none).
- `no_answer`: rings for `seconds`, then the call fails (CreateCallFailed 480/560480).
- `busy`: fails after `ring_seconds` (CreateCallFailed 486/560486).
- `decline`: rejects after `ring_seconds` (CreateCallFailed 603/560603).
Codes are ACS's PSTN troubleshooting codes; ACS user targets get 480/8541, 486/8539, 603/8538.
- `voicemail`: answers, plays `greeting` and a beep, records for up to `seconds`, hangs up.
- `hang_up_after`: answers, follows its `script`, hangs up `seconds` after answering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from devstack.acs.script import ScriptError, Step, parse_script

MAX_SECONDS = 3600.0
DEFAULT_KEY = "default"
HUMAN_AGENT_KEY = "human_agent"
DEFAULT_GREETING = "Hi, you have reached the voicemail of the person you called. Please leave a message after the tone."
_KEY = re.compile(r"^(\+[1-9]\d{6,14}|8:[A-Za-z0-9:_\-.]{1,200}|default|human_agent)$")


class CalleeKind(StrEnum):
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    DECLINE = "decline"
    VOICEMAIL = "voicemail"
    HANG_UP_AFTER = "hang_up_after"


class BehaviourError(ValueError):
    """A behaviour entry is malformed; the message names the key."""


@dataclass(frozen=True)
class Behaviour:
    """One far end. `seconds` means ring timeout (no_answer), talk time (hang_up_after) or
    message length (voicemail)."""

    kind: CalleeKind = CalleeKind.ANSWER
    seconds: float = 30.0
    ring_seconds: float = 0.2
    script: tuple[Step, ...] = ()
    greeting: str = DEFAULT_GREETING

    @property
    def answers(self) -> bool:
        return self.kind in (CalleeKind.ANSWER, CalleeKind.VOICEMAIL, CalleeKind.HANG_UP_AFTER)

    def wire(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "seconds": self.seconds,
            "ring_seconds": self.ring_seconds,
            "script_steps": len(self.script),
            "greeting": self.greeting,
        }


def _number(raw: dict[str, Any], name: str, default: float, where: str) -> float:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SECONDS:
        raise BehaviourError(f"{where}: '{name}' must be a number of seconds between 0 and {MAX_SECONDS:g}")
    return float(value)


def parse_behaviour(raw: Any, where: str = "behaviour") -> Behaviour:
    """Validate one behaviour object.

    Raises:
        BehaviourError: unknown kind, bad numbers, bad script.
    """
    if not isinstance(raw, dict):
        raise BehaviourError(f"{where}: expected an object with 'kind'")
    unknown = set(raw) - {"kind", "seconds", "ring_seconds", "script", "greeting"}
    if unknown:
        raise BehaviourError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        kind = CalleeKind(str(raw.get("kind")))
    except ValueError:
        kinds = ", ".join(k.value for k in CalleeKind)
        raise BehaviourError(f"{where}: 'kind' must be one of {kinds}") from None
    greeting = raw.get("greeting", DEFAULT_GREETING)
    if not isinstance(greeting, str) or not greeting.strip() or len(greeting) > 1000:
        raise BehaviourError(f"{where}: 'greeting' must be non-empty text of at most 1000 characters")
    try:
        script = parse_script(raw.get("script"))
    except ScriptError as exc:
        raise BehaviourError(f"{where}: {exc}") from None
    return Behaviour(
        kind=kind,
        seconds=_number(raw, "seconds", 30.0, where),
        ring_seconds=_number(raw, "ring_seconds", 0.2, where),
        script=script,
        greeting=greeting.strip(),
    )


@dataclass
class BehaviourBook:
    """Behaviours by number; replaced or extended through the control API."""

    entries: dict[str, Behaviour] = field(default_factory=dict)

    def update(self, raw: Any) -> None:
        """Merge `{key: behaviour}` (validated in full before anything changes).

        Raises:
            BehaviourError: the body or any entry is malformed.
        """
        if not isinstance(raw, dict) or not raw:
            raise BehaviourError("expected an object mapping numbers to behaviours")
        parsed: dict[str, Behaviour] = {}
        for key, value in raw.items():
            if not isinstance(key, str) or not _KEY.match(key):
                raise BehaviourError(f"{key!r}: keys are E.164 numbers, 8:... user ids, 'default' or 'human_agent'")
            parsed[key] = parse_behaviour(value, key)
        self.entries.update(parsed)

    def for_callee(self, address: str) -> Behaviour:
        return self.entries.get(address) or self.entries.get(DEFAULT_KEY) or Behaviour()

    def for_transfer_target(self, address: str) -> Behaviour:
        return self.entries.get(address) or self.entries.get(HUMAN_AGENT_KEY) or Behaviour()

    def wire(self) -> dict[str, Any]:
        return {key: value.wire() for key, value in sorted(self.entries.items())}
