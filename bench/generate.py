"""Seeded inputs for the benchmarks: notebooks with realistic outputs, big repositories.

Everything is derived from ``random.Random(seed)`` so two runs with the same
seed and parameters produce byte-identical notebooks and repositories; the
results are cached under ``bench/work/`` (git-ignored) and reused when a
marker file with the same parameters is present.

Notebooks look like an ML engineer's training notebook: markdown cells,
code cells (valid Python plus the odd ``%magic``) with ids, and outputs whose
bytes are dominated by base64 PNG-like images (random bytes, so they do not
compress, like real PNGs), then HTML tables (``DataFrame`` reprs), then
stream output (training logs).

Repositories are written with one ``git fast-import`` stream: thousands of
commits in a few seconds instead of thousands of ``git commit`` calls.

The runs panel's input is a repository whose ``train.ipynb`` changes every
commit and an MLflow SQLite store of its runs (:func:`build_runs_store`):
MLflow creates the schema, the rows go in with one bulk transaction, and the
result is checked through ``MlflowClient``.

Usage (normally called by ``python -m bench``)::

    python bench/generate.py notebook --size-mb 50 --out /tmp/nb.ipynb
    python bench/generate.py repo --commits 10000 --files 20000 --out /tmp/big
    python bench/generate.py runs-store --commits 1000 --out /tmp/runs
"""

from __future__ import annotations

import argparse
import base64
import bisect
import copy
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
DEFAULT_SEED = 20261123
#: Bump when the generated content changes: cached inputs are then rebuilt.
FORMAT_VERSION = 1

# Share of the notebook's bytes per output kind (the rest is source and JSON).
IMAGE_SHARE, HTML_SHARE, STREAM_SHARE = 0.72, 0.14, 0.08

_WORDS = (
    "model loss accuracy batch epoch learning rate optimizer gradient feature "
    "dataset split train valid test metric score weight layer dropout embedding "
    "tokenizer schedule warmup checkpoint inference sample label target mean std"
).split()
_COLUMNS = ["epoch", "step", "loss", "val_loss", "acc", "val_acc", "lr", "f1", "auc"]


# --------------------------------------------------------------------------
# notebooks


def _cell_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"[:12]


def _lines(text: str) -> list[str]:
    """nbformat's on-disk multi-line string: a list of lines keeping their newlines."""
    parts = text.splitlines(keepends=True)
    return parts or [""]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _markdown(rng: random.Random, index: int) -> dict[str, Any]:
    text = f"## Step {index}: {_sentence(rng, 4)}\n\n" + "\n".join(
        f"- {_sentence(rng, rng.randint(6, 14))}" for _ in range(rng.randint(1, 4))
    )
    return {"cell_type": "markdown", "id": _cell_id(rng), "metadata": {}, "source": _lines(text)}


def _code_source(rng: random.Random, index: int) -> str:
    name = f"{rng.choice(_WORDS)}_{index}"
    body = [
        f"def {name}(data, lr={rng.uniform(1e-4, 1e-1):.5f}, epochs={rng.randint(1, 50)}):",
        f'    """{_sentence(rng, 8)}."""',
        "    history = []",
        "    for epoch in range(epochs):",
        f"        loss = sum(x * lr for x in data) / (epoch + {rng.randint(1, 9)})",
        "        history.append(loss)",
        "    return history",
        "",
        f"result_{index} = {name}([{', '.join(str(rng.randint(0, 99)) for _ in range(6))}])",
        f"result_{index}[-{rng.randint(1, 3)}:]",
    ]
    if rng.random() < 0.15:
        body.insert(0, "%matplotlib inline")
    return "\n".join(body)


def _png_payload(rng: random.Random, raw_bytes: int) -> str:
    # A PNG signature then incompressible bytes: base64 the way Jupyter stores it.
    data = b"\x89PNG\r\n\x1a\n" + rng.randbytes(max(raw_bytes - 8, 0))
    return base64.b64encode(data).decode("ascii") + "\n"


