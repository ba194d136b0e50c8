"""``set_seed``: seed every random number generator in use, and record the seed.

The seed is process state (like the generators it seeds), so it is kept in
this module: the run-context provider tags every run started after
:func:`set_seed` with ``repro.seed``. When a run is already active, the seed is
also logged on it as the param ``seed`` (params cannot be set by a context
provider, so runs started later carry the tag only).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import random
import sys

from ..tags import REPRO_SEED

log = logging.getLogger(__name__)


class _SeedState:
    """The last seed set in this process."""

    def __init__(self) -> None:
        self.seed: int | None = None


_STATE = _SeedState()


def current_seed() -> int | None:
    """The seed last given to :func:`set_seed` in this process, if any."""
    return _STATE.seed


def _installed(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def set_seed(seed: int) -> list[str]:
    """Seed ``random``, NumPy, PyTorch (all devices) and TensorFlow with ``seed``.

    Frameworks are seeded only when installed (they are imported for it if
    the notebook has not imported them yet). ``PYTHONHASHSEED`` is set for
    subprocesses (this process's hash seed cannot change any more). The seed
    is recorded on the active MLflow run (param ``seed`` and tag
    ``repro.seed``) and tagged on every run started later in this process.

    Returns
    -------
    list[str]
        The generators that were seeded, e.g. ``["random", "numpy", "torch"]``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError("seed must be between 0 and 2**32 - 1 (NumPy's range)")

    seeded = ["random"]
    random.seed(seed)
    if _installed("numpy"):
        numpy = importlib.import_module("numpy")
        numpy.random.seed(seed)
        seeded.append("numpy")
    if _installed("torch"):
        torch = importlib.import_module("torch")
        torch.manual_seed(seed)  # seeds CUDA devices too (lazily when CUDA starts)
        seeded.append("torch")
    if _installed("tensorflow"):
        tf = importlib.import_module("tensorflow")
        tf.random.set_seed(seed)
        seeded.append("tensorflow")
    os.environ["PYTHONHASHSEED"] = str(seed)
    _STATE.seed = seed
    _record_on_active_run(seed)
    return seeded


def _record_on_active_run(seed: int) -> None:
    mlflow = sys.modules.get("mlflow")  # never import MLflow (seconds) just for this
    if mlflow is None:
        return
    try:
        if mlflow.active_run() is None:
            return
        mlflow.set_tag(REPRO_SEED, str(seed))
        mlflow.log_param("seed", seed)
    except Exception as exc:  # e.g. the run already has a different ``seed`` param
        log.warning("jupyterlab_repro: seed %d not logged on the active run: %s", seed, exc)
