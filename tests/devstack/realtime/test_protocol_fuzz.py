"""Property test: whatever a client sends, the simulator answers with events or `error`s, never a crash.

Valid events are mutated at the paths a client is likely to get wrong (VAD, voice, formats, tools,
content, response options); each mutation must be refused with a client error or handled, and the
engine must never fail internally (an internal failure would be a `server_error`, or on a socket, a
dropped session).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.realtime.agents import ScriptedAgent
from devstack.realtime.conversation import Conversation
from devstack.realtime.protocol import ClientEventError, parse_client_event
from devstack.realtime.speech import tone_voice

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
BASES: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"type": "session.update", "session": {"type": "realtime"}}, ("session", "instructions")),
    ({"type": "session.update", "session": {"type": "realtime"}}, ("session", "audio", "input", "turn_detection")),
    (
        {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": {}}}}},
        ("session", "audio", "input", "turn_detection", "threshold"),
    ),
    (
        {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": {}}}}},
        ("session", "audio", "input", "turn_detection", "silence_duration_ms"),
    ),
    ({"type": "session.update", "session": {"type": "realtime"}}, ("session", "audio", "output", "voice")),
    ({"type": "session.update", "session": {"type": "realtime"}}, ("session", "audio", "input", "format")),
    ({"type": "session.update", "session": {"type": "realtime"}}, ("session", "tools")),
    ({"type": "conversation.item.create", "item": {"type": "message", "role": "user"}}, ("item", "content")),
    ({"type": "conversation.item.create", "item": {"type": "function_call", "name": "f"}}, ("item", "arguments")),
    ({"type": "response.create", "response": {}}, ("response", "output_modalities")),
    ({"type": "response.create", "response": {}}, ("response", "conversation")),
    ({"type": "conversation.item.truncate", "item_id": "x", "content_index": 0}, ("audio_end_ms",)),
]


def mutate(base: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(base))
    node = event
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return event


async def feed(text: str) -> list[dict[str, Any]]:
    emitted: list[dict[str, Any]] = []

    async def emit(event: dict[str, Any]) -> None:
        emitted.append(event)

    conversation = Conversation(ScriptedAgent({"greeting": "hi"}), tone_voice, emit, speedup=1000.0)
    try:
        event = parse_client_event(text)
    except ClientEventError:
        return emitted
    await conversation.handle(event)
    await asyncio.sleep(0)
    await conversation.close()
    return emitted


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(BASES), JSON)
def test_mutated_client_events_are_refused_or_handled_never_crash_the_engine(
    base: tuple[dict[str, Any], tuple[str, ...]], value: Any
) -> None:
    event = mutate(base[0], base[1], value)
    emitted = asyncio.run(feed(json.dumps(event)))
    assert not [e for e in emitted if e["type"] == "error" and e["error"]["type"] == "server_error"]