def _html_table(rng: random.Random, rows: int) -> str:
    head = "".join(f"<th>{c}</th>" for c in _COLUMNS)
    out = [
        '<div>\n<table border="1" class="dataframe">\n  <thead>\n',
        f'    <tr style="text-align: right;">\n      <th></th>{head}\n    </tr>\n',
        "  </thead>\n  <tbody>\n",
    ]
    for r in range(rows):
        cells = "".join(f"<td>{rng.random():.6f}</td>" for _ in _COLUMNS)
        out.append(f"    <tr>\n      <th>{r}</th>{cells}\n    </tr>\n")
    out.append("  </tbody>\n</table>\n</div>")
    return "".join(out)


def _stream_text(rng: random.Random, lines: int) -> str:
    return "".join(
        f"epoch {i:4d} step {i * 50:6d} loss={rng.random():.5f} "
        f"val_loss={rng.random():.5f} acc={rng.random():.4f}\n"
        for i in range(lines)
    )


def _outputs(rng: random.Random, count: int, budget: dict[str, float]) -> list[dict[str, Any]]:
    """Outputs for one code cell, drawing their sizes from the remaining ``budget``."""
    outputs: list[dict[str, Any]] = []
    if budget["stream"] > 0:
        text = _stream_text(rng, rng.randint(20, 160))
        budget["stream"] -= len(text)
        outputs.append({"name": "stdout", "output_type": "stream", "text": _lines(text)})
    if budget["image"] > 0:
        for _ in range(rng.choice((1, 1, 1, 2))):
            raw = int(min(rng.randint(40_000, 260_000), max(budget["image"] * 0.75, 2_000)))
            payload = _png_payload(rng, raw)
            budget["image"] -= len(payload)
            outputs.append(
                {
                    "data": {
                        "image/png": payload,
                        "text/plain": ["<Figure size 640x480 with 1 Axes>"],
                    },
                    "metadata": {"needs_background": "light"},
                    "output_type": "display_data",
                }
            )
    if budget["html"] > 0:
        table = _html_table(rng, rng.randint(20, 120))
        budget["html"] -= len(table)
        outputs.append(
            {
                "data": {
                    "text/html": _lines(table),
                    "text/plain": [f"   epoch  step  loss ... [{len(table)} bytes]"],
                },
                "execution_count": count,
                "metadata": {},
                "output_type": "execute_result",
            }
        )
    return outputs


