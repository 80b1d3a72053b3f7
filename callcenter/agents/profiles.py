"""The agent profiles: one source of truth for web sessions and phone calls.

A profile carries the instructions, voice, turn detection, tool names and greeting of one agent,
and the names of the agents it may hand the conversation to (`handoff_to_agent`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from callcenter.errors import NotFound

# Phone-only campaign tools ride along with every profile, since a campaign may use any agent.
COMMON_TOOLS = ("handoff_to_agent", "escalate_to_human", "end_call", "add_to_do_not_call", "voicemail_detected")

_STYLE = (
    "You speak on a live voice call: keep answers short (one to three sentences), friendly and concrete. "
    "Never read out long ids or JSON; summarise. Confirm before any change (plan, booking, return). "
    "Use tools for facts; never invent balances, dates or order details. If a tool returns an error, "
    "explain it plainly and offer the next step. If the caller asks for a person, or you cannot help, "
    "use escalate_to_human with a short summary. When the caller is done, say goodbye and use end_call."
)


Backend = Literal["realtime", "voice-live"]
BACKENDS: tuple[Backend, ...] = ("realtime", "voice-live")


@dataclass(frozen=True)
class VoiceLiveOptions:
    """How an agent sounds and listens on Azure AI Voice Live (used when its backend is `voice-live`).

    `voice` is an OpenAI voice name (`alloy`) or an Azure voice name (`en-US-Ava:DragonHDLatestNeural`,
    anything with a `-`); turn detection takes Voice Live's kinds (`azure_semantic_vad`,
    `azure_semantic_vad_multilingual`, `server_vad`, ...). Noise suppression and server echo
    cancellation are what a phone line gains most from, so they default on.
    """

    model: str = "gpt-realtime"
    voice: str = "en-US-Ava:DragonHDLatestNeural"
    turn_detection: dict[str, Any] = field(
        default_factory=lambda: {
            "type": "azure_semantic_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 500,
            "remove_filler_words": True,
            "create_response": True,
            "interrupt_response": True,
        }
    )
    noise_suppression: bool = True
    echo_cancellation: bool = True
    transcription_model: str = "azure-speech"
    transcription_language: str = ""  # e.g. "en-US,es-ES"; empty = the service detects it


@dataclass(frozen=True)
class AgentProfile:
    name: str
    display_name: str
    description: str
    instructions: str
    greeting: str
    voice: str = "alloy"
    tools: tuple[str, ...] = ()
    handoffs: tuple[str, ...] = ()
    turn_detection: dict[str, Any] = field(
        default_factory=lambda: {
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 500,
            "create_response": True,
            "interrupt_response": True,
        }
    )
    backend: Backend = "realtime"
    voice_live: VoiceLiveOptions = field(default_factory=VoiceLiveOptions)

    @property
    def spoken_voice(self) -> str:
        """The voice callers hear on this agent's backend."""
        return self.voice_live.voice if self.backend == "voice-live" else self.voice

    def summary(self, *, web_bridge: bool = False) -> dict[str, Any]:
        """What `GET /api/agents` shows: nothing the browser must not see, but nothing secret exists here.

        `web_bridge`: the bridge serves Voice Live web sessions here, so a Voice Live agent's web voice is its
        Voice Live one; without it, its web sessions run on Realtime (docs/voice-live.md, "Web").
        """
        return {
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "voice": self.spoken_voice,
            "backend": self.backend,
            "web_voice": self.spoken_voice if web_bridge else self.voice,
            "web_backend": self.backend if web_bridge else "realtime",
            "model": self.voice_live.model if self.backend == "voice-live" else None,
            "greeting": self.greeting,
            "handoffs": list(self.handoffs),
            "tools": list(self.tools),
        }


