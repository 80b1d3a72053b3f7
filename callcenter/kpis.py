"""Contact-center KPIs from bucket counters (pure functions; the counters live in store/stats.py).

Definitions (what a contact-center lead expects):
- conversations: records that ended, by the bucket their conversation started in;
- connected: those that reached the agent (answered phone calls, every web conversation);
- contained: connected conversations the AI agent finished itself (outcome `completed`);
- containment rate = contained / connected; transfer rate = transferred / connected;
- abandonment rate = abandoned / conversations;
- handle time: connected duration; average = sum / connected; p90 from the fixed bins of
  `store.stats.HANDLE_BINS`, interpolated linearly inside the bin holding the 90th percentile
  (the open last bin reports its lower edge);
- cost per conversation = cost / conversations; cost per contained conversation = all cost /
  contained (what each resolution by the AI really cost);
- tool failure rate = failed tool calls / tool calls.
A rate whose denominator is zero is null.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from callcenter.store.stats import HANDLE_BINS, OUTCOMES, BucketCounts


def _ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def percentile_from_bins(counts: list[int], fraction: float) -> float | None:
    """The `fraction` quantile of a histogram over HANDLE_BINS (None when it is empty)."""
    total = sum(counts)
    if not total:
        return None
    target = fraction * total
    below = 0
    for index, count in enumerate(counts):
        if count and below + count >= target:
            low = HANDLE_BINS[index - 1] if index else 0.0
            if index >= len(HANDLE_BINS):
                return float(low)
            return round(low + (HANDLE_BINS[index] - low) * (target - below) / count, 1)
        below += count
    return float(HANDLE_BINS[-1])


def figures(values: dict[str, float]) -> dict[str, Any]:
    """Every KPI of one set of summed counters."""
    count = {name: int(values.get(name, 0)) for name in ("conversations", "connected", "tool_calls", "tool_failures")}
    outcomes = {outcome: int(values.get(f"o_{outcome}", 0)) for outcome in OUTCOMES}
    bins = [int(values.get(f"h{index:02d}", 0)) for index in range(len(HANDLE_BINS) + 1)]
    cost = float(values.get("cost", 0.0))
    contained = outcomes["completed"]
    return {
        "conversations": count["conversations"],
        "connected": count["connected"],
        "contained": contained,
        "containment_rate": _ratio(contained, count["connected"]),
        "transfer_rate": _ratio(outcomes["transferred"], count["connected"]),
        "abandonment_rate": _ratio(outcomes["abandoned"], count["conversations"]),
        "avg_handle_s": _ratio(float(values.get("handle_s", 0.0)), count["connected"], 1),
        "p90_handle_s": percentile_from_bins(bins, 0.9),
        "cost": round(cost, 4),
        "cost_per_conversation": _ratio(cost, count["conversations"]),
        "cost_per_contained": _ratio(cost, contained),
        "tokens": {name: int(values.get(f"{name}_tokens", 0)) for name in ("input", "output", "total")},
        "tool_calls": count["tool_calls"],
        "tool_failures": count["tool_failures"],
        "tool_failure_rate": _ratio(count["tool_failures"], count["tool_calls"]),
        "outcomes": outcomes,
        "handle_time_bins": bins,
    }


def summarise(buckets: Iterable[BucketCounts]) -> dict[str, Any]:
    """Totals over the whole range and the figures of every bucket (a time series)."""
    totals: dict[str, float] = {}
    series = []
    for bucket in buckets:
        for key, value in bucket.values.items():
            totals[key] = totals.get(key, 0) + value
        series.append({"start": bucket.start.isoformat(), **figures(bucket.values)})
    return {"totals": figures(totals), "buckets": series, "handle_time_bin_edges_s": list(HANDLE_BINS)}
