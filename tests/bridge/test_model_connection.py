"""The Realtime client socket: wss:// with certificate checks, api-key or Entra bearer, clean refusals."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import trustme
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from bridge.model_connection import ModelConnectError, ModelConnector
from bridge.settings import BridgeSettings


@dataclass
class FakeToken:
    token: str
    expires_on: int


class FakeCredential:
    """An azure.identity.aio-shaped credential that counts its token requests."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    async def get_token(self, scope: str) -> FakeToken:
        self.scopes.append(scope)
        return FakeToken("entra-token", 4_000_000_000)

    async def close(self) -> None:
        pass


@contextlib.asynccontextmanager
async def tls_realtime(ca: trustme.CA, *, refuse: bool = False) -> AsyncIterator[tuple[int, list[Headers]]]:
    """A wss:// echo endpoint with a certificate for 127.0.0.1 signed by `ca`; records handshake headers."""
    seen: list[Headers] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def check(connection: ServerConnection, request: Request) -> Response | None:
        seen.append(request.headers)
        return connection.respond(401, "no key\n") if refuse else None

    async def echo(connection: ServerConnection) -> None:
        async for message in connection:
            await connection.send(message)

    async with serve(echo, "127.0.0.1", 0, ssl=context, process_request=check) as server:
        yield server.sockets[0].getsockname()[1], seen


@pytest.fixture
def ca(monkeypatch: pytest.MonkeyPatch, tmp_path) -> trustme.CA:
    """A throwaway CA the default TLS context trusts (through SSL_CERT_FILE, as a system CA would be)."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


def settings(port: int, api_key: str = "") -> BridgeSettings:
    return BridgeSettings(openai_endpoint=f"https://127.0.0.1:{port}", openai_api_key=api_key)


async def test_a_wss_session_sends_the_api_key_and_relays_messages(ca: trustme.CA) -> None:
    async with tls_realtime(ca) as (port, seen):
        connector = ModelConnector(settings(port, api_key="k-123"))
        connection = await connector.open()
        got: list[str | bytes] = []
        connection.set_handler(got.append)
        assert connection.send_now('{"type":"session.update"}')
        for _ in range(500):
            if got:
                break
            await asyncio.sleep(0.01)
        await connection.close()
        await connector.aclose()
    assert got == ['{"type":"session.update"}']
    assert seen[0]["api-key"] == "k-123" and "Authorization" not in seen[0]
    assert "permessage-deflate" not in seen[0].get("Sec-WebSocket-Extensions", "")
    assert seen[0]["Host"] == f"127.0.0.1:{port}"


async def test_without_a_key_an_entra_bearer_token_is_sent_and_reused(ca: trustme.CA) -> None:
    credential = FakeCredential()
    async with tls_realtime(ca) as (port, seen):
        connector = ModelConnector(settings(port), credential=credential)
        for _ in range(2):
            connection = await connector.open()
            await connection.close()
    assert [headers["Authorization"] for headers in seen] == ["Bearer entra-token"] * 2
    assert credential.scopes == ["https://cognitiveservices.azure.com/.default"]  # cached for the second


async def test_an_untrusted_certificate_is_refused(ca: trustme.CA) -> None:
    other = trustme.CA()  # the server's certificate comes from a CA the bridge does not trust
    async with tls_realtime(other) as (port, seen):
        with pytest.raises(ModelConnectError, match=r"SSL|certificate"):
            await ModelConnector(settings(port, api_key="k-123"), open_timeout=5).open()
    assert seen == []  # the key never left the bridge


async def test_a_refused_handshake_names_the_status_and_never_the_key(ca: trustme.CA) -> None:
    async with tls_realtime(ca, refuse=True) as (port, _):
        with pytest.raises(ModelConnectError) as caught:
            await ModelConnector(settings(port, api_key="secret-key-xyz"), open_timeout=5).open()
    assert "HTTP 401" in str(caught.value) and "secret-key-xyz" not in str(caught.value)
