"""The Call Automation client, built from settings: a key, or Entra ID (managed identity).

The Call Automation SDK is imported inside these functions, not at module level: a cold worker
that serves web sessions or call records never loads it (see bench/README.md: cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from callcenter.config import AcsSettings
from callcenter.identity import get_credential
from callcenter.telephony.tokens import media_url

if TYPE_CHECKING:
    from azure.communication.callautomation import CommunicationIdentifier, MediaStreamingOptions, PhoneNumberIdentifier
    from azure.communication.callautomation.aio import CallAutomationClient


def call_automation_client(acs: AcsSettings) -> CallAutomationClient:
    """A client for `acs.endpoint` (`from_connection_string` forces https, so it is built directly)."""
    from azure.communication.callautomation.aio import CallAutomationClient
    from azure.core.credentials import AzureKeyCredential

    credential: Any = AzureKeyCredential(acs.access_key) if acs.access_key else get_credential()
    return CallAutomationClient(acs.endpoint, credential)


def media_streaming(acs: AcsSettings, call_id: str) -> MediaStreamingOptions:
    """Bidirectional PCM 24 kHz mono to the bridge, started with the call (no resampling needed).

    `enable_dtmf_tones` is required for the caller's key presses to reach the bridge: ACS sends
    `DtmfData` on the media socket only when the call's streaming options ask for it.
    """
    from azure.communication.callautomation import (
        AudioFormat,
        MediaStreamingAudioChannelType,
        MediaStreamingContentType,
        MediaStreamingOptions,
        StreamingTransportType,
    )

    return MediaStreamingOptions(
        transport_url=media_url(acs, call_id),
        transport_type=StreamingTransportType.WEBSOCKET,
        content_type=MediaStreamingContentType.AUDIO,
        audio_channel_type=MediaStreamingAudioChannelType.MIXED,
        start_media_streaming=True,
        enable_bidirectional=True,
        audio_format=AudioFormat.PCM24_K_MONO,
        enable_dtmf_tones=True,
    )


def phone_identifier(number: str) -> PhoneNumberIdentifier:
    """An E.164 number as the SDK's identifier."""
    from azure.communication.callautomation import PhoneNumberIdentifier

    return PhoneNumberIdentifier(number)


def participant_identifier(target: str) -> CommunicationIdentifier:
    """A transfer target: an ACS user id (`8:acs:...`) or an E.164 number."""
    from azure.communication.callautomation import CommunicationUserIdentifier, PhoneNumberIdentifier

    return CommunicationUserIdentifier(target) if target.startswith("8:") else PhoneNumberIdentifier(target)
