"""``docker/compose.yaml``, ``docker/.env.example`` and the Dockerfiles, read as Docker reads them.

Plain Python and PyYAML only: ``docker/smoke.mk`` runs this file to learn what
the tracking server's venv installs (``python _compose_recipe.py
mlflow-requirements``), and the smoke tests read the services from it.

Interpolation is Compose's: ``$$`` is a literal ``$``; ``$NAME`` and ``${NAME}``;
``${NAME:-default}`` / ``${NAME-default}`` (unset or empty / unset);
``${NAME:?message}`` / ``${NAME?message}`` (an error); ``${NAME:+alt}`` /
``${NAME+alt}``. The values come from the env file only (as ``docker compose
--env-file`` with an empty shell environment), so the smoke run does not depend
on the caller's variables.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
ENV_EXAMPLE = DOCKER / ".env.example"
LAB_DOCKERFILE = DOCKER / "Dockerfile"
MLFLOW_DOCKERFILE = DOCKER / "mlflow.Dockerfile"

#: Variables whose empty value in ``.env.example`` is a secret to fill in.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN", re.IGNORECASE)

_REFERENCE = re.compile(
    r"\$(?:\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|(?P<dollar>\$))"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


class InterpolationError(ValueError):
    """A required variable is missing (Compose refuses to start)."""


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """``value`` with its variables replaced the way Compose replaces them."""

    def one(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["name"] or match["bare"]
        op, arg = match["op"] or "", match["arg"] or ""
        if "${" in arg:
            raise InterpolationError(f"nested interpolation is not supported here: {value!r}")
        is_set = name in env
        has_value = bool(env.get(name))
        if op in (":-", "-"):
            return env[name] if (has_value if op == ":-" else is_set) else arg
        if op in (":?", "?"):
            if has_value if op == ":?" else is_set:
                return env[name]
            raise InterpolationError(f"required variable {name} is missing a value: {arg}")
        if op in (":+", "+"):
            return arg if (has_value if op == ":+" else is_set) else ""
        return env.get(name, "")

    return _REFERENCE.sub(one, value)


def interpolated(node: Any, env: Mapping[str, str]) -> Any:
    """Every string in a parsed YAML document interpolated (keys stay as they are)."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(value, env) for value in node]
    return node


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """``NAME=value`` lines (comments and blank lines skipped, one level of quotes removed)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()):
            raise ValueError(f"{path.name}:{number} is not NAME=value: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def with_secrets(env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """``env`` with every empty secret set to a fresh random value; also the names filled."""
    filled = {k: v for k, v in env.items()}
    names = [k for k, v in env.items() if not v and SECRET_NAME.search(k)]
    for name in names:
        filled[name] = secrets.token_hex(24)
    return filled, names


def duration(text: str | int | float | None, default: float) -> float:
    """A Compose duration (``10s``, ``1m30s``, ``500ms``) in seconds."""
    if text is None:
        return default
    if isinstance(text, (int, float)):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise ValueError(f"not a Compose duration: {text!r}")
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def words(value: Any) -> list[str]:
    """A ``command`` / ``entrypoint`` / healthcheck ``test`` as a list of words."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    return [str(item) for item in value]


@dataclass(frozen=True)
class Healthcheck:
    test: list[str]
    interval: float
    timeout: float
    retries: int
    start_period: float

    @property
    def deadline(self) -> float:
        """Seconds until Compose would call the service unhealthy."""
        return self.start_period + self.interval * self.retries