def make_notebook(size_bytes: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """A notebook of about ``size_bytes`` once written with :func:`dumps`."""
    rng = random.Random(seed)
    budget = {
        "image": size_bytes * IMAGE_SHARE,
        "html": size_bytes * HTML_SHARE,
        "stream": size_bytes * STREAM_SHARE,
    }
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "markdown",
            "id": _cell_id(rng),
            "metadata": {},
            "source": _lines("# Training experiment\n\nGenerated by bench/generate.py."),
        },
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": _cell_id(rng),
            "metadata": {"tags": ["export"]},
            "outputs": [],
            "source": _lines("import json\nimport math\nimport os\n\nSEED = 42"),
        },
    ]
    count = 1
    index = 0
    while any(v > 0 for v in budget.values()):
        index += 1
        if rng.random() < 0.3:
            cells.append(_markdown(rng, index))
        count += 1
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "id": _cell_id(rng),
                "metadata": {"scrolled": True} if rng.random() < 0.2 else {},
                "outputs": _outputs(rng, count, budget),
                "source": _lines(_code_source(rng, index)),
            }
        )
        if index > 200_000:  # pragma: no cover - guard against a size of 0
            break
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {
                "codemirror_mode": {"name": "ipython", "version": 3},
                "file_extension": ".py",
                "mimetype": "text/x-python",
                "name": "python",
                "nbconvert_exporter": "python",
                "pygments_lexer": "ipython3",
                "version": "3.11.9",
            },
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def edited(nb: dict[str, Any], seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The same notebook after the user changed one code cell and re-ran it.

    The middle code cell's source gets a new line and its outputs are
    regenerated (new image bytes, new log); every other cell is unchanged.
    """
    rng = random.Random(seed + 1)
    new = copy.copy(nb)
    new["cells"] = list(nb["cells"])
    code = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and c["outputs"]]
    target = code[len(code) // 2]
    cell = dict(nb["cells"][target])
    source = "".join(cell["source"]) + f"\nprint('tuned lr', {rng.uniform(1e-4, 1e-1):.5f})"
    cell["source"] = _lines(source)
    size = sum(len(json.dumps(o)) for o in cell["outputs"])
    budget = {"image": size * 0.8, "html": size * 0.1, "stream": size * 0.1}
    cell["outputs"] = _outputs(rng, cell["execution_count"], budget)
    new["cells"][target] = cell
    return new


def stripped(nb: dict[str, Any]) -> dict[str, Any]:
    """Outputs and execution counts removed (what ``nbstripout`` commits)."""
    new = copy.copy(nb)
    new["cells"] = []
    for cell in nb["cells"]:
        cell = dict(cell)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        new["cells"].append(cell)
    return new


def dumps(nb: dict[str, Any]) -> str:
    """Serialize like nbformat/JupyterLab do: ``indent=1``, sorted keys, trailing newline."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def notebook_set(size_mb: float, seed: int = DEFAULT_SEED, work: Path = WORK) -> dict[str, Path]:
    """Cached notebook files for one size, under ``work/notebooks/``.

    ``base`` is what the repository has committed (the original, stripped),
    ``edited`` the working copy after one cell was changed and re-run (full
    outputs).
    """
    label = f"{size_mb:g}mb-s{seed}"
    folder = work / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "edited": folder / f"nb-{label}-edited.ipynb",
        "base": folder / f"nb-{label}-base.ipynb",
    }
    marker = folder / f"nb-{label}.done"
    params = {"size_mb": size_mb, "seed": seed, "version": FORMAT_VERSION}
    if (
        marker.exists()
        and json.loads(marker.read_text()) == params
        and all(p.exists() for p in paths.values())
    ):
        return paths
    nb = make_notebook(int(size_mb * 1_000_000), seed)
    _write(paths["edited"], dumps(edited(nb, seed)))
    _write(paths["base"], dumps(stripped(nb)))
    del nb
    marker.write_text(json.dumps(params) + "\n")
    return paths


# --------------------------------------------------------------------------
# repositories


def _py_module(rng: random.Random, i: int) -> bytes:
    lines = [f'"""Module {i}: {_sentence(rng, 6)}."""', "", "import math", ""]
    for f in range(rng.randint(2, 8)):
        lines += [
            f"def {rng.choice(_WORDS)}_{f}(x, y={rng.randint(0, 9)}):",
            f"    return math.sqrt(abs(x * {rng.random():.4f} + y))",
            "",
        ]
    return ("\n".join(lines) + "\n").encode()


def _small_notebook(rng: random.Random, i: int) -> dict[str, Any]:
    nb = make_notebook(rng.randint(20_000, 60_000), seed=rng.getrandbits(32))
    nb["cells"][0]["source"] = _lines(f"# Notebook {i}")
    return nb


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def repo_paths(files: int, notebooks: int) -> tuple[list[str], list[str]]:
    """Tracked paths: ``files`` Python modules in folders of 200, and ``notebooks``."""
    modules = [f"src/pkg{i // 200:03d}/mod_{i:05d}.py" for i in range(files)]
    nbs = [f"notebooks/exp_{i:03d}.ipynb" for i in range(notebooks)]
    return modules, nbs


