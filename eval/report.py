"""Eval reports: a terminal table, a JSON document and a self-contained HTML page."""

from __future__ import annotations

import html
import json
import math
import statistics
from typing import Any

from eval.score import Outcome


def _median(values: list[int]) -> int | None:
    return round(statistics.median(values)) if values else None


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    response = [ms for o in outcomes for ms in o.response_ms]
    tools = [ms for o in outcomes for ms in o.tool_ms]
    return {
        "scenarios": len(outcomes),
        "passed": sum(o.passed for o in outcomes),
        "failed": sum(not o.passed for o in outcomes),
        "response_ms_median": _median(response),
        "response_ms_p95": sorted(response)[max(0, math.ceil(0.95 * len(response)) - 1)] if response else None,
        "tool_ms_median": _median(tools),
        "estimated_cost_usd": round(sum(o.cost for o in outcomes), 4),
    }


def as_json(outcomes: list[Outcome], target: str) -> dict[str, Any]:
    return {
        "target": target,
        "summary": summary(outcomes),
        "scenarios": [
            {
                "suite": o.scenario.suite,
                "name": o.scenario.name,
                "persona": o.scenario.persona,
                "goal": o.scenario.goal,
                "passed": o.passed,
                "failures": o.failures,
                "error": o.error,
                "call_id": o.call_id,
                "caller_lines": o.wording,
                "transcript": o.transcript,
                "tool_calls": o.tool_calls,
                "outcome": o.record.get("outcome"),
                "seconds": round(o.seconds, 2),
                "response_ms": o.response_ms,
                "tool_ms": o.tool_ms,
                "estimated_cost_usd": o.cost,
            }
            for o in outcomes
        ],
    }


def table(outcomes: list[Outcome]) -> str:
    """One row per scenario, then the totals."""
    rows = [("suite", "scenario", "result", "tools", "first audio ms", "seconds", "why")]
    for o in outcomes:
        why = o.error or "; ".join(o.failures)
        median = _median(o.response_ms)
        rows.append(
            (
                o.scenario.suite,
                o.scenario.name,
                "PASS" if o.passed else "FAIL",
                str(len(o.tool_calls)),
                "-" if median is None else str(median),
                f"{o.seconds:.1f}",
                why[:100],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=False)) + "  " + r[-1] for r in rows]
    s = summary(outcomes)
    lines.append(
        f"\n{s['passed']}/{s['scenarios']} passed; first agent audio after the caller stops: median "
        f"{s['response_ms_median']} ms, p95 {s['response_ms_p95']} ms; tool median {s['tool_ms_median']} ms; "
        f"estimated cost ${s['estimated_cost_usd']}"
    )
    return "\n".join(lines)


_STYLE = """
body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.pass{color:#176f2c;font-weight:600}.fail{color:#b00020;font-weight:600}details{margin:.5em 0 1.5em}
.caller{color:#0b4f9c}.agent{color:#5a2d82}.tool{font-family:monospace;color:#555}
"""


def as_html(outcomes: list[Outcome], target: str) -> str:
    """A page with no external resources: open it from disk or attach it to a CI run."""
    s = summary(outcomes)
    esc = html.escape
    rows = []
    details = []
    for n, o in enumerate(outcomes):
        verdict = '<span class="pass">PASS</span>' if o.passed else '<span class="fail">FAIL</span>'
        rows.append(
            f"<tr><td>{esc(o.scenario.suite)}</td><td><a href='#s{n}'>{esc(o.scenario.name)}</a></td><td>{verdict}</td>"
            f"<td>{_median(o.response_ms) or '-'}</td><td>{o.seconds:.1f}</td>"
            f"<td>{esc(o.error or '; '.join(o.failures))}</td></tr>"
        )
        lines = "".join(
            f"<div class='{'caller' if t.get('role') == 'caller' else 'agent'}'><b>{esc(str(t.get('role')))}</b>: "
            f"{esc(str(t.get('text')))}</div>"
            for t in o.transcript
        )
        tools = "".join(
            f"<div class='tool'>{esc(str(t.get('name')))}({esc(json.dumps(t.get('arguments')))}) "
            f"ok={t.get('ok')} {t.get('duration_ms')} ms</div>"
            for t in o.tool_calls
        )
        details.append(
            f"<details id='s{n}' {'open' if not o.passed else ''}><summary>{esc(o.scenario.suite)} / "
            f"{esc(o.scenario.name)} {verdict}</summary><p><i>{esc(o.scenario.persona)}</i> Goal: "
            f"{esc(o.scenario.goal)}</p><p>Caller said: {esc(' | '.join(o.wording))}</p>{lines}{tools}"
            f"<p>First agent audio after each caller turn (ms): {o.response_ms}; tool latency (ms): {o.tool_ms}; "
            f"cost ${o.cost:.4f}; call {esc(o.call_id)}</p></details>"
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Eval: {esc(target)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>Agent eval ({esc(target)})</h1>"
        f"<p>{s['passed']}/{s['scenarios']} passed. First agent audio after the caller stops: median "
        f"{s['response_ms_median']} ms, p95 {s['response_ms_p95']} ms. Tool latency median {s['tool_ms_median']} ms. "
        f"Estimated cost ${s['estimated_cost_usd']}.</p>"
        "<table><tr><th>suite</th><th>scenario</th><th>result</th><th>first audio ms</th><th>s</th><th>why</th></tr>"
        + "".join(rows)
        + "</table>"
        + "".join(details)
        + "</body></html>"
    )
