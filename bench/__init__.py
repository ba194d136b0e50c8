"""``make bench``: jupyterlab-repro measured side by side with the tools users run instead.

One module per feature, each a ``FEATURE`` (its ``--only`` name, what it
measures, its part of the report): ``snapshot``, ``status``, ``export``,
``runcontext``, ``runs`` (+ ``runs_startup``), ``compare``, ``plugin_import``
(the kernel plugin's import time), ``lock``, ``inputs``, ``reproduce``. Under
them: ``timing`` (timed processes, interleaved rounds, medians, profiles),
``server`` (a real ``jupyter server``, Chromium), ``harness`` (the isolated
environment, the seeded inputs of ``generate``), ``results`` (budgets and the
results files) and ``cli`` (``python -m bench``, the ``--only`` dispatch).

Every budget is a ratio against the tool users would run instead, measured in
the same run (tools interleaved round by round, medians compared), or an
absolute limit where DESIGN sets one. Run with the project's venv::

    .venv/bin/python -m bench [--quick] [--only snapshot,status] [--reps N]
"""
