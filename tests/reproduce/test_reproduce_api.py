"""``runs/reproduce`` through a real Jupyter server: real kernels, real git, a real MLflow store.

Each test makes an original run in a kernel started as Jupyter Server starts
one for a notebook (:mod:`_originals`), then reproduces it through the REST
route (``POST`` starts a job, ``GET`` follows it) and reads the verdict, the
reproduction's run and its artifacts back from the store.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _originals import (
    artifacts,
    get_run,
    git,
    kernel_processes,
    make_project,
    make_store,
    notebook,
    original_run,
    repo_state,
    worktrees,
)

pytestmark = [
    pytest.mark.mlflow,
    pytest.mark.filterwarnings("ignore:.*noload.*:DeprecationWarning"),
]

Fetch = Callable[..., Any]

#: A seeded numpy "training": the metric depends on the seed, the data and ``scale``.
TRAINING = [
    "import numpy as np\nimport mlflow\nfrom jupyterlab_repro import set_seed\nset_seed(42)",
    "scale = 1.0",
    "X = np.random.rand(200, 3)\n"
    "y = X @ np.array([1.0, 2.0, 3.0]) * scale + np.random.normal(0, 0.1, 200)\n"
    "w, *_ = np.linalg.lstsq(X, y, rcond=None)\n"
    "loss = float(np.mean((X @ w - y) ** 2))",
    "with mlflow.start_run() as run:\n"
    "    mlflow.log_param('scale', scale)\n"
    "    mlflow.log_metric('w_sum', float(w.sum()))\n"
    "    mlflow.log_metric('loss', loss)\n"
    "print(run.info.run_id)",
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "mlflow.db"
    path.parent.mkdir()
    make_store(path)
    return path


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], db: Path) -> dict[str, Any]:
    return {
        **jp_server_config,
        "Repro": {"tracking_uri": f"sqlite:///{db}", "tracking_timeout": 60.0},
    }


@pytest.fixture
def repo(jp_root_dir: Path) -> Path:
    return jp_root_dir / "proj"


async def post(jp_fetch: Fetch, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await jp_fetch(
        "jupyterlab-repro", "runs", "reproduce",
        method="POST", body=json.dumps(body), raise_error=False, request_timeout=300,
    )  # fmt: skip
    return response.code, json.loads(response.body)


async def job_state(jp_fetch: Fetch, job: str) -> dict[str, Any]:
    response = await jp_fetch("jupyterlab-repro", "runs", "reproduce", params={"job": job})
    return json.loads(response.body)


async def finished(jp_fetch: Fetch, job: str, timeout: float = 300.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        data = await job_state(jp_fetch, job)
        if data["state"] == "finished":
            return data
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job} did not finish: {data}")


async def reproduce(jp_fetch: Fetch, run_id: str, **options: Any) -> dict[str, Any]:
    code, data = await post(jp_fetch, {"path": "proj", "run_id": run_id, **options})
    assert code == 202, data
    return await finished(jp_fetch, data["job"])


async def test_a_seeded_training_reproduces_exact_and_the_checkout_stays_as_it_was(
    jp_fetch: Fetch, repo: Path, db: Path
) -> None:
    make_project(repo, {"train.ipynb": notebook(TRAINING), "model.py": "DEPTH = 3\n"})
    run_id = await original_run(
        repo, "train.ipynb", [(f"c{i}", s) for i, s in enumerate(TRAINING)], db
    )
    original = get_run(db, run_id)
    assert original.data.tags["repro.env.lock"]
    assert git(repo, "for-each-ref", "refs/repro/envs/")
    before = repo_state(repo)

    data = await reproduce(jp_fetch, run_id)

    verdict = data["verdict"]
    assert verdict["verdict"] == "exact", data
    # the path it was asked for: the lab compares there and its sidebar follows it
    assert data["path"] == "proj"
    assert {m["key"]: m["exact"] for m in verdict["metrics"]} == {"loss": True, "w_sum": True}
    assert verdict["params_equal"] is True
    assert data["check"]["differs"] is False, data["check"]
    assert data["check"]["environment"]["compared"] is True
    # the user's checkout: byte for byte, and no work tree left
    assert repo_state(repo) == before
    assert worktrees(repo) == [str(repo)]
    # the reproduction is a run of its own, tagged, with its notebook and verdict
    reproduction = get_run(db, data["reproduction_run_id"])
    tags = reproduction.data.tags
    assert tags["repro.reproduces"] == run_id
    assert tags["repro.reproduction.job"] == data["job"]
    assert tags["repro.reproduction.verdict"] == "exact"
    assert tags["repro.reproduction.summary"] == "loss:=;w_sum:=;params:="
    assert tags["repro.notebook"] == "train.ipynb"
    assert tags["mlflow.source.git.commit"] == original.data.tags["mlflow.source.git.commit"]
    assert tags["repro.env.lock"] == original.data.tags["repro.env.lock"]
    assert reproduction.data.metrics == original.data.metrics
    files = artifacts(db, data["reproduction_run_id"])
    executed = json.loads(files["train.ipynb"])
    assert [c["execution_count"] for c in executed["cells"]] == [1, 2, 3, 4]
    assert (
        run_id in "".join(executed["cells"][3]["outputs"][0]["text"])
        or executed["cells"][3]["outputs"]
    )
    assert json.loads(files["verdict.json"])["verdict"] == "exact"
    # the original knows its last reproduction, and so does the runs list
    tags = get_run(db, run_id).data.tags
    assert tags["repro.reproduction.verdict"] == "exact"
    assert tags["repro.reproduction.run_id"] == data["reproduction_run_id"]
    response = await jp_fetch("jupyterlab-repro", "runs", params={"path": "proj/train.ipynb"})
    listed = {r["run_id"]: r for g in json.loads(response.body)["groups"] for r in g["runs"]}
    assert listed[run_id]["reproduction"] == {
        "verdict": "exact",
        "run_id": data["reproduction_run_id"],
    }
    assert listed[data["reproduction_run_id"]]["reproduces"] == run_id


async def test_an_unsaved_edit_is_reproduced_as_it_ran_not_as_the_file_says(
    jp_fetch: Fetch, repo: Path, db: Path
) -> None:
    """The file says ``scale = 1.0``; the kernel ran ``scale = 2.0`` (never saved)."""
    make_project(repo, {"train.ipynb": notebook(TRAINING)})
    ran = [(f"c{i}", s) for i, s in enumerate(TRAINING)]
    ran[1] = ("c1", "scale = 2.0")
    run_id = await original_run(repo, "train.ipynb", ran, db)
    tags = get_run(db, run_id).data.tags
    assert tags["repro.unsaved"] == "true" and tags["repro.snapshot"]

    data = await reproduce(jp_fetch, run_id)

    assert data["plan"]["code"] == tags["repro.snapshot"] and data["plan"]["snapshot"]
    assert data["verdict"]["verdict"] == "exact", data["verdict"]
    reproduction = get_run(db, data["reproduction_run_id"])
    assert reproduction.data.params["scale"] == "2.0"
    # the file's code gives another metric: the verdict proves which code ran
    w_sum = reproduction.data.metrics["w_sum"]
    assert abs(w_sum - 2 * 6.0) < 0.5, w_sum


async def test_cells_run_out_of_order_are_replayed_in_their_order(
    jp_fetch: Fetch, repo: Path, db: Path
) -> None:
    sources = [
        "import mlflow\nx = 1",
        "x = x * 10",
        "x = x + 5",
        "with mlflow.start_run() as run:\n    mlflow.log_metric('x', x)\nprint(run.info.run_id)",
    ]
    make_project(repo, {"order.ipynb": notebook(sources)})
    ran = [("c0", sources[0]), ("c2", sources[2]), ("c1", sources[1]), ("c3", sources[3])]
    run_id = await original_run(repo, "order.ipynb", ran, db)
    assert get_run(db, run_id).data.metrics["x"] == 60.0  # top to bottom would give 15
    assert get_run(db, run_id).data.tags["repro.execution_order"] == "1,3,2,4"

    data = await reproduce(jp_fetch, run_id)

    assert data["plan"]["cells"] == [1, 3, 2, 4]
    assert data["verdict"]["verdict"] == "exact", data["verdict"]
    assert get_run(db, data["reproduction_run_id"]).data.metrics["x"] == 60.0


async def test_a_lock_that_differs_is_reported_and_strict_refuses(
    jp_fetch: Fetch, repo: Path, db: Path, tmp_path: Path
) -> None:
    """The run's kernel had one more distribution (``fakepkg-repro 1.0``) than kernels have now."""
    extra = tmp_path / "extra-site"
    meta = extra / "fakepkg_repro-1.0.dist-info"
    meta.mkdir(parents=True)
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg-repro\nVersion: 1.0\n")
    sources = [
        "import mlflow",
        "with mlflow.start_run() as run:\n    mlflow.log_metric('m', 1.0)\nprint(run.info.run_id)",
    ]
    make_project(repo, {"nb.ipynb": notebook(sources)})
    run_id = await original_run(
        repo, "nb.ipynb", [("c0", sources[0]), ("c1", sources[1])], db,
        env={"PYTHONPATH": str(extra)},
    )  # fmt: skip
    before = repo_state(repo)
    refs = git(repo, "for-each-ref")

    code, refused = await post(
        jp_fetch, {"path": "proj/nb.ipynb", "run_id": run_id, "strict": True}
    )

    assert code == 409, refused
    assert refused["reason"] == "environment-differs"
    rows = refused["check"]["environment"]["differences"]
    assert {"kind": "package", "name": "fakepkg-repro", "recorded": "1.0", "now": None} in rows
    assert "fakepkg-repro" not in json.dumps(refused["check"]["inputs"])
    assert repo_state(repo) == before and git(repo, "for-each-ref") == refs
    assert worktrees(repo) == [str(repo)]
    listed = await jp_fetch("jupyterlab-repro", "runs", "reproduce")
    assert json.loads(listed.body)["jobs"] == []  # no job was started

    data = await reproduce(jp_fetch, run_id)  # not strict: runs, and says what differs
    assert data["check"]["differs"] is True
    assert any(r["name"] == "fakepkg-repro" for r in data["check"]["environment"]["differences"])
    assert data["verdict"]["verdict"] == "exact"


