"""Static checks of azure.yaml and infra/ (the Bicep compiler cannot run here).

Each check returns the problems it found, as sentences naming the file and the setting or parameter, so
test_infra.py can run it on the real files (expect none) and on copies with a planted defect (expect it).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from callcenter.config import SETTINGS
from tests.infra.bicep import BicepFile, Decl, Expr, Obj, parse

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


@dataclass
class Project:
    """The deployment files of the repository, optionally with some texts replaced (to plant defects)."""

    overrides: dict[str, str] = field(default_factory=dict)

    def text(self, rel: str) -> str:
        return self.overrides[rel] if rel in self.overrides else (ROOT / rel).read_text()

    def exists(self, rel: str) -> bool:
        return rel in self.overrides or (ROOT / rel).exists()

    def bicep(self, rel: str) -> BicepFile:
        return _parse_cached(self.text(rel), rel)

    def bicep_files(self) -> dict[str, BicepFile]:
        rels = {str(p.relative_to(ROOT)) for p in (ROOT / "infra").rglob("*.bicep")} | {
            r for r in self.overrides if r.endswith(".bicep")
        }
        return {rel: self.bicep(rel) for rel in sorted(rels)}

    def azure_yaml(self) -> dict:
        return yaml.safe_load(self.text("azure.yaml"))


@lru_cache(maxsize=256)
def _parse_cached(text: str, rel: str) -> BicepFile:
    return parse(text, Path(rel))


def _rel(base: str, target: str) -> str:
    return str((ROOT / base).parent.joinpath(target).resolve().relative_to(ROOT))


def _secure_param_names(project: Project) -> dict[str, set[str]]:
    return {rel: f.secure_params() for rel, f in project.bicep_files().items()}


# ------------------------------------------------------------------------------------------- parameters


def check_parameters(project: Project) -> list[str]:
    main = project.bicep("infra/main.bicep")
    values = json.loads(project.text("infra/main.parameters.json"))["parameters"]
    problems = [
        f"main.parameters.json sets {n}, which main.bicep does not declare" for n in values if n not in main.params
    ]
    for name, decl in main.params.items():
        generated = _azd_metadata_type(decl) == "generate"
        if decl.value is None and name not in values and not generated:
            problems.append(f"required parameter {name} has no value in main.parameters.json")
    for name, entry in values.items():
        raw = entry.get("value")
        if not isinstance(raw, str) or "${" not in raw:
            continue
        match = _AZD_VALUE.match(raw)
        if match is None:
            problems.append(f"{name}: {raw!r} is not of the form ${{ENV_VAR}} or ${{ENV_VAR=default}}")
            continue
        decl = main.params.get(name)
        default = decl.value.literal() if decl and decl.value else None
        if match["default"] is not None and default is not None and match["default"] != default:
            problems.append(f"{name}: default {match['default']!r} in main.parameters.json, {default!r} in main.bicep")
    return problems


def _azd_metadata_type(decl: Decl) -> str | None:
    deco = decl.decorator("metadata")
    obj = next(deco.objects(), None) if deco else None
    azd = obj.items.get("azd") if obj else None
    azd_obj = azd.obj() if azd else None
    kind = azd_obj.items.get("type") if azd_obj else None
    return kind.literal() if kind else None


# ------------------------------------------------------------------------------------------- modules


def check_modules(project: Project) -> list[str]:
    problems: list[str] = []
    files = project.bicep_files()
    for rel, bicep in files.items():
        for mod in bicep.modules:
            if mod.target.startswith(("br:", "br/", "ts:", "ts/")):
                continue
            target = _rel(rel, mod.target)
            if not project.exists(target):
                problems.append(f"{rel}: module {mod.name} points at {mod.target}, which does not exist")
                continue
            problems += _module_call_problems(rel, mod, files.get(target) or project.bicep(target))
        for symbol, output in re.findall(r"\b(\w+)!?\.outputs\.(\w+)", project.text(rel)):
            mod = next((m for m in bicep.modules if m.name == symbol), None)
            if mod is None or not project.exists(target := _rel(rel, mod.target)):
                continue
            if output not in (files.get(target) or project.bicep(target)).outputs:
                problems.append(f"{rel}: {symbol}.outputs.{output} is not an output of {mod.target}")
    return problems


def _module_call_problems(rel: str, mod: Decl, target: BicepFile) -> list[str]:
    params = _module_params(mod)
    problems = [
        f"{rel}: module {mod.name} passes {p}, not a parameter of {mod.target}"
        for p in params
        if p not in target.params
    ]
    for name, decl in target.params.items():
        if decl.value is None and name not in params:
            problems.append(f"{rel}: module {mod.name} omits required parameter {name} of {mod.target}")
    return problems


def _module_params(mod: Decl) -> dict[str, Expr]:
    body = mod.body
    params = body.items.get("params") if body else None
    obj = params.obj() if params else None
    return obj.items if obj else {}


# ------------------------------------------------------------------------------------------- azd services


def check_service_tags(project: Project) -> list[str]:
    services = set((project.azure_yaml().get("services") or {}).keys())
    main = project.bicep("infra/main.bicep")
    tagged: list[str] = []
    for rel, bicep in project.bicep_files().items():
        for decl in bicep.decls:
            for obj in _all_objects(decl.value):
                if "azd-service-name" not in obj.items:
                    continue
                value = obj.items["azd-service-name"]
                tagged.append(_resolve_literal(value, bicep, main, rel) or f"<unresolved in {rel}>")
    problems = [f"azd-service-name {t!r} is not a service in azure.yaml" for t in tagged if t not in services]
    problems += [
        f"service {s!r} of azure.yaml is tagged {tagged.count(s)} times in infra/"
        for s in services
        if tagged.count(s) != 1
    ]
    return problems


def _all_objects(expr: Expr | None) -> list[Obj]:
    found: list[Obj] = []
    if expr is None:
        return found
    for obj in expr.objects():
        found.append(obj)
        for value in obj.items.values():
            found += _all_objects(value)
    return found


def _resolve_literal(expr: Expr, bicep: BicepFile, main: BicepFile, rel: str) -> str | None:
    """A literal, or a module parameter's value: passed by main.bicep's call, else its default."""
    if (literal := expr.literal()) is not None:
        return literal
    names = [t.text for t in expr.tokens() if t.kind == "name"]
    if len(names) != 1 or names[0] not in bicep.params:
        return None
    for mod in main.modules:
        if _rel("infra/main.bicep", mod.target) == rel and names[0] in (passed := _module_params(mod)):
            return passed[names[0]].literal()
    default = bicep.params[names[0]].value
    return default.literal() if default else None


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
    value: Expr | None  # None: an env entry that has no `value` (for example a secretRef)
    where: str
    entry: Obj | None = None  # the Container Apps env entry


def _find_module(project: Project, resource_type: str) -> tuple[Decl, str, BicepFile]:
    main = project.bicep("infra/main.bicep")
    for mod in main.modules:
        target = _rel("infra/main.bicep", mod.target)
        bicep = project.bicep(target)
        if any(r.target.split("@")[0] == resource_type for r in bicep.resources):
            return mod, target, bicep
    raise AssertionError(f"no module of main.bicep declares a {resource_type}")


def _expand(
    expr: Expr, bicep: BicepFile, call: Decl, main: BicepFile, seen: frozenset[str] = frozenset()
) -> list[tuple[Obj, str]]:
    """Object literals an expression stands for, following this file's vars and, for parameters, the
    variables main.bicep passes in. Returns (object, file) pairs."""
    found = [(obj, str(bicep.path)) for obj in expr.objects()]
    for name in expr.top_names() - seen:
        if name in bicep.vars and (value := bicep.vars[name].value) is not None:
            found += _expand(value, bicep, call, main, seen | {name})
        elif name in bicep.params and (passed := _module_params(call).get(name)) is not None:
            var = main.vars.get(passed.parts[0].text) if len(passed.parts) == 1 else None  # type: ignore[union-attr]
            if var is not None and var.value is not None:
                found += [(obj, "infra/main.bicep") for obj in var.value.objects()]
    return found


def function_app_settings(project: Project) -> list[Setting]:
    call, rel, bicep = _find_module(project, "Microsoft.Web/sites")
    main = project.bicep("infra/main.bicep")
    config = [r for r in bicep.resources if r.target.startswith("Microsoft.Web/sites/config@")]
    app_settings = [r for r in config if r.body and (n := r.body.items.get("name")) and n.literal() == "appsettings"]
    assert app_settings, f"{rel} has no sites/config 'appsettings' resource"
    props = app_settings[0].body.items["properties"]  # type: ignore[union-attr]
    return [Setting(k, v, where) for obj, where in _expand(props, bicep, call, main) for k, v in obj.items.items()]


def bridge_settings(project: Project) -> tuple[list[Setting], list[Obj]]:
    call, rel, bicep = _find_module(project, "Microsoft.App/containerApps")
    main = project.bicep("infra/main.bicep")
    app = next(r for r in bicep.resources if r.target.startswith("Microsoft.App/containerApps@"))
    settings: list[Setting] = []
    template = app.body.items["properties"].obj().items["template"].obj()  # type: ignore[union-attr]
    for container in template.items["containers"].objects():  # type: ignore[union-attr]
        for obj, where in _expand(container.items["env"], bicep, call, main):
            if "name" in obj.items and where == rel:
                if obj.items["name"].literal() is None:  # the for-body turning main's settings object into env
                    continue
                settings.append(Setting(obj.items["name"].literal() or "", obj.items.get("value"), where, obj))
            elif where != rel:  # a settings object passed from main.bicep, turned into env entries
                settings += [Setting(k, v, where) for k, v in obj.items.items()]
    configuration = app.body.items["properties"].obj().items["configuration"].obj()  # type: ignore[union-attr]
    secrets = [obj for obj, _ in _expand(configuration.items["secrets"], bicep, call, main)]  # type: ignore[union-attr]
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


def check_secrets(project: Project) -> list[str]:
    problems: list[str] = []
    for s in function_app_settings(project):
        if not _is_secret(s.name) or s.name.startswith("APPLICATIONINSIGHTS_") or s.name in NOT_SECRET:
            continue
        strings = [t.value for t in s.value.strings()] if s.value else []
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
        if _is_secret(s.name) and (s.entry is None or "secretRef" not in s.entry.items or s.value is not None):
            problems.append(f"bridge: secret {s.name} ({s.where}) is a plain value, not a secretRef")
    for obj in secrets:
        if "keyVaultUrl" not in obj.items or "value" in obj.items:
            name = obj.items["name"].literal() if "name" in obj.items else None
            problems.append(f"bridge: secret {name!r} is stored in the app, not a keyVaultUrl")
    for rel, bicep in project.bicep_files().items():
        problems += _secure_flow_problems(project, rel, bicep)
        for name, out in bicep.outputs.items():
            used = out.value.identifiers() if out.value else set()
            if re.search(r"(?i)(secret|key|password|connectionstring)(?!.*(uri|url|name|id|endpoint)$)", name) or any(
                u.startswith("list") for u in used
            ):
                problems.append(f"{rel}: output {name} may expose a secret")
    return problems


def _secure_flow_problems(project: Project, rel: str, bicep: BicepFile) -> list[str]:
    """A @secure() parameter may only become a Key Vault secret or another module's @secure() parameter; list*()
    results (keys) may only go into Key Vault or the Log Analytics key of the Container Apps environment."""
    secure, problems = bicep.secure_params(), []
    for decl in bicep.decls:
        if decl.kind == "param" or decl.value is None:
            continue
        kind = decl.target.split("@")[0]
        if kind in ("Microsoft.KeyVault/vaults/secrets", "Microsoft.App/managedEnvironments"):
            continue
        if decl.kind == "module":
            target = project.bicep(_rel(rel, decl.target))
            for param, value in _module_params(decl).items():
                if value.identifiers() & secure and param not in target.secure_params():
                    problems.append(f"{rel}: secure value passed to non-secure parameter {param} of {decl.target}")
            continue
        leaked = _secure_uses(decl.value, secure)
        listed = {n for n in decl.value.identifiers() if re.fullmatch(r"list[A-Z]\w*", n)}
        if leaked or listed:
            problems.append(f"{rel}: {decl.kind} {decl.name} uses {sorted(leaked | listed)} outside Key Vault")
    return problems


def _secure_uses(expr: Expr, secure: set[str]) -> set[str]:
    """Secure parameters an expression uses for their value; `empty(p)` only tests presence, so it is fine."""
    toks = list(expr.tokens())
    used = {name for t in toks for inner in t.interpolations for name in secure if re.search(rf"\b{name}\b", inner)}
    for i, tok in enumerate(toks):
        if tok.kind == "name" and tok.text in secure:
            guarded = i >= 2 and toks[i - 2].text == "empty" and toks[i - 1].text == "(" and toks[i + 1 : i + 2]
            if not (guarded and toks[i + 1].text == ")"):
                used.add(tok.text)
    return used


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
