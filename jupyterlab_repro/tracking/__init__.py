"""tracking: the server's bounded access to MLflow.

``store`` (:class:`~jupyterlab_repro.tracking.store.TrackingService`: the runs
panel's queries, a notebook's runs grouped by the commit that ran, metrics,
tags written back), ``bounded`` (every MLflow call under the request's
deadline, a breaker, daemon threads), ``queries`` (the MLflow calls and the
search-filter quoting), ``direct_store`` (sqlite3 / REST reads while MLflow
loads, SQLite metric histories) and ``uri`` (the tracking URI: defaults,
redaction, the other stores beside a notebook).

Used by the server, the CLI and the feature rooms (``runs``, ``reproduce``);
never by the kernel side, which writes its tags through MLflow itself.

May import: ``errors``, ``deadline``, ``files``, ``inputs``, ``tags``,
``mlflow_compat``, ``git``; MLflow only inside functions. Never: ``kernel``,
the feature rooms, ``server``, ``cli``, tornado, jupyter_server.
"""