async def test_a_changed_input_file_is_named(jp_fetch: Fetch, repo: Path, db: Path) -> None:
    sources = [
        "import mlflow",
        "values = [float(v) for v in open('data/train.csv').read().split()]",
        "with mlflow.start_run() as run:\n"
        "    mlflow.log_metric('total', sum(values))\n"
        "print(run.info.run_id)",
    ]
    make_project(
        repo,
        {
            "nb.ipynb": notebook(sources),
            "pyproject.toml": '[tool.jupyterlab-repro]\ninputs = ["data/"]\n',
            ".gitignore": "data/\n",
        },
    )
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text("1 2 3\n")
    (repo / "data" / "labels.csv").write_text("0 1\n")
    run_id = await original_run(repo, "nb.ipynb", [(f"c{i}", s) for i, s in enumerate(sources)], db)
    original = get_run(db, run_id)
    assert original.data.tags["repro.inputs"]
    assert git(repo, "for-each-ref", "--format=%(refname)", "refs/repro/inputs/")
    names = [d.dataset.name for d in original.inputs.dataset_inputs]
    assert names == ["data/"], names  # the MLflow UI lists the inputs too

    (repo / "data" / "train.csv").write_text("1 2 4\n")
    data = await reproduce(jp_fetch, run_id)

    assert data["check"]["inputs"]["differences"] == [
        {
            "path": "data/train.csv",
            "change": "changed",
            "recorded": data["check"]["inputs"]["differences"][0]["recorded"],
            "now": data["check"]["inputs"]["differences"][0]["now"],
        }
    ]
    assert data["check"]["differs"] is True
    assert data["verdict"]["verdict"] == "differs"
    (row,) = data["verdict"]["metrics"]
    assert (row["recorded"], row["reproduced"], row["difference"]) == (6.0, 7.0, 1.0)
    assert (repo / "data" / "train.csv").read_text() == "1 2 4\n"  # copied, never written
    # the reproduction records the inputs it read (the changed file), not the run's
    reproduced = get_run(db, data["reproduction_run_id"]).data.tags["repro.inputs"]
    assert reproduced != original.data.tags["repro.inputs"]
    assert git(repo, "cat-file", "-t", f"refs/repro/inputs/{reproduced}") == "blob"