def build_repo(
    path: Path,
    *,
    commits: int,
    files: int,
    notebooks: int = 8,
    seed: int = DEFAULT_SEED,
) -> Path:
    """A repository with ``commits`` commits on ``main`` and ``files`` + ``notebooks`` files.

    The first commit adds every file; each later commit rewrites one or two
    modules (and now and then a notebook). The tip is tagged ``bench-base``;
    the work tree is checked out and the index's stat cache refreshed.
    Reused as is when ``path`` holds a repository built with the same
    parameters.
    """
    params = {
        "commits": commits,
        "files": files,
        "notebooks": notebooks,
        "seed": seed,
        "version": FORMAT_VERSION,
    }
    marker = path / ".git" / "bench-params.json"
    if marker.exists() and json.loads(marker.read_text()) == params:
        return path
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(path)], check=True, env=env)
    rng = random.Random(seed)
    modules, nbs = repo_paths(files, notebooks)
    when = 1_700_000_000
    chunks: list[bytes] = []

    def commit(n: int, changes: list[tuple[str, bytes]]) -> None:
        nonlocal when
        when += rng.randint(60, 7200)
        who = b"Bench Author <bench@example.invalid> %d +0000" % when
        chunks.append(b"commit refs/heads/main\nauthor %s\ncommitter %s\n" % (who, who))
        chunks.append(_data(b"exp: step %d of the benchmark history\n" % n))
        for name, payload in changes:
            chunks.append(b"M 100644 inline " + name.encode() + b"\n" + _data(payload))

    first = [(m, _py_module(rng, i)) for i, m in enumerate(modules)]
    first += [(nb, dumps(stripped(_small_notebook(rng, i))).encode()) for i, nb in enumerate(nbs)]
    first.append((".gitignore", b"__pycache__/\n*.pyc\n"))
    commit(0, first)
    for n in range(1, commits):
        changes = []
        for _ in range(rng.choice((1, 1, 2))):
            if modules:
                i = rng.randrange(len(modules))
                changes.append((modules[i], _py_module(rng, i) + b"# rev %d\n" % n))
        if nbs and rng.random() < 0.02:
            i = rng.randrange(len(nbs))
            changes.append((nbs[i], dumps(stripped(_small_notebook(rng, i))).encode()))
        if not changes:
            changes.append((".gitignore", b"__pycache__/\n*.pyc\n# %d\n" % n))
        commit(n, changes)
    stream = b"".join(chunks)
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        input=stream + b"done\n",
        cwd=path,
        check=True,
        env=env,
    )
    chunks.clear()
    del stream
    subprocess.run(["git", "tag", "bench-base", "main"], cwd=path, check=True, env=env)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=env)
    # Entries written in the same instant as the index are "racily clean" and
    # re-hashed by every status: wait, then refresh so the stat cache is good.
    time.sleep(1.1)
    subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=path, env=env, check=False)
    subprocess.run(["git", "status", "--porcelain"], cwd=path, env=env, capture_output=True)
    marker.write_text(json.dumps(params) + "\n")
    return path


# --------------------------------------------------------------------------
# an MLflow store for the runs panel

#: The notebook whose runs the panel lists (at the repository's root).
RUNS_NOTEBOOK = "train.ipynb"
#: Other notebooks with runs in the same store (noise for the query).
NOISE_NOTEBOOKS = (
    "notebooks/eda.ipynb",
    "notebooks/features.ipynb",
    "notebooks/sweep.ipynb",
    "notebooks/report.ipynb",
)
#: Metric keys every seeded run logs.
RUN_METRIC_KEYS = ("loss", "acc")
#: Points of a full metric history (the newest runs and a share of the others).
HISTORY_STEPS = 20
#: The newest runs of :data:`RUNS_NOTEBOOK` listed in the store's facts (all with histories).
HISTORY_RUNS = 20
_RUN_FORMAT_VERSION = 1


def _train_notebook(rng: random.Random, n: int, lr: float, batch: int) -> bytes:
    """``train.ipynb`` at commit ``n``: a small notebook whose code changes every commit."""
    sources = [
        ("markdown", f"# Training, revision {n}\n\n{_sentence(rng, 10)}."),
        ("code", "import mlflow\nimport numpy as np\n\nmlflow.set_experiment('bench-train')"),
        ("code", f"LR = {lr:.5g}\nBATCH = {batch}\nEPOCHS = {HISTORY_STEPS}\nSEED = {n}"),
        ("code", _code_source(rng, n)),
        (
            "code",
            "with mlflow.start_run():\n"
            "    mlflow.log_params({'lr': LR, 'batch': BATCH, 'seed': SEED})\n"
            "    for step in range(EPOCHS):\n"
            "        mlflow.log_metrics(train_epoch(step), step=step)",
        ),
    ]
    cells = []
    for kind, text in sources:
        cell: dict[str, Any] = {"cell_type": kind, "id": _cell_id(rng), "metadata": {}}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cell["source"] = _lines(text)
        cells.append(cell)
    nb = make_notebook(0, seed=n)  # the metadata only
    nb["cells"] = cells
    return dumps(nb).encode()


