"""Drive the offline assistant's dialogue by text, with the function app's real tool packs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from callcenter.agents.profiles import PROFILES
from callcenter.agents.session import tool_context
from callcenter.tools import call_control, campaign_tools, healthcare, retail, telecom
from callcenter.tools.registry import Channel, ToolError
from devstack.realtime.agents import ResponseContext
from devstack.realtime.assistant.dialogue import Dialogue

TOOLS = {t.name: t for pack in (call_control, campaign_tools, telecom, healthcare, retail) for t in pack.tools()}


def session_tools(agent: str) -> list[dict[str, Any]]:
    return [
        {"type": "function", "name": n, "description": TOOLS[n].description, "parameters": TOOLS[n].parameters}
        for n in PROFILES[agent].tools
    ]


CANNED: dict[str, dict[str, Any]] = {
    "escalate_to_human": {"transferring": True, "say": "Tell the caller you are connecting them."},
    "add_to_do_not_call": {"added": True, "say": "Confirm, apologise, say goodbye, then use end_call."},
    "voicemail_detected": {
        "voicemail": True,
        "say": "Wait for the tone, then leave exactly this message: Please call Contoso back. Then use end_call.",
    },
}


@dataclass
class Talk:
    """A conversation with one agent: what the assistant said and which tools it called."""

    agent: str = "default"
    dialogue: Dialogue = field(default_factory=Dialogue)
    said: list[str] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)

    def context(self, **fields: Any) -> ResponseContext:
        return ResponseContext(
            tools=session_tools(self.agent), session_instructions=PROFILES[self.agent].instructions, **fields
        )

    async def start(self) -> str:
        turn = self.dialogue.respond(self.context())
        self.said.append(turn.text)
        return turn.text

    async def caller(self, text: str) -> str:
        """The caller says `text`; returns everything the assistant says until it waits again."""
        turn = self.dialogue.respond(self.context(caller_texts=[text]))
        spoken = [turn.text]
        for _ in range(5):
            if not turn.tool_calls:
                break
            outputs = []
            for call in turn.tool_calls:
                self.calls.append((call.name, call.arguments))
                outputs.append(json.dumps(await self._run(call.name, call.arguments)))
            turn = self.dialogue.respond(self.context(tool_outputs=outputs))
            spoken.append(turn.text)
        text = " ".join(s for s in spoken if s)
        self.said.append(text)
        return text

    async def _run(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if name in CANNED:  # these need a call record and settings: the stack tests run them for real
            return CANNED[name]
        try:
            context = tool_context(PROFILES[self.agent], Channel.PHONE, variables=self.variables)
            out = await TOOLS[name].executor(arguments, context)
        except ToolError as error:
            return {"error": {"code": error.code, "message": error.message}}
        if name == "handoff_to_agent":
            self.agent = str(out["handoff_to"])
        return out
