"""Identities, roles and the Durable Functions backend in infra/ follow the design (read from pycep's tree)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.infra.design import check_roles, role_grants
from tests.infra.tools import ROOT, parse_bicep

OVERRIDE = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__"


def _copy_infra(tmp_path: Path, rel: str, old: str, new: str) -> Path:
    shutil.copytree(ROOT / "infra", tmp_path / "infra")
    path = tmp_path / rel
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} should occur once in {rel}"
    path.write_text(text.replace(old, new))
    return tmp_path


def test_each_identity_holds_exactly_the_roles_of_the_design() -> None:
    assert check_roles(role_grants()) == []


def test_role_check_catches_a_role_given_to_the_wrong_identity(tmp_path: Path) -> None:
    root = _copy_infra(
        tmp_path,
        "infra/main.bicep",
        "    apiPrincipalId: apiIdentity.outputs.principalId\n  }\n}\n\nmodule functionApp",
        "    apiPrincipalId: bridgeIdentity.outputs.principalId\n  }\n}\n\nmodule functionApp",
    )
    problems = check_roles(role_grants(root=root))
    assert "bridgeIdentity has Durable Task Data Contributor on Microsoft.DurableTask/schedulers" in " ".join(problems)
    assert "apiIdentity lacks Durable Task Data Contributor" in " ".join(problems)


def test_role_check_catches_a_broader_role(tmp_path: Path) -> None:
    root = _copy_infra(
        tmp_path,
        "infra/modules/role-assignments.bicep",
        "  roles.storageQueueDataContributor\n",
        "  roles.contributor\n",
    )
    problems = check_roles(role_grants(root=root))
    assert "apiIdentity has Contributor on Microsoft.Storage/storageAccounts" in " ".join(problems)


def _module(tree: dict[str, Any], path: str) -> dict[str, Any]:
    module = next(m for m in tree["modules"].values() if m["detail"]["path"] == path)
    config = module["config"]
    return config.get("config", config) if "condition" in config else config  # type: ignore[no-any-return]


def test_durable_task_scheduler_is_an_option_and_azure_storage_stays_the_default() -> None:
    main = parse_bicep(ROOT / "infra/main.bicep")
    backend = main["parameters"]["durableBackend"]
    allowed = next(d["argument"] for d in backend["decorators"] if d["type"] == "allowed")
    assert backend["default"] == "AzureStorage" and set(allowed) == {"AzureStorage", "DurableTaskScheduler"}
    assert main["variables"]["useDurableTaskScheduler"]["value"]["operator"] == {
        "type": "equals",
        "operands": {"operand_1": "durableBackend", "operand_2": "DurableTaskScheduler"},
    }
    scheduler = main["modules"]["durableScheduler"]["config"]
    assert scheduler["condition"] == "useDurableTaskScheduler"
    # The task hub the scheduler creates is the one the app's DURABLE_TASK_HUB (host.json's hubName) names.
    assert scheduler["config"]["params"]["taskHubName"] == "durableTaskHub"
    assert main["variables"]["apiSettings"]["value"]["DURABLE_TASK_HUB"] == "durableTaskHub"
    endpoint = _module(main, "modules/function-app.bicep")["params"]["durableTaskSchedulerEndpoint"]
    assert endpoint["operator"]["type"] == "conditional"
    assert endpoint["operator"]["operands"]["condition"] == "useDurableTaskScheduler"
    assert endpoint["operator"]["operands"]["true_value"]["operator"]["operands"]["operand_1"] == "durableScheduler"
    assert endpoint["operator"]["operands"]["false_value"] == ""


def test_function_app_switches_host_json_to_the_scheduler_only_with_an_endpoint() -> None:
    app = parse_bicep(ROOT / "infra/modules/function-app.bicep")
    config = app["variables"]["durableTaskSchedulerConfig"]["value"]
    assert config[OVERRIDE + "type"] == "azureManaged"
    connection = config[OVERRIDE + "connectionStringName"]
    assert config[connection].startswith("Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;")
    assert "ClientID=${identityClientId}" in config[connection]
    chosen = app["variables"]["durableTaskSchedulerSettings"]["value"]["operator"]["operands"]
    assert chosen["condition"]["function"]["parameters"]["item_to_test"] == "durableTaskSchedulerEndpoint"
    assert chosen["true_value"] == {} and chosen["false_value"] == "durableTaskSchedulerConfig"
    merged = app["resources"]["appSettings"]["config"]["properties"]["function"]["parameters"]
    assert "durableTaskSchedulerSettings" in merged.values()


def test_host_json_names_no_storage_provider_so_the_default_and_the_local_stack_use_azure_storage() -> None:
    durable = json.loads((ROOT / "host.json").read_text())["extensions"]["durableTask"]
    assert durable["hubName"] == "%DURABLE_TASK_HUB%"
    assert "storageProvider" not in durable
