"""runs: MLflow runs tied to the code that ran.

Kernel side: ``context`` (the ``mlflow.run_context_provider`` plugin),
``hidden_snapshots`` (the code that ran, on ``refs/repro/snapshots/…``),
``environment``, ``seed``. Store side: ``store`` (the runs panel's queries),
``bounded`` (MLflow calls under deadlines, with a breaker), ``queries``,
``direct_store``, ``tracking_uri``, ``restore``, ``compare``, ``downsample``,
``release``, ``share``. ``tag_names``, ``executed_cells`` and ``mlflow_compat``
(shims for the older MLflow releases allowed) are shared by both.

May import: ``git``, ``notebook``, ``commit.rules``, ``errors``, ``deadline``,
``files``. Never: ``server``, ``cli``, tornado, jupyter_server. The kernel side
imports nothing heavy at module level (MLflow's own classes excepted, which
MLflow has loaded already when it loads the plugin); this file imports nothing.
"""