@dataclass(frozen=True)
class Service:
    """One service of ``compose.yaml``, interpolated."""

    name: str
    spec: dict[str, Any]
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def image(self) -> str:
        return str(self.spec.get("image", ""))

    @property
    def command(self) -> list[str]:
        return words(self.spec.get("command"))

    @property
    def entrypoint(self) -> list[str]:
        return words(self.spec.get("entrypoint"))

    @property
    def depends_on(self) -> dict[str, str]:
        """``{service: condition}``."""
        deps = self.spec.get("depends_on") or {}
        if isinstance(deps, list):
            return {str(d): "service_started" for d in deps}
        return {str(k): str((v or {}).get("condition", "service_started")) for k, v in deps.items()}

    @property
    def healthcheck(self) -> Healthcheck | None:
        check = self.spec.get("healthcheck")
        if not check or check.get("disable"):
            return None
        return Healthcheck(
            test=words(check["test"]),
            interval=duration(check.get("interval"), 30.0),
            timeout=duration(check.get("timeout"), 30.0),
            retries=int(check.get("retries", 3)),
            start_period=duration(check.get("start_period"), 0.0),
        )

    @property
    def published(self) -> list[tuple[int, int]]:
        """``(host port, container port)`` of each ``ports`` entry."""
        out = []
        for entry in self.spec.get("ports") or []:
            *_, host, container = str(entry).split(":")
            out.append((int(host), int(container.split("/")[0])))
        return out


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    services: dict[str, Service]

    def order(self) -> list[str]:
        """The services in an order that starts each after what it depends on."""
        done: list[str] = []
        pending = dict(self.services)
        while pending:
            ready = [n for n, s in pending.items() if set(s.depends_on) <= set(done)]
            if not ready:
                raise ValueError(f"depends_on has a cycle among {sorted(pending)}")
            for name in sorted(ready):
                done.append(name)
                del pending[name]
        return done


def load(env: Mapping[str, str], path: Path = COMPOSE) -> Stack:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    services: dict[str, Service] = {}
    for name, spec in document["services"].items():
        spec = interpolated(spec, env)
        raw_env = spec.get("environment") or {}
        if isinstance(raw_env, list):
            environment = dict(i.split("=", 1) if "=" in i else (i, "") for i in raw_env)
        else:
            environment = {str(k): "" if v is None else str(v) for k, v in raw_env.items()}
        services[name] = Service(name, spec, environment)
    return Stack(dict(env), services)


# --- Dockerfiles -------------------------------------------------------------------


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
    if pending:
        raise ValueError(f"{path.name} ends inside a continued line")
    return out


def arg_default(steps: list[tuple[str, str]], name: str) -> str:
    for keyword, rest in steps:
        if keyword == "ARG" and rest.startswith(name + "="):
            return rest.split("=", 1)[1].strip().strip('"')
    raise ValueError(f"no ARG {name}=… with a default")


def mlflow_image_version(path: Path = MLFLOW_DOCKERFILE) -> str:
    """``X.Y.Z`` of ``ARG MLFLOW_IMAGE=…:vX.Y.Z``."""
    image = arg_default(instructions(path), "MLFLOW_IMAGE")
    match = re.fullmatch(r".+:v(\d+\.\d+\.\d+)", image)
    if not match:
        raise ValueError(f"MLFLOW_IMAGE={image} has no :vX.Y.Z tag")
    return match[1]


def pip_install_requirements(path: Path) -> list[str]:
    """The requirements of the ``pip install`` commands in the Dockerfile's RUN steps."""
    found: list[str] = []
    for keyword, rest in instructions(path):
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;|\|\|", rest):
            argv = command.split()
            if argv[:2] != ["pip", "install"] and argv[:4] != ["python", "-m", "pip", "install"]:
                continue
            for word in argv[argv.index("install") + 1 :]:
                if word.startswith("-"):
                    if word not in ("--no-cache-dir", "-q", "--quiet", "--no-compile"):
                        raise ValueError(f"{path.name}: pip option {word} is not understood here")
                    continue
                found.append(word)
    if not found:
        raise ValueError(f"{path.name} has no pip install")
    return found


def mlflow_requirements(path: Path = MLFLOW_DOCKERFILE) -> list[str]:
    """What the tracking server's image holds: its base image's MLflow and the pip install line."""
    return [f"mlflow=={mlflow_image_version(path)}", *pip_install_requirements(path)]


def final_stage_env(path: Path, build_args: Mapping[str, str]) -> dict[str, str]:
    """The ``ENV`` of a Dockerfile's last stage, its ``${ARG}``s from ``build_args`` or defaults."""
    stages: list[list[tuple[str, str]]] = [[]]
    for step in instructions(path):
        if step[0] == "FROM":
            stages.append([])
        stages[-1].append(step)
    args: dict[str, str] = {}
    env: dict[str, str] = {}
    for keyword, rest in stages[-1]:
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name] = build_args.get(name, default.strip('"'))
        elif keyword == "ENV":
            for name, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", rest):
                env[name] = re.sub(
                    r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: args.get(m[1], ""), value
                )
    return env


def main(argv: list[str]) -> int:
    if argv == ["mlflow-requirements"]:
        print("\n".join(mlflow_requirements()))
        return 0
    print("usage: _compose_recipe.py mlflow-requirements", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