async def test_a_cell_that_raises_fails_with_the_cell_and_says_why(
    jp_fetch: Fetch, repo: Path, db: Path
) -> None:
    """``notes.txt`` is in the user's working copy, neither committed nor declared."""
    sources = [
        "import mlflow\nrun = mlflow.start_run()\nmlflow.log_metric('m', 1.0)",
        "text = open('notes.txt').read()",
        "mlflow.end_run()\nprint(run.info.run_id)",
    ]
    make_project(repo, {"nb.ipynb": notebook(sources), ".gitignore": "notes.txt\n"})
    (repo / "notes.txt").write_text("hello\n")
    run_id = await original_run(repo, "nb.ipynb", [(f"c{i}", s) for i, s in enumerate(sources)], db)

    data = await reproduce(jp_fetch, run_id)

    verdict = data["verdict"]
    assert verdict["verdict"] == "failed", verdict
    failure = verdict["failure"]
    assert failure["cell"] == 2 and failure["ename"] == "FileNotFoundError"
    assert failure["source"] == "text = open('notes.txt').read()"
    assert "declare it in [tool.jupyterlab-repro] inputs" in failure["hint"]
    reproduction = get_run(db, data["reproduction_run_id"])
    assert reproduction.info.status == "FAILED"
    assert reproduction.data.tags["repro.reproduction.cell"] == "2"
    assert reproduction.data.tags["repro.reproduction.error"].startswith(
        "cell 2: FileNotFoundError"
    )
    # nothing lost: the partial notebook, with the error in cell 2
    executed = json.loads(artifacts(db, data["reproduction_run_id"])["nb.ipynb"])
    assert executed["cells"][1]["outputs"][0]["ename"] == "FileNotFoundError"
    assert executed["cells"][2]["execution_count"] is None
    assert worktrees(repo) == [str(repo)]


