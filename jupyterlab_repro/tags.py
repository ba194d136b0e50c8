"""The MLflow tag names this product writes and reads, and their codecs (DESIGN.md contract).

One definition for the kernel plugin that writes them, the server and the CLI
that query them: renaming one here renames it everywhere. Standard MLflow
names where one exists, so the MLflow UI shows them too. The codecs of the
values that have a format of their own (``repro.execution_order``:
:func:`compact_order`, :func:`parse_order`, :func:`ran_out_of_order`) live
beside their names. Import-free: the kernel plugin imports it on every
``import mlflow``.
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
#: The run's full environment lock (every distribution, conda packages, Python, platform, GPU,
#: image): the sha256 of its canonical JSON, kept as a blob by ``refs/repro/envs/<id>``.
REPRO_ENV_LOCK = "repro.env.lock"
#: The fingerprints of the declared data inputs (``[tool.jupyterlab-repro] inputs``): the
#: sha256 of the manifest's canonical JSON, kept as a blob by ``refs/repro/inputs/<id>``.
REPRO_INPUTS = "repro.inputs"
#: On a reproduction: the run it reproduces.
REPRO_REPRODUCES = "repro.reproduces"
#: Prefix of the reproduction's tags (on the reproduction, and the last one on the original).
REPRO_REPRODUCTION_PREFIX = "repro.reproduction."
#: ``exact``, ``within-tolerance``, ``differs``, ``failed`` or ``cancelled``: on the
#: reproduction its own verdict, on the original the verdict of its last reproduction.
REPRO_REPRODUCTION_VERDICT = "repro.reproduction.verdict"
#: On the original: the run of its last reproduction.
REPRO_REPRODUCTION_RUN = "repro.reproduction.run_id"
#: On the reproduction: the job that made it (finds the run among several reproductions).
REPRO_REPRODUCTION_JOB = "repro.reproduction.job"
#: On the reproduction: per metric ``key:=``, ``key:~<difference>``, ``key:!<difference>`` or
#: ``key:?`` (exact, within tolerance, differs, missing), ``;``-separated; params ``params:=``
#: or ``params:!``. ``reproduction/verdict.json`` (an artifact) has every detail.
REPRO_REPRODUCTION_SUMMARY = "repro.reproduction.summary"
#: On the reproduction: ``rtol=<x>,atol=<y>``, the tolerances the verdict used.
REPRO_REPRODUCTION_TOLERANCE = "repro.reproduction.tolerance"
#: On a failed reproduction: the notebook cell (1-based) that raised, and the error's first line.
REPRO_REPRODUCTION_CELL = "repro.reproduction.cell"
REPRO_REPRODUCTION_ERROR = "repro.reproduction.error"
#: The git tag a run was released as (``jupyter repro tag``).
REPRO_RELEASE = "repro.release"
#: Prefix of every tag of ours.
REPRO_PREFIX = "repro."


# --- repro.execution_order -------------------------------------------------


def ran_out_of_order(order: list[int]) -> bool:
    """Whether cells ran other than top to bottom, down to the last one that ran.

    ``order`` is ``ExecutedNotebook.order`` (the kernel's record): the last number is
    the cell running now (the one that starts the run). Cells *below* it that last ran
    before every cell above it are left out: that is Run All again in the same
    kernel (the earlier pass ran them), not disorder. ``1,3,2`` (cell 3 ran
    before cell 2) and ``1,4,2,3`` are out of order; ``5,1-4`` is not.
    """
    if not order:
        return False
    current = order[-1]
    first = next(i for i, n in enumerate(order) if n <= current)
    since = order[first:]
    return since != sorted(since)


def parse_order(text: str | None) -> list[int] | None:
    """``1-3,5,4`` (a ``repro.execution_order`` tag) → ``[1, 2, 3, 5, 4]``; None if not ours."""
    if not text:
        return None
    numbers: list[int] = []
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            return None  # not ours, or cut at MLflow's tag length limit
        low, high = int(first), int(last or first)
        if high - low > 100_000:
            return None
        numbers.extend(range(low, high + 1))
    return numbers


def compact_order(order: list[int]) -> str:
    """``1,2,3,5,4`` → ``1-3,5,4``: ascending runs folded into ranges."""
    parts: list[str] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and order[j + 1] == order[j] + 1:
            j += 1
        parts.append(
            f"{order[i]}-{order[j]}" if j > i + 1 else ",".join(map(str, order[i : j + 1]))
        )
        i = j + 1
    return ",".join(parts)
