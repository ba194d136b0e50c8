"""What the product asks MLflow, as functions run in the bounded workers.

Filter strings (MLflow's grammar has no escapes), runs search, experiments,
metric histories (one read-only SQL query on SQL stores, the client API on
others). Each call takes the MLflow client first; :mod:`.bounded` runs it
under the deadline. MLflow is imported inside the functions, never here.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from ..errors import InvalidRequest
from .bounded import parallel

log = logging.getLogger(__name__)


def quote(value: str) -> str | None:
    """``value`` as an MLflow filter string literal, or ``None`` if it cannot be one.

    MLflow's grammar has no escapes: a value is quoted with ``'`` or ``"``,
    whichever it does not contain.
    """
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def tag_equals(key: str, value: str) -> tuple[str, bool]:
    """A filter clause for ``tags.`key` = value`` and whether results need re-checking.

    A value holding both quote characters cannot be written as a literal:
    the clause is then a ``LIKE`` that matches a superset (quotes,
    backslashes, ``%`` and ``_`` match any one character) and the caller keeps
    only exact matches.
    """
    if "`" in key:
        raise InvalidRequest(f"Tag key may not contain a backtick: {key!r}")
    quoted = quote(value)
    if quoted is not None:
        return f"tags.`{key}` = {quoted}", False
    pattern = re.sub(r"['\"\\%_]", "_", value)
    return f"tags.`{key}` LIKE '{pattern}'", True


def list_experiments(client: Any) -> dict[str, str]:
    from mlflow.entities import ViewType

    names: dict[str, str] = {}
    token = None
    while True:
        page = client.search_experiments(
            view_type=ViewType.ACTIVE_ONLY, max_results=1000, page_token=token
        )
        names.update((e.experiment_id, e.name) for e in page)
        token = page.token
        if not token:
            return names


def search_runs(
    client: Any,
    experiment_ids: list[str],
    filter_string: str,
    max_results: int,
    page_token: str | None,
) -> tuple[list[Any], str | None]:
    from mlflow.entities import ViewType

    log.debug("search_runs %s", filter_string)
    page = client.search_runs(
        experiment_ids,
        filter_string=filter_string,
        run_view_type=ViewType.ACTIVE_ONLY,
        max_results=max_results,
        order_by=["attributes.start_time DESC", "attributes.run_id ASC"],
        page_token=page_token,
    )
    token = page.token
    if isinstance(token, bytes):  # the SQL store's tokens are base64 bytes
        token = token.decode("ascii")
    return list(page), token


def sql_metric_rows(
    client: Any, store: Any, run_ids: list[str], keys: list[str]
) -> list[tuple[str, str, int, float, int]]:
    """One read-only query through MLflow's SQLAlchemy store."""
    try:
        from mlflow.store.tracking.dbmodels.models import SqlMetric
    except ImportError:  # another MLflow layout: the public API still works
        return client_metric_rows(client, run_ids, keys)

    with store.ManagedSessionMaker() as session:
        query = session.query(
            SqlMetric.run_uuid,
            SqlMetric.key,
            SqlMetric.step,
            SqlMetric.value,
            SqlMetric.timestamp,
            SqlMetric.is_nan,
        ).filter(SqlMetric.run_uuid.in_(run_ids))
        if keys:
            query = query.filter(SqlMetric.key.in_(keys))
        rows = query.order_by(
            SqlMetric.run_uuid, SqlMetric.key, SqlMetric.step, SqlMetric.timestamp
        ).all()
    return [
        (run, key, step, math.nan if is_nan else value, ts)
        for run, key, step, value, ts, is_nan in rows
    ]


def client_metric_rows(
    client: Any,
    run_ids: list[str],
    keys: list[str],
) -> list[tuple[str, str, int, float, int]]:
    """The client API, one history per (run, key), fetched in parallel."""
    pairs: list[tuple[str, str]] = []
    if keys:
        pairs = [(r, k) for r in run_ids for k in keys]
    else:
        for run in parallel(lambda r: run_or_none(client, r), run_ids):
            if run is not None:  # unknown to the store: no metrics, as on the SQL path
                pairs.extend((run.info.run_id, k) for k in sorted(run.data.metrics))
    rows: list[tuple[str, str, int, float, int]] = []
    histories = parallel(lambda p: client.get_metric_history(*p), pairs)
    for (run_id, key), history in zip(pairs, histories, strict=True):
        points = sorted(history, key=lambda m: (m.step, m.timestamp))
        rows.extend((run_id, key, m.step, m.value, m.timestamp) for m in points)
    return rows


def run_or_none(client: Any, run_id: str) -> Any:
    """``client.get_run(run_id)``, or ``None`` for a run the store does not know."""
    try:
        return client.get_run(run_id)
    except Exception as exc:
        if getattr(exc, "error_code", None) == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def set_tag(client: Any, run_id: str, key: str, value: str) -> None:
    client.set_tag(run_id, key, value)
