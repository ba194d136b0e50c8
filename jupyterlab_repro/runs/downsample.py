"""Metric histories small enough to chart, with their shape kept.

:func:`min_max_buckets` (the "M4" reduction): the series is cut into equal
buckets of points and each bucket keeps its first, last, smallest and
largest point. A chart drawn from the result is the chart of the full
series at the same width, and the series' first, last, minimum and maximum
always survive. Points without a value (NaN, infinities: ``None``) are kept
only as bucket ends, so gaps still show.
"""

from __future__ import annotations

from typing import Any

#: Points per series a chart gets at most.
MAX_POINTS = 1000


def min_max_buckets(values: list[float | None], max_points: int = MAX_POINTS) -> list[int]:
    """The indexes of ``values`` to keep (sorted), at most about ``max_points`` of them."""
    n = len(values)
    if n <= max_points:
        return list(range(n))
    buckets = max(1, max_points // 4)
    keep: set[int] = {0, n - 1}
    for b in range(buckets):
        start, end = b * n // buckets, (b + 1) * n // buckets
        if start >= end:
            continue
        keep.add(start)
        keep.add(end - 1)
        low = high = None
        for i in range(start, end):
            v = values[i]
            if v is None:
                continue
            if low is None or v < values[low]:  # type: ignore[operator]
                low = i
            if high is None or v > values[high]:  # type: ignore[operator]
                high = i
        if low is not None and high is not None:
            keep.add(low)
            keep.add(high)
    return sorted(keep)


def downsample_series(series: dict[str, list[Any]], max_points: int = MAX_POINTS) -> dict[str, Any]:
    """``{"steps", "values", "timestamps"}`` reduced with :func:`min_max_buckets`.

    ``points`` says how many the full series had.
    """
    values = series["values"]
    keep = min_max_buckets(values, max_points)
    out: dict[str, Any] = {
        key: [column[i] for i in keep] for key, column in series.items() if isinstance(column, list)
    }
    out["points"] = len(values)
    return out
