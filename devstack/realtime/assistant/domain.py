"""What the stack knows, gathered once: agent profiles, tool schemas and the demo data.

The assistant and the recognizer's language model both draw on it, so the words the recognizer
expects are exactly the names, ids and products the tools understand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from callcenter.agents.profiles import PROFILES
from callcenter.tools import call_control, campaign_tools, healthcare, retail, telecom

DEMO_DATA = Path(__file__).resolve().parents[3] / "callcenter" / "tools" / "data" / "demo.json"

# How people name things the data spells differently ("five g" for 5G, "pike street" for ST-1).
_PLAN_WORDS = {"basic-5g": ("basic",), "plus-5g": ("plus",), "unlimited-5g": ("unlimited",), "family-4": ("family",)}
_STORE_WORDS = {"ST-1": ("seattle", "pike"), "ST-2": ("portland", "pearl")}
_PRODUCT_WORDS = {
    "SKU-100": ("trail", "runner", "shoes", "shoe", "sneakers", "running"),
    "SKU-101": ("rain", "shell", "jacket", "coat"),
    "SKU-102": ("merino", "socks", "sock"),
    "SKU-103": ("daypack", "backpack", "pack", "bag"),
}


@dataclass(frozen=True)
class Domain:
    """The vocabulary of the demo call center."""

    tools: dict[str, dict[str, Any]]  # name -> {"description", "parameters"}
    greetings: tuple[str, ...]
    instructions: tuple[str, ...]
    data: dict[str, Any]
    plan_words: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_PLAN_WORDS))
    store_words: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_STORE_WORDS))
    product_words: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(_PRODUCT_WORDS))

    def section(self, pack: str, table: str) -> list[dict[str, Any]]:
        rows = self.data.get(pack, {}).get(table, [])
        return rows if isinstance(rows, list) else []

    def enum(self, tool: str, parameter: str) -> list[str]:
        spec = self.tools.get(tool, {}).get("parameters", {}).get("properties", {}).get(parameter, {})
        return [str(v) for v in spec.get("enum", [])]

    def plan_name(self, plan_id: str) -> str:
        plan = next((p for p in self.section("telecom", "plans") if p["id"] == plan_id), None)
        return str(plan["name"]) if plan else plan_id

    def product_name(self, sku: str) -> str:
        product = next((p for p in self.section("retail", "products") if p["sku"] == sku), None)
        return str(product["name"]) if product else sku


@lru_cache(maxsize=1)
def load_domain() -> Domain:
    """The demo domain, read from the function app's own tool packs, profiles and demo data."""
    tools = {
        tool.name: {"description": tool.description, "parameters": tool.parameters}
        for pack in (call_control, campaign_tools, telecom, healthcare, retail)
        for tool in pack.tools()
    }
    data = json.loads(DEMO_DATA.read_text(encoding="utf-8")) if DEMO_DATA.exists() else {}
    return Domain(
        tools=tools,
        greetings=tuple(p.greeting for p in PROFILES.values()),
        instructions=tuple(p.instructions for p in PROFILES.values()),
        data=data,
    )
