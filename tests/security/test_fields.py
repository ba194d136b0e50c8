"""Every field of every route, one hostile value at a time: the deterministic complement of the fuzzer.

Hypothesis explores combinations but, in a few dozen examples, rarely puts
a given hostile value into a given field of a request that is otherwise
good enough to reach deep code. Here each route starts from a request it
accepts (found among the plausible values, not written per route), then
each field it reads (and one it does not) is replaced in turn by each value
of :data:`_inputs.SWEEP_VALUES` (or left out). Every request must pass the
properties of :func:`_target.exchange`; all failures of a route are
collected and reported together, grouped by cause.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import quote

from _inputs import DROP, SWEEP_QUERY_VALUES, SWEEP_VALUES, shown
from _routes import Endpoint
from _target import PropertyFailure, Target, exchange

#: A field no route reads: extra fields must be ignored or refused, never crash.
UNKNOWN_FIELD = "unexpected_field"
QUERY_METHODS = ("GET", "HEAD", "DELETE", "OPTIONS")


def _query(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f"{quote(key, safe='')}={quote(text, safe='')}")
    return "&".join(parts)


class Sweep:
    """Sends variations of one endpoint's request and collects every property failure."""

    def __init__(self, target: Target, endpoint: Endpoint) -> None:
        self.target = target
        self.endpoint = endpoint
        self.in_query = endpoint.method in QUERY_METHODS
        self.failures: list[tuple[str, PropertyFailure]] = []

    def send(self, fields: dict[str, Any], label: str) -> int | None:
        url = self.target.url(self.endpoint)
        body = None
        if self.in_query:
            query = _query(fields)
            url += "?" + query if query else ""
            described = f"query {shown(fields)}"
        else:
            body = json.dumps(fields).encode()  # lone surrogates travel as \ud800 escapes
            described = f"JSON body {shown(fields)}"
        try:
            return exchange(self.target, self.endpoint, url, body, described).status
        except PropertyFailure as failure:
            self.failures.append((label, failure))
            return None

    def accepted_base(self) -> dict[str, Any]:
        """The first plausible request the endpoint accepts (2xx), changing one field at a time."""
        plausible = self.target.plausible
        keys = [k for k in self.endpoint.keys if k in plausible]
        base = {k: plausible[k][0] for k in keys}
        candidates = [base] + [{**base, k: v} for k in keys for v in plausible[k][1:]]
        for candidate in candidates:
            status = self.send(candidate, "plausible request")
            if status is not None and 200 <= status < 300:
                return candidate
        return base

    def run(self) -> None:
        base = self.accepted_base()
        values = SWEEP_QUERY_VALUES if self.in_query else SWEEP_VALUES
        keys = self.endpoint.keys or list(
            self.target.known_keys
        )  # reads nothing we can see: try all
        for key in [*keys, UNKNOWN_FIELD]:
            for value in values:
                fields = dict(base)
                if value is DROP:
                    fields.pop(key, None)
                else:
                    fields[key] = value
                self.send(fields, f"{key}={shown(value, 60)}")

    def report(self) -> str:
        groups: dict[tuple[str, int, str], list[tuple[str, PropertyFailure]]] = defaultdict(list)
        for label, failure in self.failures:
            groups[(failure.kind, failure.status, failure.exception or "")].append((label, failure))
        lines = [f"{self.endpoint}: {len(self.failures)} failing requests in {len(groups)} groups"]
        for (kind, status, exception), items in groups.items():
            lines.append(f"\n== {kind} [{status}] {exception}".rstrip())
            lines.append("   fields: " + "; ".join(label for label, _ in items))
            lines.append("   first of them in full:\n" + str(items[0][1]))
        return "\n".join(lines)


def test_every_field_of_every_route(target: Target, endpoint: Endpoint) -> None:
    """No single hostile field value (or missing field) breaks a property on any route and method."""
    sweep = Sweep(target, endpoint)
    sweep.run()
    assert not sweep.failures, sweep.report()
