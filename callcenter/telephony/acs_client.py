"""The Call Automation client, built from settings: a key, or Entra ID (managed identity)."""

from __future__ import annotations

from typing import Any

from azure.communication.callautomation import (
    AudioFormat,
    MediaStreamingAudioChannelType,
    MediaStreamingContentType,
    MediaStreamingOptions,
    StreamingTransportType,
)
from azure.communication.callautomation.aio import CallAutomationClient
from azure.core.credentials import AzureKeyCredential

from callcenter.config import AcsSettings
from callcenter.identity import get_credential
from callcenter.telephony.tokens import media_url


def call_automation_client(acs: AcsSettings) -> CallAutomationClient:
    """A client for `acs.endpoint` (`from_connection_string` forces https, so it is built directly)."""
    credential: Any = AzureKeyCredential(acs.access_key) if acs.access_key else get_credential()
    return CallAutomationClient(acs.endpoint, credential)


def media_streaming(acs: AcsSettings, call_id: str) -> MediaStreamingOptions:
    """Bidirectional PCM 24 kHz mono to the bridge, started with the call (no resampling needed)."""
    return MediaStreamingOptions(
        transport_url=media_url(acs, call_id),
        transport_type=StreamingTransportType.WEBSOCKET,
        content_type=MediaStreamingContentType.AUDIO,
        audio_channel_type=MediaStreamingAudioChannelType.MIXED,
        start_media_streaming=True,
        enable_bidirectional=True,
        audio_format=AudioFormat.PCM24_K_MONO,
    )