_PROFILES: tuple[AgentProfile, ...] = (
    AgentProfile(
        name="default",
        display_name="Concierge",
        description="Front desk: finds out what the caller needs and hands over to the right specialist.",
        instructions=(
            "You are the concierge of Contoso Services, which offers mobile and internet service, a health "
            "clinic network and an outdoor gear store. Find out what the caller needs in one or two questions, "
            "then hand over with handoff_to_agent: telecom for phone or internet service and bills, healthcare "
            "for appointments and prescriptions, retail for orders, returns and products. " + _STYLE
        ),
        greeting="Hello, thanks for calling Contoso. How can I help you today?",
        voice="alloy",
        tools=COMMON_TOOLS,
        handoffs=("telecom", "healthcare", "retail"),
    ),
    AgentProfile(
        name="outreach",
        display_name="Contoso outreach",
        description="Outbound campaigns: reminders, renewals and surveys, one contact at a time.",
        instructions=(
            "You are calling on behalf of Contoso. You placed this call; the person did not call you. Greet "
            "them by name, say who you are and why you are calling (the goal below), and keep to that goal. "
            "If a machine answers (a voicemail greeting such as 'leave a message after the tone', or a beep), "
            "use voicemail_detected at once and follow its instructions. If the person asks not to be called "
            "again, use add_to_do_not_call, confirm, and end the call. " + _STYLE
        ),
        greeting="Hello, this is Contoso calling. Is now a good moment?",
        voice="alloy",
        tools=COMMON_TOOLS,
        handoffs=("default",),
    ),
    AgentProfile(
        name="telecom",
        display_name="Contoso Mobile support",
        description="Mobile and internet: balances, data usage, outages, plan changes, trouble tickets.",
        instructions=(
            "You are a support agent of Contoso Mobile. Ask for the account number (like ACC-1001) before "
            "account questions, and for the ZIP code before outage checks. " + _STYLE
        ),
        greeting="Hi, this is Contoso Mobile support. What can I do for you?",
        voice="alloy",
        tools=(
            "get_account_balance",
            "get_data_usage",
            "check_outage",
            "list_plans",
            "change_plan",
            "report_technical_issue",
            *COMMON_TOOLS,
        ),
        handoffs=("default", "retail"),
        turn_detection={
            "type": "semantic_vad",
            "eagerness": "auto",
            "create_response": True,
            "interrupt_response": True,
        },
    ),
    AgentProfile(
        name="healthcare",
        display_name="Contoso Health scheduling",
        description="Clinic scheduling and pharmacy: find, book, move or cancel appointments; refills.",
        instructions=(
            "You are the scheduling assistant of Contoso Health clinics. Before any patient-specific action "
            "ask for the patient id (like P-2001) and date of birth. You give no medical advice; for urgent "
            "symptoms tell the caller to call emergency services. " + _STYLE
        ),
        greeting="Hello, you've reached Contoso Health scheduling. How can I help?",
        voice="shimmer",
        tools=(
            "find_appointment_slots",
            "book_appointment",
            "reschedule_appointment",
            "cancel_appointment",
            "prescription_refill_status",
            "request_refill",
            *COMMON_TOOLS,
        ),
        handoffs=("default",),
    ),
    AgentProfile(
        name="retail",
        display_name="Contoso Outdoor customer care",
        description="Outdoor gear store: order status, returns, product availability, store hours.",
        instructions=(
            "You are a customer care agent of Contoso Outdoor. Ask for the order number (like ORD-9001) and the "
            "delivery ZIP code before order questions. " + _STYLE
        ),
        greeting="Hi, thanks for calling Contoso Outdoor. How can I help?",
        voice="verse",
        tools=(
            "order_status",
            "start_return",
            "product_availability",
            "search_products",
            "store_hours",
            *COMMON_TOOLS,
        ),
        handoffs=("default", "telecom"),
    ),
)

PROFILES: dict[str, AgentProfile] = {profile.name: profile for profile in _PROFILES}


def get_profile(name: str) -> AgentProfile:
    """The profile called `name`, on the backend the deployment chose for it (AGENT_BACKENDS).

    Raises:
        NotFound: no such agent.
    """
    try:
        profile = PROFILES[name]
    except KeyError:
        raise NotFound(f"unknown agent '{name}'", code="unknown_agent") from None
    return _with_backend(profile)


def list_profiles() -> list[AgentProfile]:
    return [_with_backend(profile) for profile in PROFILES.values()]


def _with_backend(profile: AgentProfile) -> AgentProfile:
    """A deployment may move an agent to the other backend without a code change."""
    from callcenter.config import get_settings  # settings are read lazily (config.py)

    chosen = get_settings().agent_backends.get(profile.name)
    if chosen is None:
        return profile
    backend: Backend = "voice-live" if chosen == "voice-live" else "realtime"  # config.py checked the value
    return replace(profile, backend=backend)
