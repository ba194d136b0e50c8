"""commit: snapshot & commit, guardrails, changed files, the repository's rules.

``snapshot`` (cleaned notebooks committed through a temporary index, the
repository's hooks, HEAD moved by compare-and-swap), ``message`` (conventional
commit messages), ``guardrails`` and ``gitignore`` (files that must not be
committed, and the fixes), ``changes`` (changed files with output-blind
classes), ``notebook_diff`` (a notebook between revisions), ``init`` (a new
repository), ``rules`` (``[tool.jupyterlab-repro]``).

May import: ``git``, ``notebook``, ``errors``, ``deadline``, ``files``. Never:
``export``, ``runs``, ``server``, ``cli``, tornado, jupyter_server, MLflow.
"""
