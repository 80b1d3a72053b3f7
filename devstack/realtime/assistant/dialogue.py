"""The offline assistant's conversation: one `Dialogue` per Realtime session.

It turns each caller utterance into one move: call a tool, hand over, escalate, ask for a missing
argument, ask for confirmation, or say goodbye. It remembers what the caller said (an account
number given once serves later questions), which tools it called (to read their results back)
and what it is waiting for (an answer to a question, or a yes/no).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from callcenter.agents.profiles import PROFILES, AgentProfile
from devstack.realtime.agents import AgentTurn, ResponseContext, ToolCallPlan, quoted_text
from devstack.realtime.assistant import intents
from devstack.realtime.assistant.arguments import bare_id, read_facts, visit_reason
from devstack.realtime.assistant.domain import Domain, load_domain
from devstack.realtime.assistant.replies import QUESTIONS, confirmation, read_result, tool_error
from devstack.realtime.assistant.spoken import words_of

_ONE_MOMENT = "One moment."
_GOODBYE = "Thank you for calling Contoso. Goodbye!"
_HELP = {
    "default": "I can connect you with mobile and internet support, clinic scheduling, or our outdoor store.",
    "outreach": "I can note that you don't want more calls, or put you through to our front desk.",
    "telecom": "I can check your balance, data usage or outages, list plans, change your plan or open a ticket.",
    "healthcare": "I can find, book, move or cancel appointments, and check or request prescription refills.",
    "retail": "I can check an order, start a return, check stock, search products or give store hours.",
}


@dataclass
class Pending:
    """A tool the caller asked for, waiting for arguments or for a yes."""

    tool: str
    args: dict[str, Any]
    said: str  # the utterance that asked for it
    confirming: bool = False


@dataclass
class Dialogue:
    """The assistant's state for one session."""

    domain: Domain = field(default_factory=load_domain)
    today: date = field(default_factory=date.today)
    memory: dict[str, str] = field(default_factory=dict)  # argument values the caller gave
    pending: Pending | None = None
    in_flight: list[str] = field(default_factory=list)  # tool names called, oldest first
    replay: str | None = None  # an utterance to act on after a handoff completes
    asked: str | None = None  # the argument the last question asked for
    ended: bool = False

    # --- entry point ---------------------------------------------------------------------------

    def respond(self, context: ResponseContext) -> AgentTurn:
        if context.tool_outputs:
            return self._after_tools(context)
        if context.caller_texts:
            said = " ".join(t for t in context.caller_texts if t).strip()
            if not said:
                return AgentTurn(text="Sorry, I did not catch that. Could you say it again?")
            return self._hear(said, context)
        return AgentTurn(text=quoted_text(context.instructions) or self._profile(context).greeting)

    def understands(self, text: str) -> bool:
        """Whether a domain transcript means something here (else the general model is tried)."""
        if not text:
            return False
        ranked = intents.rank_intents(text)
        if ranked and ranked[0].score >= intents.THRESHOLD:
            return True
        facts = read_facts(text, self.domain, self.today)
        return bool(facts.values or facts.dates)

    # --- who am I -----------------------------------------------------------------------------

    def _profile(self, context: ResponseContext) -> AgentProfile:
        """The agent profile the session's tools and instructions belong to."""
        names = {str(t.get("name")) for t in context.tools}
        instructions = context.session_instructions or ""
        matches = [p for p in PROFILES.values() if set(p.tools) == names]
        for profile in matches:
            if profile.instructions[:60] in instructions:
                return profile
        return matches[0] if matches else PROFILES["default"]

    @staticmethod
    def _tools(context: ResponseContext) -> dict[str, dict[str, Any]]:
        return {str(t.get("name")): t for t in context.tools}

    # --- caller turns -------------------------------------------------------------------------

    def _hear(self, said: str, context: ResponseContext) -> AgentTurn:
        tools = self._tools(context)
        profile = self._profile(context)
        facts = read_facts(said, self.domain, self.today)
        ranked = intents.rank_intents(said)
        asked, self.asked = self.asked, None
        if asked is not None and asked not in facts.values:
            value = bare_id(said, asked)  # "two zero zero three" answering "What is the patient id?"
            if value is not None:
                facts.values[asked] = value
        self._remember(facts.values, facts.dates, said)

        if self.pending is not None and self.pending.confirming:
            answer = intents.clear_intent(ranked, {intents.YES, intents.NO})
            if answer is not None and answer.name == intents.YES:
                pending, self.pending = self.pending, None
                return self._call(pending.tool, pending.args, text=_ONE_MOMENT)
            if answer is not None and answer.name == intents.NO:
                self.pending = None
                return AgentTurn(text="All right, I won't do that. Is there anything else?")
        elif asked is not None and self.pending is not None:
            answer = intents.clear_intent(ranked, {intents.NO})
            if answer is not None and not facts.values and not facts.dates:  # "never mind"
                self.pending = None
                return AgentTurn(text="All right. Is there anything else?")
        conversational = {intents.GOODBYE, intents.HUMAN, intents.DO_NOT_CALL, intents.VOICEMAIL}
        moves = conversational | set(tools) | set(intents.OWNER)
        best = intents.clear_intent(ranked, moves)
        if best is None or best.name in conversational:
            special = self._conversational(best.name if best else None, said, tools, profile)
            if special is not None:
                return special
        if (
            best is not None
            and best.name not in conversational
            and (self.pending is None or best.name != self.pending.tool)
        ):
            self.pending = None
            return self._want(best.name, said, tools, profile)
        if self.pending is not None:
            return self._proceed(tools)
        agent = intents.named_agent(said) or intents.topic_of(said)
        if agent and agent != profile.name and "handoff_to_agent" in tools:
            return self._hand_over(agent, said, profile, None)
        ambiguous = [i.name for i in ranked if i.name in tools and i.score >= 2][:2]
        if len(ambiguous) == 2:
            first, second = (n.replace("_", " ") for n in ambiguous)
            return AgentTurn(text=f"Sorry, do you want {first}, or {second}?")
        return AgentTurn(text=f"Sorry, I'm not sure what you need. {_HELP.get(profile.name, '')}".strip())

    def _conversational(
        self, intent: str | None, said: str, tools: dict[str, Any], profile: AgentProfile
    ) -> AgentTurn | None:
        if intent == intents.VOICEMAIL and "voicemail_detected" in tools:
            self.pending = None
            return self._call("voicemail_detected", {"greeting": said[:500]})
        if intent == intents.GOODBYE:
            self.pending = None
            if "end_call" in tools:
                return self._call("end_call", {"reason": "the caller said goodbye"})
            self.ended = True
            return AgentTurn(text=_GOODBYE)
        if intent == intents.HUMAN:
            self.pending = None
            if "escalate_to_human" in tools:
                summary = f"Caller asked for a person while talking to {profile.display_name}."
                return self._call(
                    "escalate_to_human",
                    {"reason": "the caller asked for a person", "summary": summary},
                    text="Of course.",
                )
            return AgentTurn(text="I can't transfer this conversation to a person here; please call us by phone.")
        if intent == intents.DO_NOT_CALL and "add_to_do_not_call" in tools:
            self.pending = Pending("add_to_do_not_call", {"reason": "the person asked not to be called again"}, said)
            self.pending.confirming = True
            return AgentTurn(text=confirmation("add_to_do_not_call", self.pending.args, self.domain))
        return None

    def _want(self, tool: str, said: str, tools: dict[str, Any], profile: AgentProfile) -> AgentTurn:
        """The caller clearly asked for `tool`: run it, or hand over to the agent that has it."""
        if tool not in tools:
            owner = intents.OWNER.get(tool)
            if owner is not None and "handoff_to_agent" in tools:
                return self._hand_over(owner, said, profile, tool)
            return AgentTurn(text=f"Sorry, I can't do that here. {_HELP.get(profile.name, '')}".strip())
        self.pending = Pending(tool, {}, said)
        return self._proceed(tools)

    def _hand_over(self, agent: str, said: str, profile: AgentProfile, tool: str | None) -> AgentTurn:
        target = agent if agent in profile.handoffs else ("default" if "default" in profile.handoffs else None)
        if target is None:
            return AgentTurn(text=f"Sorry, I can't help with that here. {_HELP.get(profile.name, '')}".strip())
        self.replay = said  # acted on by the new agent, if it finds a clear request in it
        reason = f"caller: {said}"[:300]
        return self._call("handoff_to_agent", {"agent": target, "reason": reason}, text=_ONE_MOMENT)

    def _proceed(self, tools: dict[str, Any]) -> AgentTurn:
        """Fill the pending tool's arguments from memory; ask for the first missing one."""
        pending = self.pending
        assert pending is not None
        schema = tools.get(pending.tool, {}).get("parameters") or {}
        properties = schema.get("properties") or {}
        for name in schema.get("required") or []:
            value = self._value_for(pending.tool, name, pending.said)
            if value is None:
                self.asked = name
                return AgentTurn(text=QUESTIONS.get(self._question_key(pending.tool, name), f"What is the {name}?"))
            pending.args[name] = value
        for name in properties:
            if name not in pending.args:
                value = self._value_for(pending.tool, name, pending.said)
                if value is not None:
                    pending.args[name] = value
        if pending.tool in intents.CHANGING:
            pending.confirming = True
            return AgentTurn(text=confirmation(pending.tool, pending.args, self.domain))
        self.pending = None
        return self._call(pending.tool, pending.args, text=_ONE_MOMENT)

    @staticmethod
    def _question_key(tool: str, name: str) -> str:
        return "return_reason" if tool == "start_return" and name == "reason" else name

    def _value_for(self, tool: str, name: str, said: str) -> str | None:
        """An argument's value from what the caller said (this turn or earlier), or None."""
        if name == "description":
            return said[:500] if len(said) >= 3 else None
        if name == "reason" and tool == "book_appointment":
            return self.memory.get("visit_reason")
        if name == "reason" and tool == "start_return":
            return self.memory.get("return_reason")
        if name == "new_slot_id":
            return self.memory.get("slot_id")
        if name == "query":
            return self.memory.get("query")
        if name == "category" and tool == "report_technical_issue":
            return self.memory.get("category")
        return self.memory.get(name)

    def _remember(self, values: dict[str, str], dates: list[tuple[date, bool]], said: str) -> None:
        for name, value in values.items():
            key = "return_reason" if name == "reason" else name
            self.memory[key] = value
        for when, year_said in dates:
            if year_said and when.year < self.today.year - 1:
                self.memory["date_of_birth"] = when.isoformat()
            elif not year_said or when >= self.today.replace(year=self.today.year - 1):
                self.memory["from_date"] = when.isoformat()
        reason = visit_reason(said)
        if reason:
            self.memory["visit_reason"] = reason
        query = _product_query(said)
        if query:
            self.memory["query"] = query

    def _call(self, tool: str, args: dict[str, Any], text: str = "") -> AgentTurn:
        self.in_flight.append(tool)
        return AgentTurn(text=text, tool_calls=(ToolCallPlan(tool, args),))

    # --- tool results -------------------------------------------------------------------------

    def _after_tools(self, context: ResponseContext) -> AgentTurn:
        names = self.in_flight[: len(context.tool_outputs)]
        self.in_flight = self.in_flight[len(context.tool_outputs) :]
        spoken: list[str] = []
        calls: list[ToolCallPlan] = []
        for tool, output in zip(names, context.tool_outputs, strict=False):
            text, follow = self._read(tool, output, context)
            if text:
                spoken.append(text)
            calls.extend(follow)
        return AgentTurn(text=" ".join(spoken), tool_calls=tuple(calls))

    def _read(self, tool: str, output: str, context: ResponseContext) -> tuple[str, list[ToolCallPlan]]:
        """What to say about one tool's output, and any tool to call next."""
        try:
            value = json.loads(output)
        except ValueError:
            value = None
        failed = tool_error(value) is not None
        if tool == "end_call":
            self.ended = True
            return _GOODBYE, []
        if tool == "voicemail_detected" and not failed:
            message = re.search(r"leave exactly this message: (.*?)(?: Then use end_call\.?)?$", str(value.get("say")))
            if message:
                self.in_flight.append("end_call")
                return message.group(1), [ToolCallPlan("end_call", {"reason": "left a voicemail message"})]
            return "", []
        if tool == "add_to_do_not_call" and not failed:
            text = "You won't be called again. Sorry for the disturbance."
            self.in_flight.append("end_call")
            return text, [ToolCallPlan("end_call", {"reason": "the person asked not to be called again"})]
        if tool == "handoff_to_agent" and not failed:
            said, self.replay = self.replay, None
            intro = read_result(tool, output)
            if said:
                turn = self._hear(said, context)
                if turn.tool_calls or self.pending is not None:
                    return f"{intro} {turn.text}".strip(), list(turn.tool_calls)
            return f"{intro} {self._profile(context).greeting}", []
        return read_result(tool, output), []


def _product_query(said: str) -> str | None:
    """What to search for: the words after "looking for", "search for" or "do you sell"."""
    match = re.search(r"\b(?:looking for|search for|do you sell|do you carry)\s+(?:a |an |some )?(.+)$", said.lower())
    if match is None:
        return None
    words = [w for w in words_of(match.group(1)) if w not in ("please", "any", "thanks")]
    return " ".join(words)[:100] or None