def _runs_repo(
    path: Path, commits: int, rng: random.Random
) -> tuple[list[str], list[int], dict[int, str]]:
    """``path/repo``: ``commits`` commits on ``main``, each changing ``train.ipynb``.

    Returns the commit shas (oldest first), their times and, per commit that
    has one, the hidden snapshot commit (``refs/repro/snapshots/<head>/<tree>``,
    the working copy with ``train.ipynb`` edited, as the run-context plugin
    makes them).
    """
    repo = path / "repo"
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "init", "-q", str(repo)], check=True, env=env
    )
    when = 1_700_000_000
    times: list[int] = []
    hyper: list[tuple[float, int]] = []
    snapshots: dict[int, int] = {}  # commit index -> mark of its snapshot
    chunks: list[bytes] = []
    who = b"Bench Author <bench@example.invalid>"
    for n in range(commits):
        when += rng.randint(3600, 7200)  # the commit's 10 runs fit before the next one
        times.append(when)
        lr, batch = 10 ** rng.uniform(-4, -1), rng.choice((16, 32, 64, 128))
        hyper.append((lr, batch))
        stamp = b"%s %d +0000" % (who, when)
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
        chunks.append(b"author %s\ncommitter %s\n" % (stamp, stamp))
        chunks.append(_data(b"exp: lr=%.5g batch=%d (%d)\n" % (lr, batch, n)))
        changes = [(RUNS_NOTEBOOK, _train_notebook(rng, n, lr, batch))]
        if n == 0:
            changes += [
                (nb, dumps(stripped(_small_notebook(rng, i))).encode())
                for i, nb in enumerate(NOISE_NOTEBOOKS)
            ]
            changes.append((".gitignore", b"__pycache__/\n*.pyc\nmlruns/\n"))
        if n == 0 or rng.random() < 0.1:
            changes.append(("src/model.py", _py_module(rng, n)))
        if n > 0 and rng.random() < 0.05:
            i = rng.randrange(len(NOISE_NOTEBOOKS))
            changes.append((NOISE_NOTEBOOKS[i], dumps(stripped(_small_notebook(rng, i))).encode()))
        for name, payload in changes:
            chunks.append(b"M 100644 inline " + name.encode() + b"\n" + _data(payload))
    for n in range(commits):
        if rng.random() >= 0.3:
            continue
        mark = commits + 1 + len(snapshots)
        snapshots[n] = mark
        stamp = b"%s %d +0000" % (who, times[n] + 30)
        lr, batch = hyper[n]
        chunks.append(b"commit refs/repro/snapshots/pending/%d\nmark :%d\n" % (n, mark))
        chunks.append(b"author %s\ncommitter %s\n" % (stamp, stamp))
        chunks.append(_data(b"repro snapshot of %s\n" % RUNS_NOTEBOOK.encode()))
        chunks.append(b"from :%d\n" % (n + 1))
        payload = _train_notebook(rng, n, lr * 2, batch)  # an uncommitted edit
        chunks.append(b"M 100644 inline " + RUNS_NOTEBOOK.encode() + b"\n" + _data(payload))
    marks = path / "marks.txt"
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
        input=b"".join(chunks) + b"done\n",
        cwd=repo,
        check=True,
        env=env,
    )
    sha = dict(line.split() for line in marks.read_text().splitlines())
    # Name the snapshot refs as snapshots.py does: refs/repro/snapshots/<head>/<tree>.
    listing = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname) %(parent) %(tree)"]
        + ["refs/repro/snapshots/pending/"],
        cwd=repo,
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    updates = []
    for line in listing.splitlines():
        ref, obj, parent, tree = line.split()
        updates.append(f"create refs/repro/snapshots/{parent}/{tree} {obj}\ndelete {ref} {obj}\n")
    subprocess.run(
        ["git", "update-ref", "--stdin"],
        input="".join(updates).encode(),
        cwd=repo,
        check=True,
        env=env,
    )
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True, env=env)
    shas = [sha[f":{n + 1}"] for n in range(commits)]
    return shas, times, {n: sha[f":{m}"] for n, m in snapshots.items()}


