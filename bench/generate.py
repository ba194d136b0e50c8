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

Usage (normally called by ``bench/run.py``)::

    python bench/generate.py notebook --size-mb 50 --out /tmp/nb.ipynb
    python bench/generate.py repo --commits 10000 --files 20000 --out /tmp/big
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
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
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.command == "notebook":
        data = make_notebook(int(args.size_mb * 1_000_000), args.seed)
        if args.edited:
            data = edited(data, args.seed)
        _write(args.out, dumps(data))
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
