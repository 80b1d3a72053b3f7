"""azure.yaml and infra/ pass the static checks, and each check catches the defect it is for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.checks import (
    ROOT,
    Project,
    check_app_settings,
    check_azure_yaml,
    check_dockerfile,
    check_modules,
    check_parameters,
    check_secrets,
    check_service_tags,
)


def test_parameters_file_matches_main_bicep() -> None:
    assert check_parameters(Project()) == []


def test_modules_exist_and_get_the_parameters_they_declare() -> None:
    assert check_modules(Project()) == []


def test_every_azd_service_is_tagged_exactly_once() -> None:
    assert check_service_tags(Project()) == []


def test_app_settings_match_what_the_code_reads() -> None:
    assert check_app_settings(Project()) == []


def test_secrets_only_travel_through_key_vault() -> None:
    assert check_secrets(Project()) == []


def test_azure_yaml_services_and_hooks_exist() -> None:
    assert check_azure_yaml(Project()) == []


def test_bridge_image_runs_as_non_root_with_a_healthcheck() -> None:
    service = Project().azure_yaml()["services"]["bridge"]
    dockerfile = Path(service["project"]) / service["docker"]["path"]
    if not (ROOT / dockerfile).exists():
        pytest.skip(f"{dockerfile} is not written yet (the bridge image is another change)")
    assert check_dockerfile((ROOT / dockerfile).read_text()) == []


# ------------------------------------------------------------------------------------------- planted defects


def _with(rel: str, old: str, new: str) -> Project:
    """The project with one replacement in one file (which must contain `old` exactly once)."""
    text = (ROOT / rel).read_text()
    assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
    return Project({rel: text.replace(old, new)})


def _reports(problems: list[str], *fragments: str) -> bool:
    return all(any(f in p for p in problems) for f in fragments)


def test_parameters_check_catches_an_undeclared_parameter() -> None:
    project = _with("infra/main.parameters.json", '"parameters": {', '"parameters": {\n "bogus": {"value": "1"},')
    assert _reports(check_parameters(project), "sets bogus")


def test_parameters_check_catches_a_required_parameter_without_value() -> None:
    project = _with("infra/main.parameters.json", '"azureOpenAiEndpoint"', '"azureOpenAiEndpointX"')
    assert _reports(check_parameters(project), "required parameter azureOpenAiEndpoint")


def test_parameters_check_catches_a_default_that_drifted_from_main_bicep() -> None:
    project = _with("infra/main.parameters.json", "${MAX_CALL_SECONDS=1800}", "${MAX_CALL_SECONDS=900}")
    assert _reports(check_parameters(project), "maxCallSeconds: default '900'")


def test_modules_check_catches_a_missing_module_file() -> None:
    project = _with("infra/main.bicep", "'modules/registry.bicep'", "'modules/regsitry.bicep'")
    assert _reports(check_modules(project), "points at modules/regsitry.bicep")


def test_modules_check_catches_a_misnamed_module_parameter() -> None:
    project = _with(
        "infra/main.bicep", "    deploymentContainerName: names.deploymentContainer\n  }", "    container: 'x'\n  }"
    )
    assert _reports(check_modules(project), "passes container", "omits required parameter deploymentContainerName")


def test_modules_check_catches_an_output_the_module_does_not_have() -> None:
    project = _with("infra/main.bicep", "storage.outputs.tableEndpoint", "storage.outputs.tablesEndpoint")
    assert _reports(check_modules(project), "storage.outputs.tablesEndpoint")


def test_service_tag_check_catches_a_tag_azure_yaml_does_not_know() -> None:
    project = _with(
        "infra/modules/function-app.bicep", "param serviceName string = 'api'", "param serviceName string = 'fn'"
    )
    assert _reports(check_service_tags(project), "'fn' is not a service", "service 'api'")


def test_settings_check_catches_a_setting_the_code_reads_but_infra_misses() -> None:
    project = _with("infra/main.bicep", "  DEFAULT_AGENT: defaultAgent\n", "")
    assert _reports(check_app_settings(project), "DEFAULT_AGENT is read by callcenter/config.py")


def test_settings_check_catches_a_setting_the_code_never_reads() -> None:
    project = _with(
        "infra/main.bicep", "  DEFAULT_AGENT: defaultAgent\n", "  DEFAULT_AGENT: defaultAgent\n  STALE: 'x'\n"
    )
    assert _reports(check_app_settings(project), "STALE is set in infra/")


def test_settings_check_reads_new_bridge_settings_from_its_source() -> None:
    project = _with("bridge/settings.py", '_int(env, "BRIDGE_PORT"', '_int(env, "BRIDGE_NEW_PORT"')
    assert _reports(check_app_settings(project), "BRIDGE_NEW_PORT is read", "BRIDGE_PORT is set in infra/")


def test_secret_check_catches_a_plain_function_app_secret() -> None:
    project = _with(
        "infra/modules/function-app.bicep",
        "CALL_TOKEN_SECRET: '@Microsoft.KeyVault(SecretUri=${callTokenSecretUri})'",
        "CALL_TOKEN_SECRET: callTokenSecretUri",
    )
    assert _reports(check_secrets(project), "secret CALL_TOKEN_SECRET")


def test_secret_check_catches_a_secure_parameter_used_as_a_setting() -> None:
    project = _with("infra/main.bicep", "  DEFAULT_AGENT: defaultAgent\n", "  DEFAULT_AGENT: functionAppKey\n")
    assert _reports(check_secrets(project), "var apiSettings uses ['functionAppKey']")


def test_secret_check_catches_a_plain_bridge_secret() -> None:
    project = _with("infra/modules/bridge.bicep", "secretRef: 'function-app-key'", "value: 'abc'")
    assert _reports(check_secrets(project), "bridge: secret FUNCTION_APP_KEY")


def test_secret_check_catches_a_secret_stored_in_the_container_app() -> None:
    project = _with("infra/modules/bridge.bicep", "keyVaultUrl: functionAppKeySecretUri", "value: 'abc'")
    assert _reports(check_secrets(project), "secret 'function-app-key' is stored in the app")


def test_secret_check_catches_keys_in_an_output() -> None:
    rel = "infra/modules/storage.bicep"
    project = Project({rel: (ROOT / rel).read_text() + "output dump string = account.listKeys().keys[0].value\n"})
    assert _reports(check_secrets(project), "output dump may expose a secret")


def test_azure_yaml_check_catches_a_missing_hook_script() -> None:
    project = _with("azure.yaml", "./infra/hooks/postdeploy.ps1", "./infra/hooks/gone.ps1")
    assert _reports(check_azure_yaml(project), "no windows script")


@pytest.mark.parametrize(
    ("dockerfile", "problem"),
    [
        ("FROM python:3.11-slim\nHEALTHCHECK CMD true\nCMD python -m bridge\n", "non-root USER"),
        ("FROM python:3.11-slim\nUSER app\nCMD python -m bridge\n", "no HEALTHCHECK"),
        ("FROM python AS build\nUSER app\nFROM python:3.11-slim\nHEALTHCHECK CMD true\n", "non-root USER"),
        ("FROM python:3.11-slim\nUSER root\nHEALTHCHECK NONE\n", "no HEALTHCHECK"),
    ],
)
def test_dockerfile_check_catches_root_or_missing_healthcheck(dockerfile: str, problem: str) -> None:
    assert _reports(check_dockerfile(dockerfile), problem)


def test_dockerfile_check_accepts_a_non_root_image_with_a_healthcheck() -> None:
    text = (
        "FROM python:3.11-slim\nRUN useradd -u 10001 app\nUSER 10001:10001\nHEALTHCHECK --interval=10s \\\n  CMD true\n"
    )
    assert check_dockerfile(text) == []
