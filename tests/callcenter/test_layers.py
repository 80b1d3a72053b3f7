"""The function app's packages import one another in one direction only, top to bottom.

Imports are read from the source (lazy imports inside functions included), mapped to the
top-level package or module under `callcenter/` they name.
"""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.conftest import REPO

PACKAGE = REPO / "callcenter"
# Each package's layer, top (0) to bottom: a package imports only from layers below its own.
# HTTP entry points; workflows; ACS; HTTP plumbing and agents; tools; services; storage; the
# campaign domain; the call contract and small shared helpers; settings; errors.
LAYERS = {
    "api": 0,
    "orchestrations": 1,
    "retention": 1,  # the daily purge (a timer trigger)
    "telephony": 2,
    "web_conversations": 2,  # web conversation records, their tokens and idle end
    "endpoints": 3,
    "agents": 3,
    "tools": 4,  # below agents: a tool learns what it needs through its ToolContext
    "openai_client": 5,
    "redaction": 5,
    "pricing": 5,
    "kpis": 5,  # the dashboard's figures from the counters
    "telemetry": 5,
    "store": 6,
    "campaigns": 7,
    "calls": 8,
    "phone_numbers": 8,
    "business_hours": 8,
    "json_schema": 8,
    "identity": 8,
    "pooled": 8,
    "config": 9,
    "errors": 10,
}


def _imports() -> dict[str, dict[str, set[str]]]:
    """package -> imported package -> the files that import it."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in PACKAGE.rglob("*.py"):
        source = path.relative_to(PACKAGE).with_suffix("").parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "callcenter" and len(parts) > 1 and parts[1] != source:
                    found[source][parts[1]].add(str(path.relative_to(REPO)))
    return found


def test_no_two_packages_import_each_other() -> None:
    imports = _imports()
    both_ways = sorted(
        (a, b, sorted(imports[a][b]), sorted(imports[b][a]))
        for a in imports
        for b in imports[a]
        if a < b and a in imports.get(b, {})
    )
    assert both_ways == []


def test_every_package_has_a_layer() -> None:
    packages = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()
    }
    assert packages == set(LAYERS)


def test_imports_only_go_down_the_layers() -> None:
    imports = _imports()
    upward = sorted(
        (source, target, sorted(files))
        for source, targets in imports.items()
        for target, files in targets.items()
        if LAYERS[target] <= LAYERS[source]
    )
    assert upward == []


def test_the_call_contract_depends_on_nothing_else_in_the_app() -> None:
    assert dict(_imports()["calls"]) == {}


def test_no_api_module_imports_another_endpoint_module() -> None:
    endpoint_modules = {p.stem for p in (PACKAGE / "api").glob("*_api.py")}
    offenders = [
        f"{path.name} imports {module}"
        for path in (PACKAGE / "api").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module
        for module in [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        if module.startswith("callcenter.api.") and module.split(".")[2] in endpoint_modules
    ]
    assert offenders == []
