"""The off-the-shelf tools that check infra/: pycep-parser (Bicep syntax), checkov (Bicep policies), shellcheck.

checkov lives in its own virtual environment (.venv-infra, made by `make infra-tools`): it pins packaging,
pycep-parser and dozens of other packages to versions that would fight requirements-dev.txt. It runs with its
network features off (no guideline or policy download, no version check), so it works offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / ".venv-infra" / "bin" / "checkov"))
# BC_SKIP_MAPPING: no guideline/ID mapping download; CKV_SKIP_PACKAGE_UPDATE_CHECK: no PyPI version check.
OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
_PARSER = BicepParser(add_line_numbers=True)


def parse_bicep(path: Path) -> dict[str, Any]:
    """pycep's JSON tree of one Bicep file.

    Raises:
        ValueError: the file is not valid Bicep (pycep's validator or its Lark grammar refused it).
    """
    try:
        return _PARSER.parse(text=path.read_text())
    except Exception as exc:  # lark raises several unrelated exception classes for bad input
        raise ValueError(f"{path}: {exc}") from exc


@dataclass(frozen=True)
class Finding:
    check_id: str
    file: str
    lines: tuple[int, int]
    resource: str
    name: str

    def __str__(self) -> str:
        return f"{self.check_id} {self.file}:{self.lines[0]}-{self.lines[1]} {self.resource}: {self.name}"


@dataclass(frozen=True)
class CheckovReport:
    failed: list[Finding]
    skipped: list[tuple[str, str, str]]  # (check id, resource, the reason written in the skip comment)
    passed: int
    parsing_errors: list[str]


def require(tool: Path | str) -> str:
    """The tool's path; a missing tool fails the test with the command that installs it (never a skip)."""
    found = shutil.which(str(tool))
    if found is None:
        raise AssertionError(f"{tool} is not installed: run `make infra-tools`")
    return found


def run_checkov(target: Path) -> CheckovReport:
    """checkov's Bicep checks on a directory or one file, offline."""
    flag = "-d" if target.is_dir() else "-f"
    cmd = [require(CHECKOV), flag, str(target), "--framework", "bicep", "--skip-download", "-o", "json"]
    env = {**os.environ, **OFFLINE}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    if not done.stdout.strip().startswith(("{", "[")):
        raise AssertionError(f"checkov printed no report (exit {done.returncode}): {done.stderr[-2000:]}")
    data = json.loads(done.stdout)
    reports = data if isinstance(data, list) else [data]
    bicep = next((r for r in reports if r.get("check_type") == "bicep"), None)
    if bicep is None:  # checkov prints a bare summary when it found nothing to scan
        raise AssertionError(f"checkov scanned no Bicep in {target}: {done.stdout[:500]}")
    results = bicep["results"]
    failed = [
        Finding(c["check_id"], c["file_path"], tuple(c["file_line_range"]), c["resource"], c["check_name"])  # type: ignore[arg-type]
        for c in results["failed_checks"]
    ]
    skipped = [
        (c["check_id"], c["resource"], c["check_result"].get("suppress_comment", "")) for c in results["skipped_checks"]
    ]
    return CheckovReport(failed, skipped, len(results["passed_checks"]), list(results.get("parsing_errors", [])))


def run_shellcheck(script: Path) -> list[str]:
    """shellcheck's findings for a POSIX sh script, one line each (file:line:column: level: message [SCnnnn])."""
    cmd = [require("shellcheck"), "--shell=sh", "--severity=style", "--format=gcc", str(script)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode not in (0, 1):
        raise AssertionError(f"shellcheck failed to run (exit {done.returncode}): {done.stderr}")
    return done.stdout.splitlines()
