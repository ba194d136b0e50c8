"""Every route fuzzed with hypothesis against a real Jupyter server in a subprocess.

Each request must pass the properties of :func:`_target.exchange`: never a
5xx; a 4xx is JSON with a string ``message`` and ``reason`` and leaves the
repository exactly as it was; nothing outside the server root ever changes.

GET routes get fuzzed query strings (valid UTF-8, and bytes that are not);
POST (and any other mutating method) routes get fuzzed JSON objects, raw
bodies and non-JSON content types. Examples are derandomized (the same
inputs on every run) and bounded so the module runs in minutes; a failure
names the route, the method, the input (very long strings abbreviated, with
their length), the answer and the server's log of that request.
"""

from __future__ import annotations

import json

import pytest
from _inputs import OTHER_CONTENT_TYPES, json_objects, queries, raw_bodies, shown
from _routes import Endpoint, routes_from_json
from _server import collected_routes
from _target import Target, exchange
from _workspace import NOTEBOOK
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

# Hypothesis warns when the global ``random`` moves during a draw, to catch
# strategies that use it; ours do not (examples are derandomized). Other threads
# of this pytest process can move it (urllib3's back-off jitter in an MLflow
# call a test abandoned drew during a draw once and failed CI), so the warning
# says nothing about these strategies.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:"
    "hypothesis.errors.HypothesisDeprecationWarning"
)

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)


@settings(FUZZ, max_examples=35)
@given(data=st.data())
def test_query_strings(target: Target, read_endpoint: Endpoint, data: st.DataObject) -> None:
    """No query string of valid UTF-8 makes a GET route fail (5xx), answer a bad 4xx or change anything."""
    ep = read_endpoint
    query = data.draw(queries(ep.keys, target.known_keys, target.plausible, raw=False), "query")
    url = target.url(ep) + ("?" + query if query else "")
    exchange(target, ep, url, None, f"query string {shown(query, 400)}")


@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_query_bytes(target: Target, read_endpoint: Endpoint, data: st.DataObject) -> None:
    """Query strings with bytes that are not UTF-8 (lone surrogates, %FF) are refused cleanly too."""
    ep = read_endpoint
    query = data.draw(queries(ep.keys, target.known_keys, target.plausible, raw=True), "query")
    url = target.url(ep) + ("?" + query if query else "")
    exchange(target, ep, url, None, f"query string {shown(query, 400)}")


@settings(FUZZ, max_examples=35)
@given(data=st.data())
def test_json_bodies(target: Target, write_endpoint: Endpoint, data: st.DataObject) -> None:
    """No JSON object body makes a write route fail (5xx), answer a bad 4xx or change anything on a 4xx."""
    ep = write_endpoint
    obj = data.draw(json_objects(ep.keys, target.known_keys, target.plausible), "body")
    body = json.dumps(obj).encode()  # ensure_ascii: lone surrogates travel as \ud800 escapes
    exchange(target, ep, target.url(ep), body, f"JSON body {shown(obj)}")


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_raw_bodies(target: Target, write_endpoint: Endpoint, data: st.DataObject) -> None:
    """Bodies no JSON encoder writes (junk, arrays, numbers, \\ud800 escapes, invalid UTF-8) are refused cleanly."""
    ep = write_endpoint
    body = data.draw(raw_bodies(ep.keys, target.known_keys, target.plausible), "body")
    exchange(target, ep, target.url(ep), body, f"raw body {shown(body)}")


# No shrinking: what fails here is the Content-Type, and shrinking the body
# costs minutes without making the report any clearer.
@settings(FUZZ, max_examples=10, phases=(Phase.explicit, Phase.generate))
@given(data=st.data())
def test_other_content_types(target: Target, write_endpoint: Endpoint, data: st.DataObject) -> None:
    """Bodies sent as text, form or multipart data (tornado parses the latter two) are refused cleanly."""
    ep = write_endpoint
    body = data.draw(raw_bodies(ep.keys, target.known_keys, target.plausible), "body")
    content_type = data.draw(st.sampled_from(OTHER_CONTENT_TYPES), "content type")
    shown_input = f"body {shown(body)} with Content-Type {content_type!r}"
    exchange(target, ep, target.url(ep), body, shown_input, {"Content-Type": content_type})


def test_fuzzed_server_serves_the_collected_routes(target: Target) -> None:
    """The fuzzed server registers exactly the routes the fuzz tests were parametrized with."""
    live = [(r.name, r.handler, r.methods) for r in routes_from_json(target.server.info["routes"])]
    assert live == [(r.name, r.handler, r.methods) for r in collected_routes()]
    assert (target.ws.root / NOTEBOOK).is_file()
