"""The team stack of ``docker/compose.yaml`` started as written and used as a team would.

No Docker engine here: ``_compose_stack.py`` starts each service's own program
natively with the compose file's command, environment and healthcheck
(``docker/README.md`` says what that proves and what it does not). Then a
notebook kernel started through the lab logs runs with a metric and an
artifact to the tracking server (PostgreSQL backend, S3 artifacts through the
server's restricted key); the artifact is read back from the bucket, and the
runs panel, compare and release answer through the lab. ``make compose-smoke``
runs this file with ``REPRO_COMPOSE_SMOKE=1``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import _compose_recipe as recipe
import _compose_stack as native
import pytest
from _compose_lab import Lab

from jupyterlab_repro.tracking.store import EXPERIMENTS_TTL

NOTEBOOK = "work/team/train.ipynb"
EXPERIMENT = "compose smoke"
#: The notebook's second cell, as JupyterLab saves a source (no final newline).
LOG_CELL = """import mlflow, os, pathlib, tempfile

mlflow.set_experiment("compose smoke")
with mlflow.start_run() as run:
    mlflow.log_param("lr", lr)
    for step in range(3):
        mlflow.log_metric("loss", round(1 / (1 + lr * step), 6), step=step)
    notes = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    notes.write_text(f"lr={lr}\\n")
    mlflow.log_artifact(str(notes))
print(run.info.run_id, run.info.artifact_uri, sorted(k for k in os.environ if k.startswith("AWS_")))"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def notebook(cells: list[str]) -> str:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


# --- what the runner reads ------------------------------------------------------------


def test_compose_interpolation() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert recipe.interpolate("${SET:-d}/${EMPTY:-d}/${UNSET:-d}", env) == "x/d/d"
    assert recipe.interpolate("${EMPTY-d}/${UNSET-d}", env) == "/d"
    assert recipe.interpolate("${SET:+alt}/${EMPTY:+alt}/${EMPTY+alt}", env) == "alt//alt"
    assert recipe.interpolate("$$SET $${SET} $SET ${SET}", env) == "$SET ${SET} x x"
    assert recipe.interpolate("${EMPTY?fine}", env) == ""
    for missing in ("${EMPTY:?set EMPTY}", "${UNSET?set UNSET}"):
        with pytest.raises(recipe.InterpolationError, match="set"):
            recipe.interpolate(missing, env)
    assert recipe.duration("1m30s", 0) == 90 and recipe.duration("500ms", 0) == 0.5


