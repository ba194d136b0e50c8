"""Did the metrics come back? The verdict of a reproduction, and how it is written down.

Each metric's latest value in the reproduction is set against the run's:
``exact`` when equal (two NaNs are equal), *within tolerance* with
``numpy.isclose``'s rule ``|reproduced - recorded| <= atol + rtol * |recorded|``
(defaults ``rtol=1e-9``, ``atol=0``: float noise of a different summation
order, nothing more). Params must be equal (as strings, as MLflow keeps them).

The overall verdict:

``exact``
    every metric exact, the same metrics, params equal;
``within-tolerance``
    every metric within tolerance, params equal;
``differs``
    a metric outside tolerance or missing on either side, or params that differ;
``failed``
    a cell raised (which cell, which error), the kernel died, or time ran out;
``cancelled``
    the user stopped it.

:func:`summary_tag` writes the per-metric outcome in the compact encoding of
``repro.reproduction.summary`` (see :mod:`~jupyterlab_repro.tags`);
the verdict artifact (``reproduction/verdict.json``) has every detail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 0.0

EXACT = "exact"
WITHIN_TOLERANCE = "within-tolerance"
DIFFERS = "differs"
FAILED = "failed"
CANCELLED = "cancelled"
VERDICTS = (EXACT, WITHIN_TOLERANCE, DIFFERS, FAILED, CANCELLED)

#: MLflow's tag-value limit the summary stays within.
MAX_SUMMARY = 5000


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def compare_metrics(
    recorded: Mapping[str, Any],
    reproduced: Mapping[str, Any],
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> list[dict[str, Any]]:
    """Per metric: ``key``, ``recorded``, ``reproduced``, ``difference``, ``exact``, ``within``.

    A value the store keeps as NaN or infinite comes as ``None``; two ``None``
    are equal. A metric missing on one side is neither exact nor within.
    """
    rows = []
    for key in sorted(set(recorded) | set(reproduced)):
        a, b = _number(recorded.get(key)), _number(reproduced.get(key))
        present = key in recorded and key in reproduced
        if not present:
            rows.append(
                {
                    "key": key,
                    "recorded": a,
                    "reproduced": b,
                    "difference": None,
                    "exact": False,
                    "within": False,
                    "missing": "reproduced" if key in recorded else "recorded",
                }
            )
            continue
        if a is None or b is None:
            same = a is None and b is None
            rows.append(
                {
                    "key": key,
                    "recorded": a,
                    "reproduced": b,
                    "difference": None,
                    "exact": same,
                    "within": same,
                }
            )
            continue
        difference = b - a
        exact = a == b or (math.isnan(a) and math.isnan(b))
        within = exact or abs(difference) <= atol + rtol * abs(a)
        rows.append(
            {
                "key": key,
                "recorded": a,
                "reproduced": b,
                "difference": difference if math.isfinite(difference) else None,
                "exact": exact,
                "within": within,
            }
        )
    return rows


def compare_params(
    recorded: Mapping[str, Any], reproduced: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Params that differ: ``key``, ``recorded``, ``reproduced`` (``None`` when absent)."""
    return [
        {"key": key, "recorded": recorded.get(key), "reproduced": reproduced.get(key)}
        for key in sorted(set(recorded) | set(reproduced))
        if recorded.get(key) != reproduced.get(key)
    ]


def overall(
    metrics: list[dict[str, Any]],
    params_differ: list[dict[str, Any]],
    *,
    failed: bool = False,
    cancelled: bool = False,
) -> str:
    """The verdict (see the module docs); a failure or a cancel wins over the metrics."""
    if cancelled:
        return CANCELLED
    if failed:
        return FAILED
    if params_differ or not all(m["within"] for m in metrics):
        return DIFFERS
    if all(m["exact"] for m in metrics):
        return EXACT
    return WITHIN_TOLERANCE


def summary_tag(metrics: list[dict[str, Any]], params_differ: list[dict[str, Any]]) -> str:
    """``acc:=;loss:~1.2e-12;f1:!-0.031;lr:?;params:=`` (see ``repro.reproduction.summary``)."""
    parts = []
    for row in metrics:
        key = row["key"].replace(";", "_").replace(":", "_")
        if row["exact"]:
            parts.append(f"{key}:=")
        elif row.get("missing") or row["difference"] is None and not row["within"]:
            parts.append(f"{key}:?")
        elif row["within"]:
            parts.append(f"{key}:~{row['difference']:.3g}")
        else:
            parts.append(f"{key}:!{row['difference']:.3g}")
    parts.append("params:!" if params_differ else "params:=")
    text = ";".join(parts)
    if len(text) > MAX_SUMMARY:
        text = text[: MAX_SUMMARY - 4].rsplit(";", 1)[0] + ";..."
    return text


def tolerance_tag(rtol: float, atol: float) -> str:
    return f"rtol={rtol:g},atol={atol:g}"
