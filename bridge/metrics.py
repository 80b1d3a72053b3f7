"""Process-wide counters, gauges and histograms, rendered in the Prometheus text format.

Hand-rolled rather than a client library: the bridge needs six metrics, and the hot path must pay
no more than an integer add per frame.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass
class Histogram:
    """Cumulative-bucket histogram (seconds)."""

    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def render(self, name: str, help_text: str) -> list[str]:
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        running = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            lines.append(f'{name}_bucket{{le="{bound:g}"}} {running}')
        lines.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        lines.append(f"{name}_sum {self.total:.6f}")
        lines.append(f"{name}_count {self.count}")
        return lines


_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)
_TOOL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass
class BridgeMetrics:
    """All bridge metrics; one instance per process."""

    active_calls: int = 0
    calls_total: int = 0
    calls_refused: dict[str, int] = field(default_factory=dict)  # reason -> count
    frames_in: int = 0  # ACS -> model
    frames_out: int = 0  # model -> ACS
    barge_ins: int = 0
    model_reconnects: int = 0
    tool_calls: dict[str, int] = field(default_factory=lambda: {"ok": 0, "error": 0})
    tool_latency: Histogram = field(default_factory=lambda: Histogram(_TOOL_BUCKETS))
    # Time a caller frame spends inside the bridge: parsed, converted, written to the model socket.
    relay_latency: Histogram = field(default_factory=lambda: Histogram(_LATENCY_BUCKETS))

    def refuse(self, reason: str) -> None:
        self.calls_refused[reason] = self.calls_refused.get(reason, 0) + 1

    def render(self) -> str:
        """The Prometheus exposition text."""
        lines = [
            "# HELP bridge_active_calls Calls with an open media socket.",
            "# TYPE bridge_active_calls gauge",
            f"bridge_active_calls {self.active_calls}",
            "# HELP bridge_calls_total Media connections accepted.",
            "# TYPE bridge_calls_total counter",
            f"bridge_calls_total {self.calls_total}",
            "# HELP bridge_calls_refused_total Media connections refused, by reason.",
            "# TYPE bridge_calls_refused_total counter",
            *(f'bridge_calls_refused_total{{reason="{r}"}} {n}' for r, n in sorted(self.calls_refused.items())),
            "# HELP bridge_frames_in_total Caller audio frames relayed to the model.",
            "# TYPE bridge_frames_in_total counter",
            f"bridge_frames_in_total {self.frames_in}",
            "# HELP bridge_frames_out_total Agent audio frames sent to ACS.",
            "# TYPE bridge_frames_out_total counter",
            f"bridge_frames_out_total {self.frames_out}",
            "# HELP bridge_barge_ins_total Times a caller interrupted the agent.",
            "# TYPE bridge_barge_ins_total counter",
            f"bridge_barge_ins_total {self.barge_ins}",
            "# HELP bridge_model_reconnects_total Model sessions re-opened after a drop.",
            "# TYPE bridge_model_reconnects_total counter",
            f"bridge_model_reconnects_total {self.model_reconnects}",
            "# HELP bridge_tool_calls_total Tool calls, by outcome.",
            "# TYPE bridge_tool_calls_total counter",
            *(f'bridge_tool_calls_total{{outcome="{o}"}} {n}' for o, n in sorted(self.tool_calls.items())),
            *self.tool_latency.render("bridge_tool_latency_seconds", "Tool call round trip."),
            *self.relay_latency.render("bridge_relay_latency_seconds", "Caller frame time inside the bridge."),
        ]
        return "\n".join(lines) + "\n"
