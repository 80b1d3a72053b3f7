"""The azd template conventions: dev container, the workflow `azd pipeline config` expects, template metadata,
and a deploy guide that starts with the steps."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tests.infra.tools import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "azure-dev.yml"


def _workflow() -> dict[str, Any]:
    doc: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def _azure_yaml() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "azure.yaml").read_text())  # type: ignore[no-any-return]


def test_dev_container_has_python_311_node_20_azd_az_and_docker_in_docker() -> None:
    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert re.search(r"python:[\w.-]*3\.11", config["image"])
    features = {re.sub(r":[^/]*$", "", name): options for name, options in config["features"].items()}
    assert features["ghcr.io/devcontainers/features/node"]["version"] == "20"
    assert "ghcr.io/azure/azure-dev/azd" in features
    assert "ghcr.io/devcontainers/features/azure-cli" in features
    assert "ghcr.io/devcontainers/features/docker-in-docker" in features
    assert "make" in config["postCreateCommand"]


def test_workflow_logs_in_with_a_federated_credential_then_provisions_and_deploys() -> None:
    doc = _workflow()
    assert doc["permissions"] == {"id-token": "write", "contents": "read"}
    assert "workflow_dispatch" in doc["on"] and doc["on"]["push"]["branches"] == ["main"]
    (job,) = doc["jobs"].values()
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_ENV_NAME", "AZURE_LOCATION"):
        assert job["env"][name] == f"${{{{ vars.{name} }}}}"
    runs = [step.get("run", "") for step in job["steps"]]
    login = next(r for r in runs if "azd auth login" in r)
    assert '--federated-credential-provider "github"' in login and "client-secret" not in WORKFLOW.read_text()
    commands = [r.strip() for r in runs if r.strip().startswith(("azd provision", "azd deploy"))]
    assert commands == ["azd provision --no-prompt", "azd deploy --no-prompt"]
    provision = next(s for s in job["steps"] if s.get("run", "").startswith("azd provision"))
    assert provision["env"]["AZD_INITIAL_ENVIRONMENT_CONFIG"] == "${{ secrets.AZD_INITIAL_ENVIRONMENT_CONFIG }}"
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("azure/login@") for u in uses), "the postdeploy hook needs the Azure CLI signed in"


def test_workflow_passes_every_pipeline_variable_with_the_template_default() -> None:
    """azd pipeline config copies azure.yaml's pipeline variables; an unset one must fall back to its default."""
    pipeline = _azure_yaml()["pipeline"]
    (job,) = _workflow()["jobs"].values()
    params = json.loads((ROOT / "infra" / "main.parameters.json").read_text())["parameters"]
    defaults = {
        m["var"]: m["default"]
        for entry in params.values()
        if isinstance(entry.get("value"), str)
        and (m := re.fullmatch(r"\$\{(?P<var>\w+)(?:=(?P<default>[^}]*))?\}", entry["value"]))
    }
    for name in pipeline["variables"]:
        assert name in defaults, f"{name} feeds no parameter of main.parameters.json"
        expected = f"${{{{ vars.{name} || '{defaults[name]}' }}}}" if defaults[name] else f"${{{{ vars.{name} }}}}"
        assert job["env"][name] == expected
    provision = next(s for s in job["steps"] if s.get("run", "").startswith("azd provision"))
    for name in pipeline["secrets"]:
        assert provision["env"][name] == f"${{{{ secrets.{name} }}}}"


def test_azure_yaml_names_the_template() -> None:
    assert re.fullmatch(r"[a-z0-9-]+@\d+\.\d+\.\d+", _azure_yaml()["metadata"]["template"])


def test_deploy_guide_opens_with_the_deploy_steps() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text()
    first_section = re.search(r"^## (.+)$", text, re.MULTILINE)
    assert first_section is not None and first_section.group(1) == "Deploy"
    steps = text[first_section.end() : text.index("\n## ", first_section.end())]
    for command in ("azd auth login", "az login", "azd env new", "AZURE_OPENAI_ENDPOINT", "azd up"):
        assert command in steps, f"the Deploy section does not say `{command}`"
