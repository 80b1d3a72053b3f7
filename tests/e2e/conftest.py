"""Clients for the stack a module starts (each module defines its own `stack` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.run import Stack


@pytest.fixture
def acs(stack: Stack) -> Iterator[httpx.Client]:
    """The ACS simulator's control API, with every callee and the human agent answering by default."""
    with httpx.Client(base_url=stack.acs_url, timeout=10) as client:
        client.post("/simulator/behaviours", json={"human_agent": {"kind": "answer"}, "default": {"kind": "answer"}})
        yield client


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    """The function app's HTTP API."""
    with httpx.Client(base_url=stack.api_url, timeout=30) as client:
        yield client
