"""The rooms of the package and what each may import (README "Architecture").

Read from the source (every ``import`` statement, also the ones inside
functions) and from real imports in fresh interpreters: a new import that
crosses a room's rule fails here, not in review.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACKAGE = Path(__file__).resolve().parents[1] / "jupyterlab_repro"
ROOT = "jupyterlab_repro"

#: Room → the rooms (or single modules) its modules may import, besides itself.
#: Shared plain modules: errors, deadline, inputs, files, tags, mlflow_compat.
ALLOWED: dict[str, set[str]] = {
    "_version": set(),  # generated at build time
    "errors": set(),
    "deadline": set(),
    # Import-free: the kernel plugin imports both on every `import mlflow`.
    "tags": set(),
    "mlflow_compat": set(),
    "inputs": {"errors"},
    "files": {"errors"},
    "git": {"errors", "deadline", "files", "inputs"},
    "notebook": {"errors"},
    "commit": {"errors", "deadline", "files", "inputs", "git", "notebook"},
    "export": {"errors", "deadline", "files", "inputs", "git", "notebook", "commit.rules"},
    # The kernel side: imported by the run-context plugin on every `import mlflow`.
    "kernel": {
        "errors",
        "deadline",
        "files",
        "inputs",
        "tags",
        "mlflow_compat",
        "git",
        "notebook",
        "commit.rules",
    },
    # The server's MLflow access: never the kernel side, never the server.
    "tracking": {"errors", "deadline", "files", "inputs", "tags", "mlflow_compat", "git"},
    "runs": {
        "errors",
        "deadline",
        "files",
        "inputs",
        "tags",
        "mlflow_compat",
        "git",
        "notebook",
        "commit.rules",
        "kernel",
        "tracking",
    },
    "reproduce": {
        "errors",
        "deadline",
        "files",
        "inputs",
        "tags",
        "mlflow_compat",
        "git",
        "notebook",
        "commit.rules",
        "kernel",
        "tracking",
        "runs",
    },
    "cli": {
        "errors",
        "deadline",
        "files",
        "inputs",
        "tags",
        "mlflow_compat",
        "git",
        "notebook",
        "commit",
        "export",
        "runs",
        "kernel",
        "tracking",
        "reproduce",
        ROOT,
    },
    "server": {
        "errors",
        "deadline",
        "files",
        "inputs",
        "tags",
        "mlflow_compat",
        "git",
        "notebook",
        "commit",
        "export",
        "runs",
        "kernel",
        "tracking",
        "reproduce",
        ROOT,
    },
}
#: Rooms that must run without a Jupyter server.
CORE = [
    "errors",
    "deadline",
    "inputs",
    "files",
    "tags",
    "mlflow_compat",
    "git",
    "notebook",
    "commit",
    "export",
    "kernel",
    "tracking",
    "runs",
    "reproduce",
    "cli",
]
GLUE = ("tornado", "jupyter_server")
#: What MLflow loads in the user's kernel: ``module:attribute`` of each
#: ``mlflow.run_context_provider`` entry point pyproject.toml declares.
PLUGINS: list[str] = sorted(
    tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "entry-points"
    ]["mlflow.run_context_provider"].values()
)
#: What never loads in a kernel: the server side (glue, its MLflow access, the CLI).
NOT_IN_KERNEL = (*GLUE, f"{ROOT}.server", f"{ROOT}.tracking", f"{ROOT}.cli")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "labextension" in path.parts:
            continue
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports (absolute names; ``from . import x`` resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            for alias in node.names:
                candidate = f"{prefix}.{alias.name}"
                out.add(candidate if candidate in MODULES else prefix)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _room(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def _allowed(target: str, rules: set[str]) -> bool:
    if target == ROOT:
        return ROOT in rules
    inner = target.removeprefix(ROOT + ".")
    return any(inner == rule or inner.startswith(rule + ".") for rule in rules)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _room(n) != ROOT))
def test_rooms_import_only_what_their_rule_allows(name: str) -> None:
    room = _room(name)
    rules = ALLOWED[room] | {room}
    ours = {t for t in GRAPH[name] if t == ROOT or t.startswith(ROOT + ".")}
    wrong = sorted(t for t in ours if not _allowed(t, rules))
    assert not wrong, f"{name} ({room}/) may not import {wrong}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _room(n) in CORE))
def test_core_never_names_tornado_or_jupyter_server(name: str) -> None:
    glue = sorted(t for t in GRAPH[name] if t.split(".")[0] in GLUE)
    assert not glue, f"{name} imports {glue}"


def test_the_package_root_holds_only_extension_points() -> None:
    """``__init__`` imports the version at the top and everything else lazily."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    top += [n for t in tree.body if isinstance(t, ast.Try) for n in t.body]
    names = {
        (n.module or "") if isinstance(n, ast.ImportFrom) else n.names[0].name
        for n in top
        if isinstance(n, (ast.Import, ast.ImportFrom))
    }
    assert names <= {"__future__", "_version", "typing", "warnings"}, names


