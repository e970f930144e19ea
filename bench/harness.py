"""What the benchmarks and the end-to-end tests share."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The value at percentile `q` (0-100): nearest rank, no interpolation."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
