"""What the caller wants, from the whole utterance: a tool, a handoff, a person, yes/no, goodbye.

Each intent has cue phrases with weights; the intent with the highest total wins when it clears a
threshold and beats the runner-up clearly. A single stray word never reaches the threshold of an
intent that changes something (do-not-call, plan change, booking...), so the assistant asks
rather than acts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from callcenter.agents.profiles import COMMON_TOOLS, PROFILES
from devstack.realtime.assistant.spoken import words_of


@dataclass(frozen=True)
class Intent:
    name: str  # a tool name, or one of the conversational intents below
    score: float


GOODBYE = "goodbye"
HUMAN = "human"
YES = "yes"
NO = "no"
DO_NOT_CALL = "add_to_do_not_call"
VOICEMAIL = "voicemail_detected"
THANKS = "thanks"

# Tools that change something: run only after the caller confirms.
CHANGING = frozenset(
    {
        "add_to_do_not_call",
        "change_plan",
        "book_appointment",
        "reschedule_appointment",
        "cancel_appointment",
        "request_refill",
        "start_return",
    }
)

# Which specialist owns each pack tool (the concierge hands over for these): read from the profiles.
OWNER = {tool: name for name, profile in PROFILES.items() for tool in profile.tools if tool not in COMMON_TOOLS}

# Handoff by topic, when no single tool is clear ("I have a question about my bill").
TOPICS = {
    "telecom": ("phone", "mobile", "internet", "bill", "billing", "wifi", "network", "sim", "cell", "service"),
    "healthcare": ("doctor", "clinic", "appointment", "prescription", "pharmacy", "medication", "health", "nurse"),
    "retail": ("order", "store", "jacket", "shoes", "socks", "backpack", "product", "purchase", "delivery", "gear"),
}
AGENT_NAMES = {
    "telecom": ("telecom", "mobile support", "phone support"),
    "healthcare": ("healthcare", "health", "scheduling"),
    "retail": ("retail", "customer care", "outdoor"),
    "default": ("concierge", "front desk", "main menu"),
}

_CUES: dict[str, dict[str, float]] = {
    GOODBYE: {"goodbye": 3, "good bye": 3, "bye": 3, "that's all": 2, "that is all": 2, "hang up": 2},
    HUMAN: {
        "person": 3,
        "talk to someone": 3,
        "speak to someone": 3,
        "human": 3,
        "real person": 3,
        "representative": 3,
        "operator": 3,
        "someone": 1,
        "speak to": 1,
        "talk to": 1,
        "a colleague": 2,
        "live agent": 3,
    },
    YES: {
        "yes": 3,
        "yeah": 3,
        "yep": 3,
        "sure": 2,
        "correct": 2,
        "go ahead": 3,
        "please do": 3,
        "do it": 2,
        "that's right": 3,
        "right": 1,
        "okay": 1,
        "confirm": 2,
    },
    NO: {"no": 3, "nope": 3, "don't": 1, "never mind": 3, "not now": 2, "cancel that": 3, "wait": 1},
    THANKS: {"thank you": 1, "thanks": 1},
    DO_NOT_CALL: {
        "do not call": 4,
        "don't call": 4,
        "stop calling": 4,
        "call me again": 2,
        "take me off": 3,
        "remove me": 3,
        "remove my number": 4,
        "your list": 1,
        "off your list": 3,
        "off the list": 3,
        "never call": 4,
        "ever call": 2,
        "not interested": 1,
    },
    VOICEMAIL: {
        "leave a message": 4,
        "after the tone": 4,
        "after the beep": 4,
        "voicemail": 3,
        "not available": 2,
        "can't take your call": 3,
        "cannot take your call": 3,
        "record your message": 4,
    },
    "get_account_balance": {
        "balance": 3,
        "owe": 3,
        "bill": 2,
        "how much": 1,
        "payment": 1,
        "due": 1,
        "pay": 1,
        "autopay": 2,
    },
    "get_data_usage": {"data": 2, "usage": 3, "used": 2, "gigabytes": 3, "how much data": 2, "allowance": 2},
    "check_outage": {"outage": 4, "down": 2, "internet": 1, "area": 1, "zip": 1, "network": 1, "no internet": 2},
    "list_plans": {"plans": 3, "plan": 1, "options": 1, "what plans": 2, "which plans": 2, "offer": 1, "prices": 1},
    "change_plan": {
        "change": 2,
        "switch": 3,
        "upgrade": 3,
        "downgrade": 3,
        "move": 1,
        "plan": 1,
        "to the": 1,
        "unlimited": 1,
        "basic": 1,
        "plus": 1,
        "family": 1,
    },
    "report_technical_issue": {
        "dropped": 3,
        "dropping": 3,
        "slow": 2,
        "really slow": 2,
        "very slow": 2,
        "so slow": 2,
        "too slow": 2,
        "bad signal": 3,
        "problem": 2,
        "issue": 2,
        "ticket": 3,
        "report": 2,
        "not working": 2,
        "no service": 3,
        "trouble": 2,
    },
    "find_appointment_slots": {
        "appointment": 2,
        "available": 2,
        "openings": 3,
        "slots": 3,
        "slot": 1,
        "see a": 1,
        "see the": 1,
        "primary care": 2,
        "dermatology": 2,
        "cardiology": 2,
        "checkup": 1,
        "dermatologist": 2,
        "cardiologist": 2,
        "doctor": 1,
        "when can": 1,
        "need an": 1,
        "any": 1,
    },
    "book_appointment": {"book": 4, "schedule": 1, "take the": 1, "reserve": 3},
    "reschedule_appointment": {"reschedule": 5, "move my appointment": 5, "change my appointment": 5, "move": 1},
    "cancel_appointment": {"cancel": 3, "appointment": 1, "cancel my appointment": 3},
    "prescription_refill_status": {
        "prescription": 2,
        "ready": 2,
        "status": 2,
        "refills": 2,
        "pick up": 1,
        "check on": 1,
        "have left": 1,
        "refills left": 2,
    },
    "request_refill": {"refill": 3, "request": 1, "new supply": 2, "renew": 2},
    "order_status": {"where is": 2, "order": 2, "track": 3, "tracking": 3, "shipped": 2, "status": 1, "arrive": 2},
    "start_return": {"return": 4, "refund": 4, "send * back": 4, "take * back": 3, "bring * back": 3, "exchange": 2},
    "product_availability": {"in stock": 4, "stock": 2, "available": 1, "do you have": 2, "price": 1, "cost": 1},
    "search_products": {
        "looking for": 3,
        "shopping for": 3,
        "want to buy": 3,
        "search": 3,
        "do you sell": 3,
        "find": 1,
        "products": 2,
        "carry": 2,
    },
    "store_hours": {
        "hours": 4,
        "open": 2,
        "close": 2,
        "closing": 2,
        "opening": 2,
        "what time": 2,
        "do you close": 2,
        "do you open": 2,
        "are you open": 3,
    },
}
THRESHOLD = 3.0
_MARGIN = 1.0  # the winner must beat the runner-up by this much


def _score(text: str, cues: dict[str, float]) -> float:
    total = 0.0
    for phrase, weight in cues.items():
        if re.search(_pattern(phrase), text):
            total += weight
    return total


@cache
def _pattern(phrase: str) -> str:
    """A cue as a regular expression: whole words, `*` stands for up to three words ("send * back"),
    and a cue followed by "not" does not count ("please do not" is no "please do")."""
    body = r"(?: [a-z']+){0,3} ".join(re.escape(part) for part in phrase.split(" * "))
    return rf"(?<![a-z']){body}(?![a-z'])(?! not\b)"


def rank_intents(text: str) -> list[Intent]:
    """Every intent with a positive score, best first."""
    said = " ".join(words_of(text)).replace("do not", "do not").replace("i'd", "i would")
    scored = [Intent(name, _score(said, cues)) for name, cues in _CUES.items()]
    return sorted((i for i in scored if i.score > 0), key=lambda i: -i.score)


def clear_intent(ranked: list[Intent], allowed: set[str]) -> Intent | None:
    """The best intent among `allowed` when it clears the threshold and the runner-up by a margin."""
    candidates = [i for i in ranked if i.name in allowed]
    if not candidates or candidates[0].score < THRESHOLD:
        return None
    if len(candidates) > 1 and candidates[0].score - candidates[1].score < _MARGIN:
        return None
    return candidates[0]


def topic_of(text: str) -> str | None:
    """The specialist whose topic words `text` uses most, if any."""
    said = set(words_of(text))
    scores = {agent: len(said & set(words)) for agent, words in TOPICS.items()}
    best = max(scores, key=lambda a: scores[a])
    return best if scores[best] > 0 and list(scores.values()).count(scores[best]) == 1 else None


def named_agent(text: str) -> str | None:
    """An agent the caller names ("put me through to retail")."""
    said = " ".join(words_of(text))
    for agent, names in AGENT_NAMES.items():
        if any(re.search(rf"\b{re.escape(n)}\b", said) for n in names):
            return agent
    return None
