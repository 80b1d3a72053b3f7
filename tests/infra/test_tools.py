"""infra/ passes pycep-parser, checkov and shellcheck, and each tool catches a defect planted in a copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.infra.tools import ROOT, CheckovReport, parse_bicep, run_checkov, run_shellcheck

BICEP_FILES = sorted((ROOT / "infra").rglob("*.bicep"))
POSTDEPLOY = ROOT / "infra" / "hooks" / "postdeploy.sh"


@pytest.fixture(scope="session")
def checkov_report() -> CheckovReport:
    """One checkov run over infra/ per test session (it takes tens of seconds)."""
    return run_checkov(ROOT / "infra")


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_bicep_file_parses(path: Path) -> None:
    tree = parse_bicep(path)
    assert tree.get("resources") or tree.get("modules"), f"{path} declares nothing"


def test_bicep_parser_rejects_a_planted_syntax_error(tmp_path: Path) -> None:
    copy = tmp_path / "storage.bicep"
    text = (ROOT / "infra/modules/storage.bicep").read_text()
    copy.write_text(text.replace("kind: 'StorageV2'", "kind 'StorageV2'", 1))
    with pytest.raises(ValueError, match=r"storage\.bicep"):
        parse_bicep(copy)


def test_checkov_finds_no_failed_check_in_infra(checkov_report: CheckovReport) -> None:
    assert checkov_report.parsing_errors == []
    assert checkov_report.passed > 0
    assert [str(f) for f in checkov_report.failed] == []


def test_every_checkov_skip_gives_a_reason(checkov_report: CheckovReport) -> None:
    unexplained = [(c, r) for c, r, why in checkov_report.skipped if len(why.strip()) < 20]
    assert unexplained == []


def test_checkov_reports_a_planted_plain_http_storage_account(tmp_path: Path) -> None:
    copy = tmp_path / "storage.bicep"
    text = (ROOT / "infra/modules/storage.bicep").read_text()
    copy.write_text(text.replace("supportsHttpsTrafficOnly: true", "supportsHttpsTrafficOnly: false", 1))
    report = run_checkov(copy)
    assert {f.check_id for f in report.failed} == {"CKV_AZURE_3"}


def test_postdeploy_hook_is_shellcheck_clean() -> None:
    assert run_shellcheck(POSTDEPLOY) == []


def test_shellcheck_reports_a_planted_unquoted_variable(tmp_path: Path) -> None:
    copy = tmp_path / "postdeploy.sh"
    shutil.copy(POSTDEPLOY, copy)
    text = copy.read_text()
    copy.write_text(text.replace('rm -f "$body"\nlog', "rm -f $body\nlog", 1))
    assert any("SC2086" in line for line in run_shellcheck(copy))
