"""runs: what the lab does with MLflow runs tied to the code that ran.

``compare`` + ``downsample`` (runs side by side: params, metrics, environment,
the code that changed), ``release`` (a run released as an annotated tag, the
model card), ``restore`` + ``kept_outputs`` (a run's code back as a branch or a
working copy; outputs in the way kept in a git stash entry, brought back) and
``share`` (push, fetch and prune the refs holding runs' code). The runs they
read come from :mod:`jupyterlab_repro.tracking`; what the kernel records lives
in :mod:`jupyterlab_repro.kernel`; the tag names in :mod:`jupyterlab_repro.tags`.

May import: ``git``, ``notebook``, ``commit.rules``, ``kernel``, ``tracking``,
``errors``, ``deadline``, ``files``, ``inputs``, ``tags``. Never: ``server``,
``cli``, tornado, jupyter_server. This file imports nothing.
"""
