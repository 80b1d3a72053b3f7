"""The Call Automation options the app sends, as the SDK serialises them onto the wire."""

from __future__ import annotations

from callcenter.config import AcsSettings
from callcenter.telephony.acs_client import media_streaming

ACS = AcsSettings(
    endpoint="https://acs.example.com",
    access_key=None,
    phone_number="+15559990000",
    resource_id="r",
    openid_config_url="https://acs.example.com/.well-known/acsopenidconfiguration",
    public_base_url="https://app.example.com",
    bridge_public_url="wss://bridge.example.com",
    call_token_secret="s" * 32,
    call_token_ttl_seconds=600,
)


def test_media_streaming_asks_acs_for_dtmf_tones_bidirectional_pcm24k() -> None:
    wire = media_streaming(ACS, "call-1")._to_generated().serialize()
    assert wire["enableDtmfTones"] is True  # without it ACS never sends DtmfData on the media socket
    assert wire["enableBidirectional"] is True and wire["startMediaStreaming"] is True
    assert wire["audioFormat"] == "pcm24KMono" and wire["transportType"] == "websocket"
    assert wire["transportUrl"].startswith("wss://bridge.example.com/acs/media/call-1?token=")
