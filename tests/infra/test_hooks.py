"""The PowerShell postdeploy hook takes the same steps as the POSIX one (the two are kept by hand)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.infra.tools import ROOT

SH = ROOT / "infra" / "hooks" / "postdeploy.sh"
PS1 = ROOT / "infra" / "hooks" / "postdeploy.ps1"


@dataclass(frozen=True)
class Steps:
    az_calls: list[tuple[str, frozenset[str]]]  # ("keyvault secret show", {"--vault-name", ...}) in order
    required_env: set[str]
    urls: set[str]
    messages: list[str]  # what the hook logs or fails with, variables blanked


def _joined(text: str, continuation: str) -> list[str]:
    """Lines with continuations joined and comments dropped."""
    text = re.sub(re.escape(continuation) + r"\n\s*", " ", text)
    return [ln for ln in (line.strip() for line in text.splitlines()) if ln and not ln.startswith("#")]


def _az_calls(lines: list[str]) -> list[tuple[str, frozenset[str]]]:
    calls = []
    for line in lines:
        # `az` where a command starts (not inside a message such as "run 'az login'")
        for match in re.finditer(r"(?:^|[=(]\s*|\b(?:until|if)\s+)az ((?:[a-z]+ ?)+)(.*)", line):
            words = match.group(1).strip()
            args = re.split(r"\)|&&|;", match.group(2))[0]  # the command's own arguments, not what follows it
            flags = frozenset(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", args))
            calls.append((words, flags))
    return calls


def _messages(text: str) -> list[str]:
    quoted = re.findall(r"""(?:log|Log|fail|throw)\s+["']((?:postdeploy: )?[^"']+)["']""", text)
    return [re.sub(r"\$\{?\w+\}?", "$", m.removeprefix("postdeploy: ")) for m in quoted]


def _urls(text: str) -> set[str]:
    found = re.findall(r"https://management\.azure\.com/\S+?api-version=[\d-]+", text)
    return {re.sub(r"\$\{?\w+\}?", "$", url) for url in found}


def sh_steps(text: str) -> Steps:
    lines = _joined(text, "\\")
    return Steps(
        _az_calls(lines),
        set(re.findall(r':\s+"\$\{(\w+):\?', text)),
        _urls(text),
        _messages(text),
    )


def ps1_steps(text: str) -> Steps:
    lines = _joined(text, "`")
    required = re.search(r"foreach \(\$name in ([^)]*)\)", text)
    return Steps(
        _az_calls(lines),
        set(re.findall(r"'(\w+)'", required.group(1))) if required else set(),
        _urls(text),
        _messages(text),
    )


def _differences(sh: Steps, ps1: Steps) -> list[str]:
    problems = []
    if [c for c, _ in sh.az_calls] != [c for c, _ in ps1.az_calls]:
        problems.append(f"az commands differ: {[c for c, _ in sh.az_calls]} vs {[c for c, _ in ps1.az_calls]}")
    else:
        problems += [
            f"az {cmd}: options {sorted(a)} vs {sorted(b)}"
            for (cmd, a), (_, b) in zip(sh.az_calls, ps1.az_calls, strict=True)
            if a != b
        ]
    if sh.required_env != ps1.required_env:
        problems.append(f"required settings differ: {sorted(sh.required_env ^ ps1.required_env)}")
    if sh.urls != ps1.urls:
        problems.append(f"management URLs differ: {sorted(sh.urls ^ ps1.urls)}")
    missing = [m for m in sh.messages if m.split(":")[0] not in " ".join(ps1.messages)]
    if missing:
        problems.append(f"messages only in postdeploy.sh: {missing}")
    return problems


def test_powershell_hook_runs_the_same_az_steps_as_the_posix_hook() -> None:
    sh, ps1 = sh_steps(SH.read_text()), ps1_steps(PS1.read_text())
    assert len(sh.az_calls) >= 5 and len(sh.required_env) == 4 and sh.urls
    assert _differences(sh, ps1) == []


def test_hook_comparison_catches_a_step_missing_from_the_powershell_hook() -> None:
    text = PS1.read_text()
    dropped = re.sub(r"az functionapp function show[^\n]*\n", "\n", text)
    problems = _differences(sh_steps(SH.read_text()), ps1_steps(dropped))
    assert any(p.startswith("az commands differ") for p in problems)


def test_hook_comparison_catches_a_changed_option() -> None:
    text = SH.read_text().replace("--query value -o tsv", "-o tsv")
    assert any("keyvault secret show" in p for p in _differences(sh_steps(text), ps1_steps(PS1.read_text())))
