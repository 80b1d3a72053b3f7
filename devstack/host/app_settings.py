"""`local.settings.json`: the app's environment (`Values`) and the keys the host accepts."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class HostKeys:
    """Function keys (any of them opens FUNCTION-level functions) and the master key (ADMIN level).

    Declared in local.settings.json as `"FunctionKeys": {"default": "..."}` and `"MasterKey": "..."`;
    when absent, random keys are made up and printed at start, so nothing is open by accident.
    """

    function_keys: dict[str, str] = field(default_factory=dict)
    master_key: str = ""
    system_keys: dict[str, str] = field(default_factory=dict)

    def allows_function(self, key: str | None) -> bool:
        return key is not None and (self.allows_admin(key) or _matches(key, self.function_keys.values()))

    def allows_admin(self, key: str | None) -> bool:
        return key is not None and bool(self.master_key) and secrets.compare_digest(key, self.master_key)

    def allows_system(self, name: str, key: str | None) -> bool:
        expected = self.system_keys.get(name)
        return key is not None and (
            self.allows_admin(key) or (expected is not None and secrets.compare_digest(key, expected))
        )


def _matches(key: str, candidates: Any) -> bool:
    return any(secrets.compare_digest(key, candidate) for candidate in candidates)


@dataclass(frozen=True)
class LocalSettings:
    values: dict[str, str]
    keys: HostKeys


def load_local_settings(app_dir: Path, file: Path | None = None) -> LocalSettings:
    """Read `file`, or `local.settings.json` in `app_dir` (missing default file = empty settings, generated keys).

    Raises:
        FileNotFoundError: `file` was named and does not exist.
    """
    if file is not None and not file.is_file():
        raise FileNotFoundError(f"settings file {file} does not exist")
    path = file or app_dir / "local.settings.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    values = {str(k): str(v) for k, v in (document.get("Values") or {}).items()}
    function_keys = {str(k): str(v) for k, v in (document.get("FunctionKeys") or {}).items()}
    master = str(document.get("MasterKey") or "") or secrets.token_urlsafe(24)
    if not function_keys:
        function_keys = {"default": secrets.token_urlsafe(24)}
    system = {str(k): str(v) for k, v in (document.get("SystemKeys") or {}).items()}
    system.setdefault("eventgrid_extension", function_keys.get("default", master))
    system.setdefault("durabletask_extension", master)
    return LocalSettings(values=values, keys=HostKeys(function_keys, master, system))
