"""The security suite's parameters and fixtures: routes read from a real server, a real root.

Tests ask for ``endpoint`` (every route and method the extension
implements), ``read_endpoint`` (GET/HEAD), ``write_endpoint``
(POST/PUT/DELETE/PATCH) or ``route``; they are parametrized with what a real
``ServerApp`` with the extension registers (:func:`_server.collected_routes`), so a
route added later is covered without editing a test.
``test_routes.py::test_routes_are_discovered`` checks that this list is the
one a running server dispatches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _routes import HTTP_METHODS, MUTATING, endpoints
from _server import collected_routes
from _target import Target, serving
from _workspace import Workspace, build_workspace

#: Parameter name → the methods of the endpoints it runs over.
ENDPOINT_PARAMETERS: dict[str, tuple[str, ...]] = {
    "endpoint": HTTP_METHODS,
    "read_endpoint": ("GET", "HEAD"),
    "write_endpoint": MUTATING,
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the endpoint and route parameters with the discovered routes."""
    for name, methods in ENDPOINT_PARAMETERS.items():
        if name in metafunc.fixturenames:
            found = endpoints(list(collected_routes()), methods)
            metafunc.parametrize(name, found, ids=[str(e) for e in found])
    if "route" in metafunc.fixturenames:
        routes = list(collected_routes())
        metafunc.parametrize("route", routes, ids=[r.name for r in routes])


@pytest.fixture
def workspace(tmp_path: Path, jp_root_dir: Path, isolated_git: Path) -> Workspace:
    """The test repository (and its neighbours) below the in-process server's root."""
    return build_workspace(tmp_path / "workspace", root=jp_root_dir, gitconfig=isolated_git)


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The attacked server: a real Jupyter server in a subprocess over the test repository.

    Started by the first test that needs it and stopped after the last one.
    """
    with serving(tmp_path_factory.mktemp("security-target")) as served:
        yield served
