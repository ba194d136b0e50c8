"""kernel: what runs inside the user's kernel, beside the MLflow run-context plugin.

``lock`` (the environment lock of the kernel's interpreter: every installed
distribution read from its metadata folder names, conda packages, Python,
platform, GPU, image; recomputed only when a site-packages folder changed),
``inputs`` (sha256 fingerprints of the data a repository declares in
``[tool.jupyterlab-repro] inputs``, cached by path, size, mtime and inode),
``records`` (both kept as content-addressed blobs under ``refs/repro/envs/``
and ``refs/repro/inputs/``, and the run tags naming them) and ``datasets``
(the inputs as MLflow dataset inputs of the runs that read them).

Loaded by :mod:`jupyterlab_repro.runs.context` on every ``import mlflow``: it
imports fast and nothing heavy at module level. ``lock`` imports only the
standard library (the server runs it as a script in a kernel's interpreter).

May import: ``errors``, ``deadline``, ``files``, ``inputs``, ``git``,
``commit.rules``, ``tags``. Never: ``server``, ``cli``, the other
``runs`` modules, tornado, jupyter_server, MLflow at module level.
"""
