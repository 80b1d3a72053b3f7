"""The function app's packages import one another in one direction only, top to bottom.

Imports are read from the source (lazy imports inside functions included), mapped to the
top-level package or module under `callcenter/` they name.
"""

from __future__ import annotations

import ast
from collections import defaultdict

from tests.conftest import REPO

PACKAGE = REPO / "callcenter"
# Entry points and workflows sit above the domain; the domain above storage and the contract.
FORBIDDEN = {
    ("tools", "agents"),  # agents use tools; a tool learns what it needs through its ToolContext
    ("endpoints", "api"),
    ("endpoints", "telephony"),
    ("calls", "store"),
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


def test_lower_layers_never_reach_up() -> None:
    imports = _imports()
    reaching = sorted((low, high, sorted(imports[low][high])) for low, high in FORBIDDEN if high in imports[low])
    assert reaching == []


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
