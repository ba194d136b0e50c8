"""kernel: what runs inside the user's kernel.

``context`` (the ``mlflow.run_context_provider`` plugin the entry point names:
the tags every run started from a notebook gets), ``executed_cells`` (the code
that actually ran, cell by cell), ``hidden_snapshots`` (that code committed on
``refs/repro/snapshots/…`` when it differs from HEAD), ``environment`` (the
``repro.env.*`` facts, the container image), ``seed`` (``set_seed``),
``lock`` (the environment lock of the kernel's interpreter: every installed
distribution read from its metadata folder names, conda packages, Python,
platform, GPU, image; recomputed only when a site-packages folder changed),
``inputs`` (sha256 fingerprints of the data a repository declares in
``[tool.jupyterlab-repro] inputs``, cached by path, size, mtime and inode),
``records`` (both kept as content-addressed blobs under ``refs/repro/envs/``
and ``refs/repro/inputs/``, and the run tags naming them) and ``datasets``
(the inputs as MLflow dataset inputs of the runs that read them).

MLflow loads :mod:`jupyterlab_repro.kernel.context` on every ``import
mlflow``: the room imports fast and nothing heavy at module level (its import
time is measured in ``make bench``; ``hidden_snapshots`` and ``datasets`` are
imported when first needed). ``lock`` imports only the standard library (the
server runs it as a script in a kernel's interpreter).

May import: ``errors``, ``deadline``, ``files``, ``inputs``, ``tags``,
``mlflow_compat``, ``git``, ``notebook``, ``commit.rules`` (lazily). Never:
``server``, ``cli``, ``tracking``, the feature rooms (``runs``, ``reproduce``
…), tornado, jupyter_server, MLflow at module level (MLflow's own classes
excepted, which MLflow has loaded already when it loads the plugin).
"""
