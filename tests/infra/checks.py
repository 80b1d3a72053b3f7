"""Static checks of azure.yaml and infra/ that the tools cannot do, on pycep-parser's syntax tree.

checkov judges each resource on its own; these checks follow values across files: parameters against
main.parameters.json, module calls against the modules' parameters and outputs, app settings against what
callcenter/config.py and bridge/settings.py read, and where secrets may travel. Each check returns the
problems it found, as sentences naming the file and the setting or parameter, so test_infra.py can run it
on the real files (expect none) and on copies with a planted defect (expect it).

pycep gives a string literal and a symbol the same shape (a Python str); a str that names a parameter,
variable, resource or module of the file is read as that symbol.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pycep import BicepParser

from callcenter.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]

# Settings the Functions platform or azure-identity reads (not callcenter/config.py).
PLATFORM_SETTINGS = frozenset(
    {
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "AZURE_CLIENT_ID",
        "DURABLE_TASK_HUB",
        # Durable Task Scheduler backend (durableBackend parameter): host.json overrides and the connection.
        "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type",
        "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName",
        "DURABLE_TASK_SCHEDULER_CONNECTION_STRING",
    }
)
# Names that look like secrets but hold none, and why.
NOT_SECRET = {
    "DURABLE_TASK_SCHEDULER_CONNECTION_STRING": "an endpoint and a client id; the managed identity authenticates",
}
# Settings the code reads that Azure deliberately leaves unset, and why.
UNSET_ON_AZURE = {
    "CALLCENTER_TABLES_CONNECTION": "a connection string needs storage keys; Azure uses the endpoint + identity",
}
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|_KEY$|CONNECTION)")
_AZD_VALUE = re.compile(r"^\$\{(?P<var>[A-Za-z_][A-Za-z0-9_]*)(?:=(?P<default>[^}]*))?\}$")


Tree = dict[str, Any]
_PARSER = BicepParser()


@dataclass
class Project:
    """The deployment files of the repository, optionally with some texts replaced (to plant defects)."""

    overrides: dict[str, str] = field(default_factory=dict)

    def text(self, rel: str) -> str:
        return self.overrides[rel] if rel in self.overrides else (ROOT / rel).read_text()

    def exists(self, rel: str) -> bool:
        return rel in self.overrides or (ROOT / rel).exists()

    def bicep(self, rel: str) -> Tree:
        return _parse_cached(self.text(rel))

    def bicep_files(self) -> dict[str, Tree]:
        rels = {str(p.relative_to(ROOT)) for p in (ROOT / "infra").rglob("*.bicep")} | {
            r for r in self.overrides if r.endswith(".bicep")
        }
        return {rel: self.bicep(rel) for rel in sorted(rels)}

    def azure_yaml(self) -> dict[str, Any]:
        return yaml.safe_load(self.text("azure.yaml"))  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def _parse_cached(text: str) -> Tree:
    return _PARSER.parse(text=text)


def _rel(base: str, target: str) -> str:
    return str((ROOT / base).parent.joinpath(target).resolve().relative_to(ROOT))


# ------------------------------------------------------------------------------------------- the tree


def _section(tree: Tree, name: str) -> dict[str, Any]:
    return tree.get(name) or {}


def _symbols(tree: Tree) -> set[str]:
    return {n for s in ("parameters", "variables", "resources", "modules") for n in _section(tree, s)}


def _body(decl: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's own object, under its condition and loop wrappers."""
    config = decl.get("config", decl.get("value"))
    while isinstance(config, dict) and "config" in config and ("condition" in config or "loop_type" in config):
        config = config["config"]
    return config if isinstance(config, dict) else {}


def _literal(value: Any, tree: Tree) -> str | None:
    """The text of a literal (strings that name a symbol are not literals); None for expressions."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value not in _symbols(tree) and "${" not in value:
        return value
    return None


def _walk(value: Any) -> Iterator[Any]:
    """Every node of an expression, depth first."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict) and not ({"operator", "function", "loop_type"} & set(value))


def _module_params(module: dict[str, Any]) -> dict[str, Any]:
    params = _body(module).get("params")
    return params if isinstance(params, dict) else {}


def _module_rel(base: str, module: dict[str, Any]) -> str | None:
    """The file a module points at, or None for a registry module."""
    path = str(module.get("detail", {}).get("path") or module.get("detail", {}).get("full", ""))
    return None if path.startswith(("br:", "br/", "ts:", "ts/")) else _rel(base, path)


