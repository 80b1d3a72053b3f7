"""Who may do what on Azure, read from pycep's syntax tree and compared with the design (ARCHITECTURE.md).

checkov sees one resource at a time; it cannot tell that the function app identity, and not the bridge, is
the one holding a role. This follows each role assignment's principal parameter back to the identity module
main.bicep passes in, resolves the role id through the file's variables (and a loop's array), and names the
scope by the resource type the assignment is scoped to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.tools import ROOT, parse_bicep

# Built-in role definition ids (the same in every tenant).
ROLE_NAMES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "0ad04412-c4d5-4796-b79c-f76d14c8d402": "Durable Task Data Contributor",
}
# The design: (identity, scope resource type) -> roles. "deployer" is main.bicep's principalId (azd's user or CI).
DESIGN: dict[tuple[str, str], set[str]] = {
    ("apiIdentity", "Microsoft.Storage/storageAccounts"): {
        "Storage Blob Data Owner",
        "Storage Queue Data Contributor",
        "Storage Table Data Contributor",
    },
    ("apiIdentity", "Microsoft.KeyVault/vaults"): {"Key Vault Secrets User"},
    ("apiIdentity", "Microsoft.Insights/components"): {"Monitoring Metrics Publisher"},
    # ACS has no narrower built-in role for Call Automation with Entra ID; scoped to the one ACS resource.
    ("apiIdentity", "Microsoft.Communication/communicationServices"): {"Contributor"},
    ("apiIdentity", "Microsoft.CognitiveServices/accounts"): {"Cognitive Services OpenAI User"},
    ("apiIdentity", "Microsoft.DurableTask/schedulers"): {"Durable Task Data Contributor"},
    ("bridgeIdentity", "Microsoft.KeyVault/vaults"): {"Key Vault Secrets User"},
    ("bridgeIdentity", "Microsoft.ContainerRegistry/registries"): {"AcrPull"},
    ("bridgeIdentity", "Microsoft.Insights/components"): {"Monitoring Metrics Publisher"},
    ("bridgeIdentity", "Microsoft.CognitiveServices/accounts"): {"Cognitive Services OpenAI User"},
    ("deployer", "Microsoft.KeyVault/vaults"): {"Key Vault Secrets User"},
}


@dataclass(frozen=True)
class Grant:
    identity: str  # identity module symbol in main.bicep, or "deployer"
    scope: str  # resource type
    role: str
    where: str  # file:line


def _body(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's own config, under its loop and condition wrappers."""
    config = resource["config"]
    while isinstance(config, dict) and "config" in config and ("condition" in config or "loop_type" in config):
        config = config["config"]
    return config  # type: ignore[no-any-return]


def _identities(value: Any) -> list[str]:
    """Identity modules an expression of main.bicep names (`apiIdentity.outputs.principalId`, arrays of those)."""
    if isinstance(value, list):
        return [name for item in value for name in _identities(item)]
    if value == "principalId":
        return ["deployer"]
    if isinstance(value, dict) and (op := value.get("operator")) and op["type"] == "property_accessor":
        first = op["operands"]["operand_1"]
        return [first] if isinstance(first, str) else []
    return []


def _values(name: Any, tree: dict[str, Any]) -> list[Any]:
    """Constant values an expression stands for: a literal, a variable, `vars.key`, a loop's array items."""
    if isinstance(name, str) and name in tree.get("variables", {}):
        return _values(tree["variables"][name]["value"], tree)
    if isinstance(name, dict) and (op := name.get("operator")) and op["type"] == "property_accessor":
        base = tree.get("variables", {}).get(op["operands"]["operand_1"])
        key = op["operands"]["operand_2"]
        if base is not None and isinstance(base["value"], dict) and isinstance(key, str):
            return _values(base["value"].get(key), tree)
    if isinstance(name, list):
        return [v for item in name for v in _values(item, tree)]
    return [name]


def role_grants(main_rel: str = "infra/main.bicep", root: Path = ROOT) -> list[Grant]:
    """Every role assignment in the modules main.bicep calls, resolved to (identity, scope type, role)."""
    main = parse_bicep(root / main_rel)
    grants: list[Grant] = []
    for module in main.get("modules", {}).values():
        rel = str(Path(main_rel).parent / module["detail"]["path"])
        tree = parse_bicep(root / rel)
        passed = _body(module).get("params", {})
        for resource in tree.get("resources", {}).values():
            if resource["type"] != "Microsoft.Authorization/roleAssignments":
                continue
            body, where = _body(resource), f"{rel}:{resource['__start_line__']}"
            loop = resource["config"].get("loop_type") if isinstance(resource["config"], dict) else None
            loop_item = loop["detail"]["item_name"] if loop else None
            principal = body["properties"]["principalId"]
            param = loop["detail"]["array_name"] if loop and principal == loop_item else principal
            identities = _identities(passed.get(param))
            role_expr = body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
            if loop and role_expr == loop_item:
                role_expr = loop["detail"]["array_name"]
            scope_symbol = body.get("scope")
            scope = tree["resources"][scope_symbol]["type"] if scope_symbol in tree.get("resources", {}) else "?"
            for role_id in _values(role_expr, tree):
                role = ROLE_NAMES.get(role_id, f"unknown role {role_id!r}") if isinstance(role_id, str) else "?"
                grants += [Grant(identity, scope, role, where) for identity in identities or [f"<{param}>"]]
    return grants


def check_roles(grants: list[Grant]) -> list[str]:
    """Differences between the grants in infra/ and DESIGN, as sentences."""
    found: dict[tuple[str, str], set[str]] = {}
    for grant in grants:
        found.setdefault((grant.identity, grant.scope), set()).add(grant.role)
    problems = []
    for key in sorted(set(found) | set(DESIGN)):
        extra, missing = found.get(key, set()) - DESIGN.get(key, set()), DESIGN.get(key, set()) - found.get(key, set())
        identity, scope = key
        problems += [f"{identity} has {role} on {scope}, which the design does not give it" for role in sorted(extra)]
        problems += [f"{identity} lacks {role} on {scope}" for role in sorted(missing)]
    return problems
