"""The demo business systems behind the tool packs: a deterministic data set shipped in the repo.

It stands in for a business's own systems in a proof of concept. Reads are deterministic; writes
(plan changes, bookings, returns) are kept in this process's copy so a conversation sees its own
changes. Replace a pack's executors with HTTP tools to reach the real systems.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("data") / "demo.json"


class DemoStore:
    """A mutable copy of the demo data set guarded by a lock (executors run concurrently)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = copy.deepcopy(data)
        self.lock = threading.Lock()

    def section(self, name: str) -> dict[str, Any]:
        section: dict[str, Any] = self._data[name]
        return section

    def find(self, section: str, collection: str, key: str, value: str) -> dict[str, Any] | None:
        """The first record of `collection` whose `key` equals `value` (case-insensitive)."""
        wanted = value.strip().lower()
        records: list[dict[str, Any]] = self._data[section][collection]
        for record in records:
            if str(record.get(key, "")).lower() == wanted:
                return record
        return None


def reference(prefix: str, *parts: str) -> str:
    """A stable confirmation number derived from what was done (same request, same number)."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:8].upper()
    return f"{prefix}-{digest}"


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


_store: DemoStore | None = None


def demo_store() -> DemoStore:
    """The process's demo store, created on first use."""
    global _store
    if _store is None:
        _store = DemoStore(_load())
    return _store


def reset_demo_store() -> None:
    """Forget this process's writes (used by tests and by the local stack's reset)."""
    global _store
    _store = None
