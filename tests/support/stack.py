"""The whole local stack (as `make run` starts it) on ephemeral ports, with a scripted model."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devstack.run import Ports, Stack, build_stack, start, stop


@contextlib.contextmanager
def scripted_stack(data: Path, scenario: dict[str, Any], **options: Any) -> Iterator[Stack]:
    """Start every service with the Realtime simulator playing `scenario` (tone voice, for speed);
    `options` go to `build_stack` (`persist`, `extra_settings`, ...). Stopped afterwards."""
    path = data / "scenario.json"
    path.write_text(json.dumps(scenario))
    options.setdefault("persist", False)
    built = build_stack(Ports.ephemeral(), data, realtime_mode=["--scenario", str(path), "--voice", "tone"], **options)
    try:
        start(built, data / "logs", announce=False)
        yield built
    finally:
        stop(built)
