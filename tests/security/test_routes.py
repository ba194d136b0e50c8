"""Authentication of every route: discovered from the server, refused without credentials or XSRF.

These run against pytest-jupyter's in-process server (``jp_serverapp``),
with the test repository of :mod:`_workspace` below its root.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from _inputs import plausible_values
from _routes import HTTP_METHODS, MUTATING, PREFIX, Endpoint, Route, discover_routes
from _server import collected_routes
from _workspace import BRANCH, IDENTITY, NOTEBOOK, Workspace, capture, describe_change
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPResponse

#: Routes a discovery bug must not be able to lose (they exist since the first release).
REQUIRED_ROUTES = {"status", "snapshot", "tags", "runs"}


def live_route(app: Any, base_url: str, route: Route) -> Route:
    """``route`` as the running server registers it (its URL carries this server's base_url)."""
    live = {r.name: r for r in discover_routes(app.web_app, base_url)}
    assert route.name in live, f"{route.name} is not registered in the running server"
    assert live[route.name].methods == route.methods
    return live[route.name]


def plausible_request(ws: Workspace, endpoint: Endpoint) -> tuple[str, bytes | None]:
    """A well-formed query string or JSON body for ``endpoint`` (the first plausible value of each field)."""
    values = plausible_values(ws, run_id="0" * 32)
    fields = {k: values[k][0] for k in endpoint.keys if k in values}
    fields["path"] = NOTEBOOK
    if endpoint.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        return "?" + urlencode(query), None
    return "", json.dumps(fields).encode()


def leaked(ws: Workspace, body: bytes) -> list[str]:
    """Repository facts found in a response body meant to say nothing."""
    needles = [ws.head, ws.head[:7], ws.first_commit, *IDENTITY, "analysis.ipynb", BRANCH]
    needles.append(str(ws.root))
    text = body.decode("utf-8", "replace")
    return [n for n in needles if n in text]


async def fetch(client: Any, url: str, method: str, body: bytes | None, **kwargs: Any) -> Any:
    return await client.fetch(
        url,
        method=method,
        body=body,
        raise_error=False,
        follow_redirects=False,
        allow_nonstandard_methods=True,
        **kwargs,
    )


# --- 1. discovery ------------------------------------------------------------


async def test_routes_are_discovered(jp_serverapp: Any, jp_base_url: str) -> None:
    """The running server's routes are found, with methods, and are the ones the tests run over."""
    live = discover_routes(jp_serverapp.web_app, jp_base_url)
    names = {r.name for r in live}
    assert live, "no route of the extension was discovered"
    assert REQUIRED_ROUTES <= names, f"missing {REQUIRED_ROUTES - names} in {sorted(names)}"
    prefix = url_path_join(jp_base_url, PREFIX) + "/"
    for route in live:
        assert route.methods, f"{route.name} ({route.handler}) implements no HTTP method"
        assert route.url.startswith(prefix), f"{route.handler} is registered at {route.url}"
        assert route.handler.startswith("jupyterlab_repro."), route.handler
    by_name = {r.name: r for r in live}
    assert "GET" in by_name["status"].methods and "POST" in by_name["snapshot"].methods
    assert {"GET", "POST"} <= set(by_name["tags"].methods)
    # The fields each method reads are found too (declared specs or direct reads):
    assert "path" in by_name["status"].methods["GET"]
    assert {"path", "message"} <= set(by_name["snapshot"].methods["POST"])
    assert {"path", "max_results"} <= set(by_name["runs"].methods["GET"])
    collected = [(r.name, r.handler, r.methods) for r in collected_routes()]
    assert collected == [(r.name, r.handler, r.methods) for r in live]


# --- 2. no credentials -------------------------------------------------------


async def test_no_credentials_is_403(
    endpoint: Endpoint,
    jp_serverapp: Any,
    jp_base_url: str,
    http_server_client: Any,
    workspace: Workspace,
) -> None:
    """Without token or cookie every route and method answers 403, says nothing, changes nothing."""
    route = live_route(jp_serverapp, jp_base_url, endpoint.route)
    query, body = plausible_request(workspace, endpoint)
    before = capture(workspace)
    response: HTTPResponse = await fetch(
        http_server_client, route.url + query, endpoint.method, body
    )
    assert response.code == 403, (endpoint, response.code, response.body[:2000])
    assert not leaked(workspace, response.body), (endpoint, response.body[:2000])
    after = capture(workspace)
    assert after == before, f"{endpoint} changed:\n{describe_change(before, after)}"


async def test_unimplemented_methods_are_refused(
    route: Route,
    jp_serverapp: Any,
    jp_base_url: str,
    http_server_client: Any,
    workspace: Workspace,
) -> None:
    """A method a route does not implement answers 403 or 405 (never 2xx or 5xx), changes nothing."""
    live = live_route(jp_serverapp, jp_base_url, route)
    before = capture(workspace)
    for method in HTTP_METHODS:
        if method in route.methods or method == "OPTIONS":  # OPTIONS: jupyter_server's CORS reply
            continue
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        response: HTTPResponse = await fetch(http_server_client, live.url, method, body)
        assert response.code in (403, 405), (method, route.name, response.code, response.body)
        assert not leaked(workspace, response.body), (method, route.name, response.body)
    after = capture(workspace)
    assert after == before, f"{route.name} changed:\n{describe_change(before, after)}"


# --- 3. cookie without XSRF --------------------------------------------------


def cookies_of(response: HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def browser_login(app: Any, client: Any, base_url: str) -> tuple[str, dict[str, str]]:
    """Open a page with ``?token=`` as a browser does; return the login cookie's name and all cookies.

    jupyter_server's IdentityProvider sets the login cookie
    (``username-<host>-<port>``) when a request authenticates with the token
    in the URL; the login page sets tornado's ``_xsrf`` cookie.
    """
    token = app.identity_provider.token
    page: HTTPResponse = await fetch(
        client, base_url + "?" + urlencode({"token": token}), "GET", None
    )
    cookies = cookies_of(page)
    names = [n for n in cookies if n.startswith("username-")]
    assert names, (page.code, dict(page.headers))
    login_page: HTTPResponse = await fetch(client, url_path_join(base_url, "login"), "GET", None)
    cookies.update({k: v for k, v in cookies_of(login_page).items() if k == "_xsrf"})
    return names[0], cookies


async def test_login_cookie_alone_authenticates_reads(
    jp_serverapp: Any, jp_base_url: str, http_server_client: Any, workspace: Workspace
) -> None:
    """The browser's login cookie, without any token, is accepted for a GET (200 with the repository)."""
    login, cookies = await browser_login(jp_serverapp, http_server_client, jp_base_url)
    url = url_path_join(jp_base_url, PREFIX, "status") + "?" + urlencode({"path": "proj"})
    headers = {"Cookie": cookie_header({login: cookies[login]})}
    response: HTTPResponse = await fetch(http_server_client, url, "GET", None, headers=headers)
    assert response.code == 200, response.body
    assert json.loads(response.body)["repository"]["head"]["sha"] == workspace.head


async def test_cookie_without_xsrf_is_403(
    write_endpoint: Endpoint,
    jp_serverapp: Any,
    jp_base_url: str,
    http_server_client: Any,
    workspace: Workspace,
) -> None:
    """A mutating request with the login cookie but no XSRF token is refused and changes nothing.

    Two forms a cross-site page can produce: the login cookie only, and the
    login cookie with the ``_xsrf`` cookie (a browser sends both) but no
    ``X-XSRFToken`` header or ``_xsrf`` argument. The same cookies are
    accepted for a GET, and the control request that adds the header gets
    past the check: the 403s are the XSRF check's, not a bad cookie's.
    """
    assert write_endpoint.method in MUTATING
    route = live_route(jp_serverapp, jp_base_url, write_endpoint.route)
    login, cookies = await browser_login(jp_serverapp, http_server_client, jp_base_url)
    assert "_xsrf" in cookies, cookies
    query, body = plausible_request(workspace, write_endpoint)
    url = route.url + query
    before = capture(workspace)
    for sent in ({login: cookies[login]}, {login: cookies[login], "_xsrf": cookies["_xsrf"]}):
        headers = {"Cookie": cookie_header(sent), "Content-Type": "application/json"}
        response: HTTPResponse = await fetch(
            http_server_client, url, write_endpoint.method, body, headers=headers
        )
        assert response.code == 403, (write_endpoint, sorted(sent), response.code, response.body)
        assert not leaked(workspace, response.body), (write_endpoint, response.body)
        after = capture(workspace)
        assert after == before, f"{write_endpoint} changed:\n{describe_change(before, after)}"

    read_url = url_path_join(jp_base_url, PREFIX, "status") + "?" + urlencode({"path": "proj"})
    read: HTTPResponse = await fetch(
        http_server_client, read_url, "GET", None, headers={"Cookie": cookie_header(sent)}
    )
    assert read.code == 200, ("the same cookie must be accepted for a GET", read.body)

    control_headers = {
        "Cookie": cookie_header({login: cookies[login], "_xsrf": cookies["_xsrf"]}),
        "X-XSRFToken": cookies["_xsrf"],
        "Content-Type": "application/json",
    }
    control: HTTPResponse = await fetch(
        http_server_client, url, write_endpoint.method, b"[]", headers=control_headers
    )
    assert control.code != 403 and control.code < 500, (control.code, control.body)