def test_env_example_secrets_are_filled_and_the_rest_kept() -> None:
    example = recipe.read_env_file()
    env, filled = recipe.with_secrets(example)
    assert set(filled) == {k for k, v in example.items() if not v}, "an empty non-secret"
    assert {"JUPYTER_TOKEN", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"} <= set(filled)
    assert all(len(env[k]) == 48 for k in filled)
    assert {k: v for k, v in env.items() if k not in filled} == {
        k: v for k, v in example.items() if k not in filled
    }
    # Without the secrets compose refuses to start; so does the runner.
    with pytest.raises(recipe.InterpolationError, match="required variable"):
        recipe.load(example)


def test_the_tracking_server_venv_is_made_from_its_dockerfile() -> None:
    python = native.require(native.MLFLOW_VENV / "bin" / "python", "the tracking server's venv")
    wanted = dict(r.split("==", 1) for r in recipe.mlflow_requirements())
    assert wanted["mlflow"] == recipe.mlflow_image_version()
    script = (
        "import json, sys; from importlib.metadata import version; "
        "print(json.dumps({n: version(n) for n in sys.argv[1:]}))"
    )
    proc = subprocess.run(
        [str(python), "-c", script, *wanted], capture_output=True, text=True, check=True
    )
    installed = json.loads(proc.stdout)
    assert installed == wanted, f"stale {native.MLFLOW_VENV.name}: `{native.MAKE}` rebuilds it"


def test_addresses_are_rewritten_to_the_loopback_ports() -> None:
    env, _ = recipe.with_secrets(recipe.read_env_file())
    stack = recipe.load(env)
    network = native.Network(stack)
    pg, s3, ml, lab = (network.port(n) for n in ("postgres", "minio", "mlflow", "jupyterlab"))
    command = network.rewrite_command(stack.services["mlflow"].command, "mlflow")
    joined = " ".join(command)
    assert f"@127.0.0.1:{pg}/{env['POSTGRES_DB']}" in joined and "postgres:5432" not in joined
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == str(ml)
    ml_env = network.rewrite_env(stack.services["mlflow"].environment, "mlflow")
    assert ml_env["MLFLOW_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{s3}"
    assert ml_env["MLFLOW_SERVER_ALLOWED_HOSTS"].split(",") == [
        f"127.0.0.1:{ml}",
        f"localhost:{ml}",
        f"127.0.0.1:{ml}",
    ]
    lab_env = network.rewrite_env(stack.services["jupyterlab"].environment, "jupyterlab")
    assert lab_env["MLFLOW_TRACKING_URI"] == f"http://127.0.0.1:{ml}"
    lab_args = network.rewrite_command(stack.services["jupyterlab"].command, "jupyterlab")
    assert f"--Repro.mlflow_ui_url=http://localhost:{ml}" in lab_args
    assert len({pg, s3, ml, lab}) == 4


def test_a_service_that_does_not_come_up_fails_with_its_last_log_lines(tmp_path: Path) -> None:
    env = native.base_env(tmp_path, native.BASE_PATH)
    crashing = native.Process(
        "crashing",
        ["/bin/sh", "-c", "echo starting; echo 'FATAL: no such role' >&2; exit 3"],
        env,
        tmp_path,
        tmp_path / "crashing.log",
    )
    crashing.start()
    with pytest.raises(pytest.fail.Exception, match=r"(?s)exited \(3\).*FATAL: no such role"):
        native.wait_until(crashing, lambda: (False, "refused"), 60, "its healthcheck")
    hanging = native.Process(
        "hanging",
        ["/bin/sh", "-c", "echo waiting for nothing; exec sleep 60"],
        env,
        tmp_path,
        tmp_path / "hanging.log",
    )
    hanging.start()
    try:
        with pytest.raises(
            pytest.fail.Exception, match=r"(?s)did not pass within 1.5 s.*waiting for nothing"
        ):
            native.wait_until(hanging, lambda: (False, "refused"), 1.5, "its healthcheck")
    finally:
        stopped = hanging.stop()
    assert stopped.clean and stopped.returncode == -15


# --- the stack ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    values, _ = recipe.with_secrets(recipe.read_env_file())
    return values


@pytest.fixture(scope="module")
def stack(env: dict[str, str]) -> Iterator[native.NativeStack]:
    base = native.make_base()
    running = native.NativeStack(recipe.load(env), base)
    try:
        running.up()
        yield running
    finally:
        running.down()
        shutil.rmtree(base, ignore_errors=True)


def test_every_healthcheck_passes(stack: native.NativeStack) -> None:
    with_checks = {n for n, s in stack.stack.services.items() if s.healthcheck}
    assert with_checks == {"postgres", "minio", "mlflow"}
    assert with_checks <= set(stack.services)
    for name in stack.services:
        ok, output = stack.check(name)
        assert ok, f"{name}: {output}"
    assert stack.completed == {"minio-init": 0}


def test_postgres_was_initialised_as_the_image_does(
    stack: native.NativeStack, env: dict[str, str]
) -> None:
    assert stack.postgres is not None
    psql = stack.postgres.tool("psql")
    port = str(stack.network.port("postgres"))

    def query(sql: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(psql), "-h", "127.0.0.1", "-p", port, "-U", env["POSTGRES_USER"]]
            + ["-d", env["POSTGRES_DB"], "-w", "-tAc", sql],
            env={**native.base_env(stack.base, native.BASE_PATH), "PGPASSWORD": password},
            capture_output=True,
            text=True,
            check=False,
        )

    who = query(
        "SELECT current_user, current_database(), rolsuper FROM pg_roles "
        "WHERE rolname = current_user",
        env["POSTGRES_PASSWORD"],
    )
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == f"{env['POSTGRES_USER']}|{env['POSTGRES_DB']}|t"
    wrong = query("SELECT 1", "not-" + env["POSTGRES_PASSWORD"])
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr
    # MLflow made its tables there: the backend store is PostgreSQL, not a fallback.
    tables = query(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name IN ('experiments', 'runs', 'alembic_version')",
        env["POSTGRES_PASSWORD"],
    )
    assert tables.stdout.strip() == "3", tables.stdout + tables.stderr
    assert "--backend-store-uri" in stack.mlflow_argv
    uri = stack.mlflow_argv[stack.mlflow_argv.index("--backend-store-uri") + 1]
    assert uri.startswith("postgresql+psycopg2://")


def test_the_tracking_servers_key_is_confined_to_its_bucket(
    stack: native.NativeStack, env: dict[str, str]
) -> None:
    bucket, other = env["MLFLOW_BUCKET"], "not-mlflows"
    root = (env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"])
    setup = stack.s3(
        *root,
        [
            {"op": "create_bucket", "args": {"Bucket": other}},
            {"op": "put_object", "args": {"Bucket": other, "Key": "secret.txt", "Body": "x"}},
        ],
    )
    assert all(a["ok"] for a in setup), setup
    key = (env["MLFLOW_S3_ACCESS_KEY"], env["MLFLOW_S3_SECRET_KEY"])
    probe = "smoke/probe.txt"
    calls = [
        ("list_objects_v2", {"Bucket": bucket}, True),
        ("get_bucket_location", {"Bucket": bucket}, True),
        ("put_object", {"Bucket": bucket, "Key": probe, "Body": "probe"}, True),
        ("get_object", {"Bucket": bucket, "Key": probe}, True),
        ("delete_object", {"Bucket": bucket, "Key": probe}, True),
        ("create_bucket", {"Bucket": "another-bucket"}, False),
        ("list_objects_v2", {"Bucket": other}, False),
        ("get_object", {"Bucket": other, "Key": "secret.txt"}, False),
        ("put_object", {"Bucket": other, "Key": "planted.txt", "Body": "x"}, False),
        ("delete_bucket", {"Bucket": bucket}, False),
    ]
    answers = stack.s3(*key, [{"op": op, "args": args} for op, args, _ in calls])
    for (op, args, allowed), answer in zip(calls, answers, strict=True):
        assert answer["ok"] is allowed, (op, args, answer)
        if not allowed:
            assert answer["code"] == "AccessDenied", (op, args, answer)
    (forged,) = stack.s3(key[0], "not-" + key[1], [{"op": "list_buckets"}])
    assert not forged["ok"] and forged["code"] == "SignatureDoesNotMatch", forged
    (listed,) = stack.s3(*root, [{"op": "list_buckets"}])
    assert {b["Name"] for b in listed["result"]["Buckets"]} == {bucket, other}
    # The tracking server holds the restricted key, not the root one.
    held = Path(f"/proc/{stack.processes['mlflow'].pid}/environ").read_bytes().split(b"\0")
    held_env = dict(item.decode().split("=", 1) for item in held if b"=" in item)
    assert held_env["AWS_ACCESS_KEY_ID"] == key[0]
    assert env["MINIO_ROOT_PASSWORD"] not in held_env.values()


def test_a_notebook_logs_runs_that_the_lab_lists_compares_and_releases(
    stack: native.NativeStack, env: dict[str, str]
) -> None:
    lab = Lab(stack.network.url("jupyterlab"), env["JUPYTER_TOKEN"])
    assert lab.call("GET", "api/sessions", token=False).code == 403  # the token is on
    repo = stack.home / "work" / "team"
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    kernel = None
    commits: list[str] = []
    runs: list[tuple[str, str]] = []
    try:
        for lr in ("0.1", "0.01"):
            cells = [f"lr = {lr}", LOG_CELL]
            (repo / "train.ipynb").write_text(notebook(cells), encoding="utf-8")
            git(repo, "add", "--all")
            git(repo, "commit", "--quiet", "-m", f"exp: lr {lr}")
            commits.append(git(repo, "rev-parse", "HEAD"))
            if kernel is None:
                kernel = lab.open_notebook(NOTEBOOK, "train.ipynb")
            for i, source in enumerate(cells):
                out = kernel.run(source, f"c{i}")
            run_id, artifact_uri, aws = out.strip().splitlines()[-1].split(" ", 2)
            # Artifacts go through the tracking server: the kernel holds no S3 key.
            assert artifact_uri.startswith("mlflow-artifacts:/"), artifact_uri
            assert aws == "[]", aws
            runs.append((run_id, lr))
    finally:
        if kernel is not None:
            kernel.close()
    (a, _), (b, _) = runs

    # The artifacts are in the bucket, read with the tracking server's own key.
    key = (env["MLFLOW_S3_ACCESS_KEY"], env["MLFLOW_S3_SECRET_KEY"])
    bucket = env["MLFLOW_BUCKET"]
    (listed,) = stack.s3(*key, [{"op": "list_objects_v2", "args": {"Bucket": bucket}}])
    keys = [o["Key"] for o in listed["result"].get("Contents", [])]
    for run_id, lr in runs:
        (found,) = [k for k in keys if k.endswith(f"/{run_id}/artifacts/notes.txt")]
        (body,) = stack.s3(*key, [{"op": "get_object", "args": {"Bucket": bucket, "Key": found}}])
        assert body["result"]["Body"] == f"lr={lr}\n"
    # ... and nowhere on the tracking server's disk.
    assert sorted(p.name for p in (stack.base / "mlflow").iterdir()) == ["home", "mlflow.log"]

    # The runs panel, through the lab.
    deadline = time.monotonic() + EXPERIMENTS_TTL + 30
    while True:
        panel = lab.ok("GET", "jupyterlab-repro/runs", params={"path": NOTEBOOK})
        if sum(len(g["runs"]) for g in panel["groups"]) == 2:
            break
        assert time.monotonic() < deadline, f"the kernel's runs are not listed: {panel}"
        time.sleep(0.5)
    ml_url = stack.network.url("mlflow")
    assert panel["tracking"]["uri"] == ml_url
    assert panel["tracking"]["ui_url"] == ml_url.replace("127.0.0.1", "localhost")
    assert [g["commit"] for g in panel["groups"]] == commits[::-1]
    assert [[r["run_id"] for r in g["runs"]] for g in panel["groups"]] == [[b], [a]]
    image = stack.lab_env["REPRO_IMAGE"]
    assert image == env["LAB_IMAGE"]
    for group, lr in zip(panel["groups"], ("0.01", "0.1"), strict=True):
        (run,) = group["runs"]
        assert run["status"] == "FINISHED" and run["dirty"] is False
        assert run["params"] == {"lr": lr} and run["experiment_name"] == EXPERIMENT
        assert run["tags"]["repro.notebook"] == "train.ipynb"
        assert run["tags"]["repro.image"] == image

    # Compare, through the lab.
    query = [("run_id", a), ("run_id", b), ("metric", "loss"), ("path", NOTEBOOK)]
    compared = lab.ok("GET", "jupyterlab-repro/runs/compare", params=query)
    assert [p for p in compared["params"] if p["differs"]] == [
        {"key": "lr", "values": ["0.1", "0.01"], "differs": True}
    ]
    (code,) = compared["code"]
    assert code["known"] and (code["from_code"], code["to_code"]) == tuple(commits)
    assert "-lr = 0.1" in code["notebook_text"] and "+lr = 0.01" in code["notebook_text"]
    for run_id, lr in runs:
        series = compared["histories"]["loss"][run_id]
        assert series["steps"] == [0, 1, 2]
        want = [pytest.approx(round(1 / (1 + float(lr) * s), 6), rel=1e-5) for s in range(3)]
        assert series["values"] == want

    # Release, through the lab: an annotated tag here, repro.release on the server.
    body = {"path": "work/team", "run_id": b, "name": "v1.0", "message": "compose smoke"}
    released = lab.ok("POST", "jupyterlab-repro/runs/release", expect=201, body=body)
    assert (released["tag"], released["commit"]) == ("v1.0", commits[1])
    assert git(repo, "cat-file", "-t", "v1.0") == "tag"
    assert git(repo, "rev-parse", "v1.0^{commit}") == commits[1]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{ml_url}/api/2.0/mlflow/runs/get?run_id={b}", timeout=30) as response:
        tags = {t["key"]: t["value"] for t in json.load(response)["run"]["data"]["tags"]}
    assert tags["repro.release"] == "v1.0"
    assert tags["mlflow.source.git.commit"] == commits[1]


def test_the_lab_holds_no_database_or_s3_credential(
    stack: native.NativeStack, env: dict[str, str]
) -> None:
    pid = stack.processes["jupyterlab"].pid
    held = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    for name in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "MLFLOW_S3_SECRET_KEY"):
        assert env[name] not in held, name
    assert "AWS_" not in held


def test_every_service_stops_cleanly(stack: native.NativeStack) -> None:
    ports = {name: stack.network.port(name) for name in stack.processes}
    report = stack.down()
    # The reverse of the start order: the lab, then the tracking server, then its stores.
    assert list(report) == list(reversed(stack.processes))
    assert list(report)[:2] == ["jupyterlab", "mlflow"]
    assert set(report) == {"jupyterlab", "mlflow", "minio", "postgres"}
    problems = [
        f"{name}: exit {s.returncode}, left {s.killed} after {s.seconds:.1f} s"
        for name, s in report.items()
        if not s.clean
    ]
    native.REPORT["stopped"] = ", ".join(
        f"{name} {s.returncode} in {s.seconds:.1f} s" for name, s in report.items()
    )
    assert not problems, "\n".join(problems)
    for port in ports.values():
        with pytest.raises(OSError):
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                f"http://127.0.0.1:{port}/", timeout=5
            )