def test_no_import_cycles() -> None:
    """Between modules of the package, lazy imports included (the root's entry points aside)."""
    graph = {
        name: {t for t in targets if t in MODULES and t != ROOT}
        for name, targets in GRAPH.items()
        if name != ROOT
    }
    # A package imports its __init__ first: a module importing its own package is no cycle.
    for name, targets in graph.items():
        targets.discard(name.rpartition(".")[0])
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def _fresh(code: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_every_core_module_loads_no_server() -> None:
    core = sorted(n for n in MODULES if _room(n) in CORE and not n.endswith("__main__"))
    code = (
        "import importlib, json, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {GLUE!r})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


@pytest.mark.mlflow
def test_the_kernel_plugin_imports_nothing_heavy() -> None:
    """What loading the plugin adds to a process that has MLflow: our modules and the stdlib."""
    found = _fresh(
        "import json, sys\n"
        "import mlflow.tracking.context.abstract_context  # loads the plugin as MLflow does\n"
        "for m in list(sys.modules):\n"
        "    if m == 'jupyterlab_repro' or m.startswith('jupyterlab_repro.'):\n"
        "        del sys.modules[m]\n"
        "before = set(sys.modules)\n"
        f"import {PLUGINS[0].partition(':')[0]}\n"
        "added = sorted(set(sys.modules) - before)\n"
        "print(json.dumps({'added': added, 'stdlib': sorted(sys.stdlib_module_names)}))\n"
    )
    stdlib = set(found["stdlib"])  # type: ignore[arg-type]
    added = found["added"]
    assert isinstance(added, list)
    foreign = [m for m in added if m.split(".")[0] not in stdlib and m.split(".")[0] != ROOT]
    assert foreign == []
    ours = {m for m in added if m.split(".")[0] == ROOT}
    heavy = {
        f"{ROOT}.{room}"
        for room in ("server", "cli", "export", "commit.snapshot", "tracking", "runs", "reproduce")
    }
    assert not {m for m in ours for h in heavy if m == h or m.startswith(h + ".")}
    assert not any(m.split(".")[0] in GLUE for m in added)


def _loaded(modules: list[str]) -> list[str]:
    """Every module a fresh interpreter holds after importing ``modules``."""
    found = _fresh(
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    module, _, attribute = name.partition(':')\n"
        "    loaded = importlib.import_module(module)\n"
        "    if attribute:\n"
        "        getattr(loaded, attribute)\n"
        "print(json.dumps({'modules': sorted(sys.modules)}))\n"
    )
    loaded = found["modules"]
    assert isinstance(loaded, list)
    return loaded


def _under(names: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


def test_the_mlflow_plugin_lives_in_the_kernel_room() -> None:
    """The entry points MLflow loads in the user's kernel name modules of ``kernel/``."""
    assert PLUGINS, "pyproject.toml declares the mlflow.run_context_provider entry point"
    for plugin in PLUGINS:
        module = plugin.partition(":")[0]
        assert module in MODULES and _room(module) == "kernel", plugin


@pytest.mark.mlflow
def test_the_kernel_room_loads_nothing_of_the_server_side() -> None:
    """Every ``kernel/`` module and the plugin the entry points name, imported in a fresh
    interpreter: no tornado, no jupyter_server, no ``server/``, ``tracking/`` or ``cli/``."""
    kernel = sorted(n for n in MODULES if _room(n) == "kernel")
    loaded = _loaded(kernel + PLUGINS)
    assert set(kernel) <= set(loaded)
    assert _under(loaded, NOT_IN_KERNEL) == []


def test_the_tracking_room_loads_no_glue() -> None:
    """Every ``tracking/`` module in a fresh interpreter: no tornado, no jupyter_server, no
    ``server/``, ``cli/`` or kernel side (and, at import, no MLflow)."""
    tracking = sorted(n for n in MODULES if _room(n) == "tracking")
    loaded = _loaded(tracking)
    assert set(tracking) <= set(loaded)
    assert _under(loaded, (*GLUE, f"{ROOT}.server", f"{ROOT}.cli", f"{ROOT}.kernel")) == []