# ------------------------------------------------------------------------------------------- parameters


def _decorator(decl: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((d for d in decl.get("decorators", []) if d.get("type") == kind), None)


def check_parameters(project: Project) -> list[str]:
    main = project.bicep("infra/main.bicep")
    declared = _section(main, "parameters")
    values = json.loads(project.text("infra/main.parameters.json"))["parameters"]
    problems = [
        f"main.parameters.json sets {n}, which main.bicep does not declare" for n in values if n not in declared
    ]
    for name, decl in declared.items():
        metadata = _decorator(decl, "metadata")
        generated = bool(metadata) and metadata["argument"].get("azd", {}).get("type") == "generate"  # type: ignore[index]
        if decl.get("default") is None and name not in values and not generated:
            problems.append(f"required parameter {name} has no value in main.parameters.json")
    for name, entry in values.items():
        raw = entry.get("value")
        if not isinstance(raw, str) or "${" not in raw:
            continue
        match = _AZD_VALUE.match(raw)
        if match is None:
            problems.append(f"{name}: {raw!r} is not of the form ${{ENV_VAR}} or ${{ENV_VAR=default}}")
            continue
        default = _literal(declared[name].get("default"), main) if name in declared else None
        if match["default"] is not None and default is not None and match["default"] != default:
            problems.append(f"{name}: default {match['default']!r} in main.parameters.json, {default!r} in main.bicep")
    return problems


# ------------------------------------------------------------------------------------------- modules


def check_modules(project: Project) -> list[str]:
    problems: list[str] = []
    files = project.bicep_files()
    for rel, tree in files.items():
        modules = _section(tree, "modules")
        for symbol, module in modules.items():
            target = _module_rel(rel, module)
            if target is None:
                continue
            if not project.exists(target):
                problems.append(f"{rel}: module {symbol} points at {module['detail']['path']}, which does not exist")
                continue
            problems += _module_call_problems(rel, symbol, module, files.get(target) or project.bicep(target))
        for symbol, output in _output_uses(tree):
            module = modules.get(symbol)
            target = _module_rel(rel, module) if module else None
            if module is None or target is None or not project.exists(target):
                continue
            if output not in _section(files.get(target) or project.bicep(target), "outputs"):
                problems.append(f"{rel}: {symbol}.outputs.{output} is not an output of {module['detail']['path']}")
    return problems


def _output_uses(tree: Tree) -> set[tuple[str, str]]:
    """(module, output) pairs read anywhere in a file, in expressions and in string interpolations."""
    found: set[tuple[str, str]] = set()
    for node in _walk(tree):
        if isinstance(node, str):
            found.update(re.findall(r"\b(\w+)!?\.outputs\.(\w+)", node))
        elif isinstance(node, dict) and (op := node.get("operator")) and op.get("type") == "property_accessor":
            first, rest = op["operands"]["operand_1"], op["operands"]["operand_2"]
            inner = rest.get("operator") if isinstance(rest, dict) else None
            is_output = inner is not None and inner["type"] == "property_accessor"
            if isinstance(first, str) and is_output and inner["operands"]["operand_1"] == "outputs":  # type: ignore[index]
                name = inner["operands"]["operand_2"]  # type: ignore[index]
                while isinstance(name, dict):  # outputs.x.y: the output is x
                    name = name["operator"]["operands"]["operand_1"]
                found.add((first, str(name)))
    return found


def _module_call_problems(rel: str, symbol: str, module: dict[str, Any], target: Tree) -> list[str]:
    passed, declared, path = _module_params(module), _section(target, "parameters"), module["detail"]["path"]
    problems = [f"{rel}: module {symbol} passes {p}, not a parameter of {path}" for p in passed if p not in declared]
    for name, decl in declared.items():
        if decl.get("default") is None and name not in passed:
            problems.append(f"{rel}: module {symbol} omits required parameter {name} of {path}")
    return problems


# ------------------------------------------------------------------------------------------- azd services


def check_service_tags(project: Project) -> list[str]:
    services = set((project.azure_yaml().get("services") or {}).keys())
    main = project.bicep("infra/main.bicep")
    tagged: list[str] = []
    for rel, tree in project.bicep_files().items():
        for node in _walk({k: v for k, v in tree.items() if k != "outputs"}):
            if not isinstance(node, dict):
                continue
            for key, value in node.items():
                if key.strip("'") == "azd-service-name":
                    tagged.append(_resolve_literal(value, tree, main, rel) or f"<unresolved in {rel}>")
    problems = [f"azd-service-name {t!r} is not a service in azure.yaml" for t in tagged if t not in services]
    problems += [
        f"service {s!r} of azure.yaml is tagged {tagged.count(s)} times in infra/"
        for s in services
        if tagged.count(s) != 1
    ]
    return problems


def _resolve_literal(value: Any, tree: Tree, main: Tree, rel: str) -> str | None:
    """A literal, or a module parameter's value: passed by main.bicep's call, else its default."""
    if (literal := _literal(value, tree)) is not None:
        return literal
    params = _section(tree, "parameters")
    if not isinstance(value, str) or value not in params:
        return None
    for module in _section(main, "modules").values():
        if _module_rel("infra/main.bicep", module) == rel and value in (passed := _module_params(module)):
            return _literal(passed[value], main)
    return _literal(params[value].get("default"), tree)


# ------------------------------------------------------------------------------------------- app settings


def bridge_setting_names(source: str) -> set[str]:
    """Environment variable names bridge/settings.py reads: string constants shaped like one."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", node.value)
    }


@dataclass
class Setting:
    name: str
    value: Any  # the expression; None for an env entry without `value` (for example a secretRef)
    where: str
    entry: dict[str, Any] | None = None  # the Container Apps env entry


def _find_module(project: Project, resource_type: str) -> tuple[dict[str, Any], str, Tree]:
    main = project.bicep("infra/main.bicep")
    for module in _section(main, "modules").values():
        target = _module_rel("infra/main.bicep", module)
        if target is None:
            continue
        tree = project.bicep(target)
        if any(r["type"] == resource_type for r in _section(tree, "resources").values()):
            return module, target, tree
    raise AssertionError(f"no module of main.bicep declares a {resource_type}")


def _expand(
    value: Any, tree: Tree, rel: str, call: dict[str, Any], main: Tree, seen: frozenset[str] = frozenset()
) -> list[tuple[Any, str]]:
    """The object and array literals an expression stands for, following variables, conditionals, union()
    and concat(), and parameters to what main.bicep passes in. Returns (literal, file) pairs; a for-loop
    over `items(param)` stands for the object that parameter receives."""
    if _is_object(value):
        return [(value, rel)]
    if isinstance(value, list):
        return [found for item in value for found in _expand(item, tree, rel, call, main, seen)] or [([], rel)]
    if isinstance(value, str) and value not in seen:
        if value in _section(tree, "variables"):
            return _expand(tree["variables"][value]["value"], tree, rel, call, main, seen | {value})
        if value in _section(tree, "parameters") and value in (passed := _module_params(call)):
            return _expand(passed[value], main, "infra/main.bicep", {}, main, frozenset())
        return []
    if not isinstance(value, dict):
        return []
    if "loop_type" in value:
        source = value["loop_type"]["detail"]["array_name"]
        arg = source.get("function", {}).get("parameters", {}).get("arg_1") if isinstance(source, dict) else None
        return _expand(arg, tree, rel, call, main, seen) if arg is not None else []
    if (op := value.get("operator")) and op["type"] == "conditional":
        branches = (op["operands"]["true_value"], op["operands"]["false_value"])
        return [found for branch in branches for found in _expand(branch, tree, rel, call, main, seen)]
    if (fn := value.get("function")) and fn["type"] in ("union", "concat"):
        return [found for arg in fn["parameters"].values() for found in _expand(arg, tree, rel, call, main, seen)]
    return []


def function_app_settings(project: Project) -> list[Setting]:
    call, rel, tree = _find_module(project, "Microsoft.Web/sites")
    main = project.bicep("infra/main.bicep")
    configs = [r for r in _section(tree, "resources").values() if r["type"] == "Microsoft.Web/sites/config"]
    app_settings = [r for r in configs if _body(r).get("name") == "appsettings"]
    assert app_settings, f"{rel} has no sites/config 'appsettings' resource"
    props = _body(app_settings[0])["properties"]
    return [
        Setting(key, value, where)
        for obj, where in _expand(props, tree, rel, call, main)
        if isinstance(obj, dict)
        for key, value in obj.items()
    ]


def bridge_settings(project: Project) -> tuple[list[Setting], list[dict[str, Any]]]:
    call, rel, tree = _find_module(project, "Microsoft.App/containerApps")
    main = project.bicep("infra/main.bicep")
    app = next(r for r in _section(tree, "resources").values() if r["type"] == "Microsoft.App/containerApps")
    properties = _body(app)["properties"]
    settings: list[Setting] = []
    for container in properties["template"]["containers"]:
        for found, where in _expand(container["env"], tree, rel, call, main):
            if where != rel and isinstance(found, dict):  # a settings object passed from main.bicep
                settings += [Setting(key, value, where) for key, value in found.items()]
            elif isinstance(found, dict) and isinstance(found.get("name"), str):
                settings.append(Setting(found["name"], found.get("value"), where, found))
    secrets = [s for s, _ in _expand(properties["configuration"]["secrets"], tree, rel, call, main) if s]
    return settings, secrets


def check_app_settings(project: Project) -> list[str]:
    code = {s.name for s in SETTINGS}
    problems = [
        f"UNSET_ON_AZURE names {n}, which callcenter/config.py no longer declares"
        for n in UNSET_ON_AZURE
        if n not in code
    ]
    infra = {s.name for s in function_app_settings(project)}
    problems += [
        f"function app: {n} is read by callcenter/config.py but not set in infra/"
        for n in sorted(code - infra - set(UNSET_ON_AZURE))
    ]
    problems += [
        f"function app: {n} is set in infra/ but not declared in callcenter/config.py"
        for n in sorted(infra - code - PLATFORM_SETTINGS)
    ]
    problems += [
        f"function app: {n} is set although UNSET_ON_AZURE says it must not be"
        for n in sorted(infra & set(UNSET_ON_AZURE))
    ]
    read = bridge_setting_names(project.text("bridge/settings.py"))
    env = {s.name for s in bridge_settings(project)[0]}
    problems += [f"bridge: {n} is read by bridge/settings.py but not set in infra/" for n in sorted(read - env)]
    problems += [
        f"bridge: {n} is set in infra/ but bridge/settings.py never reads it"
        for n in sorted(env - read - {"AZURE_CLIENT_ID"})
    ]
    return problems


# ------------------------------------------------------------------------------------------- secrets


def _is_secret(name: str) -> bool:
    return name in {s.name for s in SETTINGS if s.secret} or bool(_SECRET_NAME.search(name))


def _value_strings(value: Any) -> list[str]:
    """The strings an expression can evaluate to (both branches of a conditional), not its conditions."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and (op := value.get("operator")) and op["type"] == "conditional":
        return _value_strings(op["operands"]["true_value"]) + _value_strings(op["operands"]["false_value"])
    return []


def check_secrets(project: Project) -> list[str]:
    problems: list[str] = []
    for s in function_app_settings(project):
        if not _is_secret(s.name) or s.name.startswith("APPLICATIONINSIGHTS_") or s.name in NOT_SECRET:
            continue
        strings = _value_strings(s.value)
        if not any(v.startswith("@Microsoft.KeyVault(SecretUri=") for v in strings) or any(
            v and not v.startswith("@Microsoft.KeyVault(") for v in strings
        ):
            problems.append(f"function app: secret {s.name} ({s.where}) is not a Key Vault reference")
    env, secrets = bridge_settings(project)
    for s in env:
        # As for the function app: the App Insights connection string names the component; with local
        # auth disabled, ingestion needs the bridge's Entra token, so it is not a secret.
        if s.name.startswith("APPLICATIONINSIGHTS_"):
            continue
        if _is_secret(s.name) and (s.entry is None or "secretRef" not in s.entry or s.value is not None):
            problems.append(f"bridge: secret {s.name} ({s.where}) is a plain value, not a secretRef")
    for obj in secrets:
        if "keyVaultUrl" not in obj or "value" in obj:
            problems.append(f"bridge: secret {obj.get('name')!r} is stored in the app, not a keyVaultUrl")
    for rel, tree in project.bicep_files().items():
        problems += _secure_flow_problems(project, rel, tree)
        for name, out in _section(tree, "outputs").items():
            listed = _list_calls(out.get("value"))
            if (
                re.search(r"(?i)(secret|key|password|connectionstring)(?!.*(uri|url|name|id|endpoint)$)", name)
                or listed
            ):
                problems.append(f"{rel}: output {name} may expose a secret")
    return problems


def _list_calls(value: Any) -> set[str]:
    """list*() calls (keys, connection strings) anywhere in an expression."""
    names: set[str] = set()
    for node in _walk(value):
        if isinstance(node, dict) and (op := node.get("operator")) and op.get("type") == "function_accessor":
            names.add(op["operands"]["func_name"])
        elif isinstance(node, dict) and (fn := node.get("function")):
            names.add(_camel(fn["type"]))
    return {n for n in names if re.fullmatch(r"list[A-Z]\w*", n)}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def _secure_uses(value: Any, secure: set[str]) -> set[str]:
    """Secure parameters an expression uses for their value; `empty(p)` only tests presence, so it is fine."""
    if isinstance(value, str):
        if value in secure:
            return {value}
        inside = " ".join(re.findall(r"\$\{([^}]*)\}", value))
        return {name for name in secure if re.search(rf"\b{name}\b", inside)}
    if isinstance(value, dict):
        if (fn := value.get("function")) and fn.get("type") == "empty":
            return set()
        return {name for item in value.values() for name in _secure_uses(item, secure)}
    if isinstance(value, list):
        return {name for item in value for name in _secure_uses(item, secure)}
    return set()


def _secure_flow_problems(project: Project, rel: str, tree: Tree) -> list[str]:
    """A @secure() parameter may only become a Key Vault secret or another module's @secure() parameter; list*()
    results (keys) may only go into Key Vault or the Log Analytics key of the Container Apps environment."""
    params = _section(tree, "parameters")
    secure = {name for name, decl in params.items() if _decorator(decl, "secure") is not None}
    problems: list[str] = []
    for module in _section(tree, "modules").values():
        target_rel = _module_rel(rel, module)
        if target_rel is None or not project.exists(target_rel):
            continue
        target = _section(project.bicep(target_rel), "parameters")
        for param, value in _module_params(module).items():
            if _secure_uses(value, secure) and (param not in target or _decorator(target[param], "secure") is None):
                problems.append(
                    f"{rel}: secure value passed to non-secure parameter {param} of {module['detail']['path']}"
                )
    decls = [("var", n, d.get("value")) for n, d in _section(tree, "variables").items()]
    decls += [
        ("resource", n, d.get("config"))
        for n, d in _section(tree, "resources").items()
        if d["type"] not in ("Microsoft.KeyVault/vaults/secrets", "Microsoft.App/managedEnvironments")
    ]
    decls += [("output", n, d.get("value")) for n, d in _section(tree, "outputs").items()]
    for kind, name, value in decls:
        leaked, listed = _secure_uses(value, secure), _list_calls(value)
        if leaked or listed:
            problems.append(f"{rel}: {kind} {name} uses {sorted(leaked | listed)} outside Key Vault")
    return problems


# ------------------------------------------------------------------------------------------- the bridge image


def check_dockerfile(text: str) -> list[str]:
    lines = [
        ln.strip() for ln in re.sub(r"\\\n", " ", text).splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    last_stage = max((i for i, ln in enumerate(lines) if ln.upper().startswith("FROM ")), default=0)
    users = [ln.split(None, 1)[1].strip() for ln in lines[last_stage:] if ln.upper().startswith("USER ")]
    problems = []
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("bridge/Dockerfile: the final stage does not switch to a non-root USER")
    checks = [ln for ln in lines if ln.upper().startswith("HEALTHCHECK")]
    if not checks or checks[-1].upper().split()[1:2] == ["NONE"]:
        problems.append("bridge/Dockerfile: no HEALTHCHECK")
    return problems


def check_azure_yaml(project: Project) -> list[str]:
    doc, problems = project.azure_yaml(), []
    for name, service in (doc.get("services") or {}).items():
        if not project.exists(project_dir := str(Path(service.get("project", ".")))):
            problems.append(f"azure.yaml: service {name} project {project_dir} does not exist")
    for hook, config in (doc.get("hooks") or {}).items():
        for platform in ("posix", "windows"):
            run = (config.get(platform) or {}).get("run", "")
            if not run or not project.exists(str(Path(run))):
                problems.append(f"azure.yaml: {hook} hook has no {platform} script ({run or 'missing'})")
    return problems