def build_runs_store(
    path: Path,
    *,
    commits: int = 1000,
    runs_per_commit: int = 10,
    noise_runs: int = 2000,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """A repository and an MLflow SQLite store of its notebook's runs, as the panel sees them.

    ``path/repo`` has ``commits`` commits, each changing ``train.ipynb``;
    ``path/mlflow.db`` has ``runs_per_commit`` runs of it per commit, tagged
    as the run-context plugin tags them (``repro.notebook``,
    ``mlflow.source.*``, ``repro.git.dirty``, ``repro.repo`` and, for about
    one run in ten, ``repro.snapshot``), spread over two experiments, plus
    ``noise_runs`` runs of other notebooks and scripts. Every run has params
    ``lr``/``batch``/``seed`` and metrics ``loss``/``acc``: full histories of
    :data:`HISTORY_STEPS` points for the newest 200 runs of the notebook and
    a quarter of the others, one point otherwise.

    MLflow creates the schema (its own migrations); the rows go in with bulk
    inserts into its tables (MLflow's SQLAlchemy models) in one transaction —
    ``create_run`` commits once per run, minutes for 12,000 runs on a slow
    disk. The result is then read back through ``MlflowClient`` and checked
    against what was written. Returns the store's facts (also kept in
    ``path/runs-store.done``, with the seeding time); reused when the marker
    holds the same parameters.
    """
    params = {
        "commits": commits,
        "runs_per_commit": runs_per_commit,
        "noise_runs": noise_runs,
        "seed": seed,
        "version": FORMAT_VERSION,
        "runs_version": _RUN_FORMAT_VERSION,
    }
    marker = path / "runs-store.done"
    if marker.exists():
        done = json.loads(marker.read_text())
        if done.get("params") == params and (path / "mlflow.db").exists():
            return done["facts"]
    started = time.perf_counter()
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    rng = random.Random(seed)
    shas, times, snaps = _runs_repo(path, commits, rng)
    repo_seconds = time.perf_counter() - started

    import logging

    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
    db = path / "mlflow.db"
    uri = f"sqlite:///{db}"
    store = SqlAlchemyStore(uri, str(path / "artifacts"))
    experiments = {
        name: store.create_experiment(name, str(path / "artifacts" / name))
        for name in ("bench-train", "bench-sweep", "bench-eda")
    }
    experiments["Default"] = "0"
    locations = {e.experiment_id: e.artifact_location for e in store.search_experiments()}
    root = shas[0]
    runs: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    run_params: list[dict[str, Any]] = []
    metrics: list[dict[str, Any]] = []
    latest: list[dict[str, Any]] = []
    expected: dict[str, dict[str, str]] = {}
    env_tags = {"repro.env.python": "3.11.9", "repro.env.platform": "linux-x86_64"}

    def add_run(
        start: int, experiment: str, run_tags: dict[str, str], history: bool, status: str
    ) -> str:
        run_id = f"{rng.getrandbits(128):032x}"
        name = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{rng.randrange(1000)}"
        duration = rng.randint(30_000, 290_000)
        end = None if status == "RUNNING" else start + duration
        experiment_id = experiments[experiment]
        runs.append(
            {
                "run_uuid": run_id,
                "name": name,
                "source_type": "UNKNOWN",
                "source_name": "",
                "entry_point_name": "",
                "user_id": "bench",
                "status": status,
                "start_time": start,
                "end_time": end,
                "deleted_time": None,
                "source_version": "",
                "lifecycle_stage": "active",
                "artifact_uri": f"{locations[experiment_id]}/{run_id}/artifacts",
                "experiment_id": int(experiment_id),
            }
        )
        all_tags = {"mlflow.user": "bench", "mlflow.runName": name, **run_tags}
        expected[run_id] = all_tags
        tags.extend({"key": k, "value": v, "run_uuid": run_id} for k, v in all_tags.items())
        values = {
            "lr": f"{10 ** rng.uniform(-4, -1):.5g}",
            "batch": str(rng.choice((16, 32, 64, 128))),
            "seed": str(rng.randrange(10_000)),
        }
        run_params.extend({"key": k, "value": v, "run_uuid": run_id} for k, v in values.items())
        base, rate = rng.uniform(0.5, 2.5), rng.uniform(4, 12)
        steps = range(HISTORY_STEPS) if history else range(HISTORY_STEPS - 1, HISTORY_STEPS)
        for key in RUN_METRIC_KEYS:
            point: dict[str, Any] = {}
            for step in steps:
                loss = base * math.exp(-step / rate) + rng.uniform(0, 0.05)
                value = loss if key == "loss" else 1 / (1 + loss)
                point = {
                    "key": key,
                    "value": value,
                    "timestamp": start + (step + 1) * duration // (HISTORY_STEPS + 1),
                    "step": step,
                    "is_nan": False,
                    "run_uuid": run_id,
                }
                metrics.append(point)
            latest.append(dict(point))
        return run_id

    def notebook_tags(notebook: str, n: int, snapshot: str | None) -> dict[str, str]:
        found = {
            "mlflow.source.name": notebook,
            "mlflow.source.type": "NOTEBOOK",
            "repro.notebook": notebook,
            "mlflow.source.git.commit": shas[n],
            "mlflow.source.git.branch": "main",
            "repro.git.dirty": "true" if snapshot else "false",
            "repro.repo": root,
            **env_tags,
        }
        if snapshot:
            found["repro.snapshot"] = snapshot
        return found

    train_ids: list[str] = []
    newest = max(0, commits - 200 // max(runs_per_commit, 1))
    for n in range(commits):
        dirty_from = runs_per_commit - rng.randint(2, 4) if n in snaps else runs_per_commit
        for i in range(runs_per_commit):
            start = (times[n] + 60 + i * 300) * 1000 + rng.randrange(1000)
            status = "FAILED" if rng.random() < 0.02 else "FINISHED"
            if n == commits - 1 and i >= runs_per_commit - 2:
                status = "RUNNING"
            run_tags = notebook_tags(RUNS_NOTEBOOK, n, snaps[n] if i >= dirty_from else None)
            experiment = "bench-train" if rng.random() < 0.85 else "bench-sweep"
            history = n >= newest or rng.random() < 0.25
            train_ids.append(add_run(start, experiment, run_tags, history, status))
    for _ in range(noise_runs):
        when = rng.randint(times[0], times[-1] + 3000)
        n = max(0, bisect.bisect_right(times, when) - 1)  # the commit checked out then
        if rng.random() < 0.1:  # a script, not a notebook: no repro tags
            run_tags = {"mlflow.source.name": "train.py", "mlflow.source.type": "LOCAL"}
            experiment = "Default"
        else:
            notebook = rng.choice(NOISE_NOTEBOOKS)
            run_tags = notebook_tags(notebook, n, None)
            experiment = "bench-sweep" if "sweep" in notebook else "bench-eda"
        add_run(when * 1000, experiment, run_tags, rng.random() < 0.1, "FINISHED")
    with store.engine.begin() as conn:  # one transaction: one sync to disk
        for model, rows in (
            (SqlRun, runs),
            (SqlTag, tags),
            (SqlParam, run_params),
            (SqlMetric, metrics),
            (SqlLatestMetric, latest),
        ):
            conn.execute(model.__table__.insert(), rows)
    store.engine.dispose()
    history_ids = train_ids[::-1][:HISTORY_RUNS]
    facts: dict[str, Any] = {
        "repo": str(path / "repo"),
        "db": str(db),
        "uri": uri,
        "notebook": RUNS_NOTEBOOK,
        "commits": commits,
        "snapshot_commits": len(snaps),
        "runs_total": len(runs),
        "notebook_runs": len(train_ids),
        "snapshot_runs": sum("repro.snapshot" in expected[r] for r in train_ids),
        "metric_rows": len(metrics),
        "experiments": experiments,
        "history_run_ids": history_ids,
        "metric_keys": list(RUN_METRIC_KEYS),
        "repo_seconds": repo_seconds,
        "insert_seconds": time.perf_counter() - started - repo_seconds,
    }
    check_start = time.perf_counter()
    _check_runs_store(uri, facts, expected)
    facts["check_seconds"] = time.perf_counter() - check_start
    facts["seconds"] = time.perf_counter() - started
    marker.write_text(json.dumps({"params": params, "facts": facts}, indent=1) + "\n")
    return facts


def _check_runs_store(uri: str, facts: dict[str, Any], expected: dict[str, dict[str, str]]) -> None:
    """Read the store back through ``MlflowClient``: counts, every run's tags, a history."""
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    ids = list(facts["experiments"].values())
    found = client.search_runs(ids, run_view_type=ViewType.ALL, max_results=50_000)
    if len(found) != facts["runs_total"]:
        raise RuntimeError(f"seeded {facts['runs_total']} runs, MLflow finds {len(found)}")
    for run in found:
        tags = expected.get(run.info.run_id)
        if tags is None or dict(run.data.tags) != tags:
            raise RuntimeError(f"run {run.info.run_id}: tags {run.data.tags} != seeded {tags}")
        if sorted(run.data.metrics) != sorted(RUN_METRIC_KEYS) or len(run.data.params) != 3:
            raise RuntimeError(f"run {run.info.run_id}: metrics/params missing: {run.data}")
    query = f"tags.`repro.notebook` = '{facts['notebook']}'"
    mine = client.search_runs(ids, filter_string=query, max_results=50_000)
    if len(mine) != facts["notebook_runs"]:
        raise RuntimeError(f"{query}: {len(mine)} runs, seeded {facts['notebook_runs']}")
    dirty = sum("repro.snapshot" in r.data.tags for r in mine)
    if dirty != facts["snapshot_runs"]:
        raise RuntimeError(f"{dirty} runs with repro.snapshot, seeded {facts['snapshot_runs']}")
    newest = [r.info.run_id for r in mine[: len(facts["history_run_ids"])]]
    if newest != facts["history_run_ids"]:
        raise RuntimeError("the newest runs MLflow lists are not the newest seeded")
    for key in RUN_METRIC_KEYS:
        points = client.get_metric_history(newest[0], key)
        if [m.step for m in points] != list(range(HISTORY_STEPS)):
            raise RuntimeError(f"history of {key} in {newest[0]}: steps {[m.step for m in points]}")


def fingerprint(path: Path) -> str:
    """A short digest of a file's bytes (to show two runs used the same input)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    sub = parser.add_subparsers(dest="command", required=True)
    nb = sub.add_parser("notebook", help="write one notebook")
    nb.add_argument("--size-mb", type=float, required=True)
    nb.add_argument("--out", type=Path, required=True)
    nb.add_argument("--edited", action="store_true", help="the edited version")
    repo = sub.add_parser("repo", help="build one repository")
    repo.add_argument("--commits", type=int, required=True)
    repo.add_argument("--files", type=int, required=True)
    repo.add_argument("--notebooks", type=int, default=8)
    repo.add_argument("--out", type=Path, required=True)
    store = sub.add_parser("runs-store", help="build a repository and an MLflow store of its runs")
    store.add_argument("--commits", type=int, default=1000)
    store.add_argument("--runs-per-commit", type=int, default=10)
    store.add_argument("--noise-runs", type=int, default=2000)
    store.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.command == "notebook":
        data = make_notebook(int(args.size_mb * 1_000_000), args.seed)
        if args.edited:
            data = edited(data, args.seed)
        _write(args.out, dumps(data))
    elif args.command == "runs-store":
        facts = build_runs_store(
            args.out,
            commits=args.commits,
            runs_per_commit=args.runs_per_commit,
            noise_runs=args.noise_runs,
            seed=args.seed,
        )
        print(json.dumps({k: v for k, v in facts.items() if k != "history_run_ids"}, indent=1))
    else:
        build_repo(
            args.out,
            commits=args.commits,
            files=args.files,
            notebooks=args.notebooks,
            seed=args.seed,
        )
    print(f"{args.out} written in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
