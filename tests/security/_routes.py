"""Every route of the jupyterlab_repro extension, read from a live tornado application.

Nothing here is a hand-kept list: the routes are the rules tornado routes
requests with, the methods are the ones the handler classes (or bases of
ours) define, and the keys are the request fields each method reads, by
name in its code (``body.get("path")``) or through a field declaration of
its class it refers to (``self.query(self.QUERY)``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import tornado.web

#: URL segment below the server's base_url where the extension registers its routes.
PREFIX = "jupyterlab-repro"
#: Python package of the extension: a handler defined in it is ours.
PACKAGE = "jupyterlab_repro"
#: Methods tornado dispatches (``SUPPORTED_METHODS``).
HTTP_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")
#: Methods that may change state: they must pass tornado's XSRF check under cookie auth.
MUTATING = ("POST", "PUT", "DELETE", "PATCH")

#: Calls whose first string argument names a request field (query argument or body key).
_KEY_CALL = re.compile(
    r"""(?:get_query_arguments?|get_arguments?|get_body_arguments?|body\.get|body\.pop|"""
    r"""string_list|optional_string|\w*_field)\(\s*(?:[\w.]+\s*,\s*)?["']([^"'\s]+)["']"""
)
_KEY_INDEX = re.compile(r"""\bbody\[\s*["']([^"'\s]+)["']\s*\]""")


@dataclass(frozen=True)
class Route:
    """One registered route of the extension."""

    #: The path below ``<base_url>jupyterlab-repro/`` (``"guardrails/fix"``).
    name: str
    #: The absolute URL path to request (base_url included, groups filled in).
    url: str
    #: The regular expression tornado matches the path with.
    pattern: str
    #: ``module.QualName`` of the handler class.
    handler: str
    #: HTTP method → the request fields its code reads (sorted).
    methods: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    """One (route, method) pair: the unit every security test covers."""

    route: Route
    method: str

    @property
    def keys(self) -> list[str]:
        return self.route.methods[self.method]

    def __str__(self) -> str:
        return f"{self.method} {self.route.name}"

    def __repr__(self) -> str:
        return f"Endpoint({self.method} {self.route.name})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis' failure report
        printer.text(repr(self))


def _rules(router: Any) -> Iterator[Any]:
    """Every leaf rule of a tornado router, nested routers (host rules) included."""
    for rule in getattr(router, "rules", []):
        target = rule.target
        if isinstance(target, type) and issubclass(target, tornado.web.RequestHandler):
            yield rule
        elif hasattr(target, "rules"):
            yield from _rules(target)


def _is_ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module == PACKAGE or module.startswith(PACKAGE + ".")


def implemented_methods(handler: type[tornado.web.RequestHandler]) -> list[str]:
    """The HTTP methods the first definition in the MRO of which is ours (not tornado's default)."""
    found = []
    for method in HTTP_METHODS:
        owner = next((k for k in handler.__mro__ if method.lower() in vars(k)), None)
        if owner is not None and _is_ours(owner):
            found.append(method)
    return found


def keys_read(source: str) -> set[str]:
    """Request fields named in ``source`` (``body.get("path")``, ``get_query_argument("to")`` …)."""
    return set(_KEY_CALL.findall(source)) | set(_KEY_INDEX.findall(source))


def field_specs(cls: type) -> dict[str, list[str]]:
    """Class attributes (ours, through the MRO) that declare request fields: name → field names.

    A declaration is a mapping of strings to objects of a class of ours
    (``QUERY = {"path": PATH, "max_results": Int(...)}``).
    """
    specs: dict[str, list[str]] = {}
    for klass in reversed(cls.__mro__):
        if not _is_ours(klass):
            continue
        for name, value in vars(klass).items():
            if (
                isinstance(value, Mapping)
                and value
                and all(isinstance(k, str) for k in value)
                and all(_is_ours(type(v)) for v in value.values())
            ):
                specs[name] = sorted(value)
    return specs


def _method_keys(handler: type[tornado.web.RequestHandler], method: str) -> list[str]:
    """Fields read by name in the method's code, plus those of the declarations it refers to."""
    func = inspect.unwrap(getattr(handler, method.lower()))
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return []
    keys = keys_read(source)
    for name, fields in field_specs(handler).items():
        if re.search(
            rf"\b(?:self|cls|type\(self\)|{handler.__name__})\.{re.escape(name)}\b", source
        ):
            keys |= set(fields)
    return sorted(keys)


def _url(matcher: Any) -> str | None:
    """A concrete path for the rule (each regex group filled with ``x``)."""
    regex = getattr(matcher, "regex", None)
    if regex is None:
        return None
    if regex.groups:
        try:
            return matcher.reverse(*(["x"] * regex.groups))
        except (AssertionError, ValueError, TypeError):
            return None
    path = getattr(matcher, "_path", None)
    return path if isinstance(path, str) else None


def discover_routes(web_app: tornado.web.Application, base_url: str) -> list[Route]:
    """Every route whose handler is ours or whose path lies below ``<base_url>jupyterlab-repro/``."""
    prefix = base_url.rstrip("/") + f"/{PREFIX}/"
    found: dict[tuple[str, str], Route] = {}
    for rule in _rules(web_app.default_router):
        handler = rule.target
        url = _url(rule.matcher)
        pattern = getattr(getattr(rule.matcher, "regex", None), "pattern", repr(rule.matcher))
        below = url is not None and url.startswith(prefix)
        if not (below or _is_ours(handler)):
            continue
        name = url[len(prefix) :] if url is not None and below else (url or pattern)
        methods = {m: _method_keys(handler, m) for m in implemented_methods(handler)}
        route = Route(
            name=name,
            url=url or "",
            pattern=pattern,
            handler=f"{handler.__module__}.{handler.__qualname__}",
            methods=methods,
        )
        found.setdefault((pattern, route.handler), route)
    return sorted(found.values(), key=lambda r: r.name)


def endpoints(routes: list[Route], methods: tuple[str, ...] = HTTP_METHODS) -> list[Endpoint]:
    """Every (route, method) pair with ``method`` in ``methods``."""
    return [Endpoint(r, m) for r in routes for m in r.methods if m in methods]


def routes_to_json(routes: list[Route]) -> list[dict[str, Any]]:
    return [asdict(r) for r in routes]


def routes_from_json(data: list[dict[str, Any]]) -> list[Route]:
    return [Route(**item) for item in data]
