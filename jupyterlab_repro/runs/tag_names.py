"""The MLflow tag names this product writes and reads (DESIGN.md contract).

One definition for the kernel plugin that writes them, the server and the CLI
that query them: renaming one here renames it everywhere. Standard MLflow
names where one exists, so the MLflow UI shows them too. Import-free: the
kernel plugin imports it on every ``import mlflow``.
"""

from __future__ import annotations

SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
MLFLOW_USER = "mlflow.user"
MLFLOW_RUN_NAME = "mlflow.runName"

#: The notebook path relative to its repository (absolute outside one).
REPRO_NOTEBOOK = "repro.notebook"
#: ``true`` when the code that ran differs from the commit.
REPRO_DIRTY = "repro.git.dirty"
#: The hidden snapshot commit holding the code that ran, when dirty.
REPRO_SNAPSHOT = "repro.snapshot"
#: ``true`` when cells ran with sources the saved notebook lacks (unsaved edits, deleted cells).
REPRO_UNSAVED = "repro.unsaved"
#: The cells (1-based, in the notebook as executed) in the order they last ran: ``1-3,5,4``.
REPRO_EXECUTION_ORDER = "repro.execution_order"
#: The repository's root commit: tells same-named notebooks of two repositories apart.
REPRO_REPO = "repro.repo"
REPRO_SEED = "repro.seed"
REPRO_IMAGE = "repro.image"
#: Prefix of the environment facts (python, packages, CUDA, GPU).
REPRO_ENV_PREFIX = "repro.env."
#: The git tag a run was released as (``jupyter repro tag``).
REPRO_RELEASE = "repro.release"
#: Prefix of every tag of ours.
REPRO_PREFIX = "repro."
