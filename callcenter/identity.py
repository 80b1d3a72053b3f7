"""Entra ID tokens for Azure services when no key is configured (managed identity on Azure)."""

from __future__ import annotations

from typing import Any

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"

_credential: Any = None


def get_credential() -> Any:
    """The process's async `DefaultAzureCredential`, created on first use (it is slow to build)."""
    global _credential
    if _credential is None:
        from azure.identity.aio import DefaultAzureCredential

        _credential = DefaultAzureCredential()
    return _credential


def set_credential(credential: Any) -> None:
    """Use another token credential (any object with an async `get_token(scope)`)."""
    global _credential
    _credential = credential


async def bearer_token(scope: str = COGNITIVE_SCOPE) -> str:
    token = await get_credential().get_token(scope)
    return str(token.token)