async def test_cancel_leaves_no_kernel_and_no_worktree(
    jp_fetch: Fetch, repo: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = [
        "import os, time, mlflow",
        "with mlflow.start_run() as run:\n    mlflow.log_metric('m', 1.0)",
        "time.sleep(float(os.environ.get('REPRO_TEST_SLEEP', '0')))\nprint(run.info.run_id)",
    ]
    make_project(repo, {"slow.ipynb": notebook(sources)})
    run_id = await original_run(
        repo, "slow.ipynb", [(f"c{i}", s) for i, s in enumerate(sources)], db
    )
    before = repo_state(repo)
    monkeypatch.setenv("REPRO_TEST_SLEEP", "600")  # the reproduction's kernel sleeps

    code, started = await post(jp_fetch, {"path": "proj", "run_id": run_id})
    assert code == 202, started
    job = started["job"]
    while True:
        data = await job_state(jp_fetch, job)
        if (data["progress"] or {}).get("cell") == 3:
            break
        assert data["state"] == "running", data
        await asyncio.sleep(0.2)
    assert data["progress"]["step"] == 3 and data["progress"]["steps"] == 3
    assert data["progress"]["source"].startswith("time.sleep(")
    assert kernel_processes(f"REPRO_REPRODUCTION_JOB={job}")
    # a second reproduction while one runs: 409 naming the running job
    code, busy = await post(jp_fetch, {"path": "proj", "run_id": run_id})
    assert code == 409 and busy["reason"] == "reproduction-running"
    assert busy["job"]["job"] == job

    response = await jp_fetch(
        "jupyterlab-repro", "runs", "reproduce", method="DELETE", params={"job": job}
    )
    assert response.code in (200, 202)
    data = await finished(jp_fetch, job, timeout=60)

    assert data["verdict"]["verdict"] == "cancelled"
    assert not kernel_processes(f"REPRO_REPRODUCTION_JOB={job}")
    assert worktrees(repo) == [str(repo)]
    assert repo_state(repo) == before
    assert get_run(db, data["reproduction_run_id"]).info.status == "KILLED"


@pytest.mark.parametrize(
    "run_id",
    ["../../etc/passwd", "x" * 65, "'; DROP TABLE runs; --", "-h", "\u202e", "0" * 32],
)
async def test_hostile_run_ids_answer_4xx(jp_fetch: Fetch, repo: Path, run_id: str) -> None:
    make_project(repo, {"README.md": "# x\n"})
    code, data = await post(jp_fetch, {"path": "proj", "run_id": run_id})
    assert 400 <= code < 500, data
    assert isinstance(data["message"], str) and data["reason"]


@pytest.mark.parametrize(
    ("job", "status"),
    [("../x", 400), ("0" * 31, 400), ("A" * 32, 400), ("0" * 32, 404), ("", 400), ("%00", 400)],
)
async def test_hostile_job_ids_answer_4xx(jp_fetch: Fetch, job: str, status: int) -> None:
    for method in ("GET", "DELETE"):
        response = await jp_fetch(
            "jupyterlab-repro", "runs", "reproduce",
            method=method, params={"job": job}, raise_error=False,
        )  # fmt: skip
        if method == "GET" and job == "":
            assert response.code == 200  # no job: the list
            continue
        assert response.code == status, (method, job, response.body)
        assert json.loads(response.body)["message"]


async def test_bad_options_answer_400(jp_fetch: Fetch, repo: Path) -> None:
    make_project(repo, {"README.md": "# x\n"})
    for options in (
        {"rtol": -1},
        {"atol": "1"},
        {"timeout": 0},
        {"strict": "yes"},
        {"rtol": 1e400},
    ):
        code, data = await post(jp_fetch, {"path": "proj", "run_id": "0" * 32, **options})
        assert code == 400, (options, data)
