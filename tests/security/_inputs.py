"""What the fuzzer sends: the request fields the server reads, plausible values, hostile values.

Field names come from the server's own source (:func:`server_keys`, the
same reading :mod:`_routes` does per method) plus the names the API is
documented with, so a field added later is fuzzed without editing this file.
Plausible values point at the real test repository (:mod:`_workspace`) so a
request gets past the first check and reaches deeper code.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _routes import field_specs, keys_read
from _workspace import BRANCH, NOTEBOOK, TAG, Workspace
from hypothesis import strategies as st

import jupyterlab_repro.server

#: The request fields the API is documented with (README, handler docstrings).
DOCUMENTED_KEYS = (
    "path", "message", "type", "body", "files", "tag", "tag_message", "branch",
    "clear_outputs", "name", "email", "scope", "rev", "from", "to", "commit", "action",
    "rules", "output", "cells", "dry_run", "force", "run_id", "key", "max_results",
    "page_token", "filter",
)  # fmt: skip

LONG = 200_000  # "very long": past every sane limit, well below max_body_size


def server_keys() -> tuple[str, ...]:
    """Every field the modules of ``jupyterlab_repro/server/`` read or declare, plus the documented ones."""
    keys = set(DOCUMENTED_KEYS)
    package = Path(jupyterlab_repro.server.__file__).parent
    for source in sorted(package.glob("*.py")):
        keys |= keys_read(source.read_text(encoding="utf-8"))
        module = importlib.import_module(f"jupyterlab_repro.server.{source.stem}")
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for fields in field_specs(value).values():
                    keys |= set(fields)
    return tuple(sorted(keys))


def plausible_values(ws: Workspace, run_id: str) -> dict[str, list[Any]]:
    """Field → values that make sense for the test repository (JSON types as the API wants)."""
    revs = ["HEAD", ws.head, ws.head[:7], ws.first_commit, TAG, BRANCH, "HEAD~1", "main"]
    return {
        "path": [NOTEBOOK, "proj", "proj/src", "", "plain/notes.ipynb", "linked/notes.ipynb",
                 "linked", "proj/README.md", "proj/src/features.py", "plain"],
        "message": ["try", "feat: fuzz"],
        "type": ["exp", "feat", "fix"],
        "body": ["more words"],
        "files": [[], ["proj/README.md"], ["proj/src/features.py"]],
        "tag": ["v2", TAG],
        "tag_message": ["a tag"],
        "branch": ["exp/fuzz", BRANCH, "main"],
        "clear_outputs": [True, False],
        "name": ["v3", "Repro Tester"],
        "email": ["tester@example.com"],
        "scope": ["repository", "global"],
        "rev": revs,
        "from": revs,
        "to": revs,
        "commit": revs,
        "action": ["gitignore", "lfs"],
        "rules": [["*.csv"], ["data/"]],
        "output": ["proj/src/exported.py", "proj/exported.py"],
        "cells": ["all", "1", "1-2", "export", "id:c0ffee00"],
        "dry_run": [True, False],
        "force": [True, False],
        "run_id": [run_id],
        "key": ["loss"],
        "max_results": [1, 10, 100],
        "page_token": [""],
        "filter": ["metrics.loss < 1", "params.lr = '0.1'"],
        "mode": ["branch", "copy"],
        "open_paths": [[], [NOTEBOOK]],
    }  # fmt: skip


#: Strings that have broken path, ref, argument and query handling somewhere before.
HOSTILE_STRINGS: tuple[str, ...] = (
    "", ".", "..", "../..", "../../../../../../etc/passwd", "/", "/etc/passwd", "//etc",
    "\\\\server\\share", "C:\\Windows", "c:/x", "~", "~root/.ssh",
    "proj/../..", "proj/../../outside/secret.txt", "escape", "escape/secret.txt",
    "escape/../..", "linked/../../outside", "proj/analysis.ipynb/..",
    "proj/analysis.ipynb/x", "proj//analysis.ipynb", "proj/./analysis.ipynb",
    "proj\\analysis.ipynb", " proj", "proj ", "proj/.git", "proj/.git/config",
    "proj/.git/hooks/pre-commit", ".git", "\x00", "proj/\x00", "proj\x00/analysis.ipynb",
    "a\nb", "\r\n", "\t", "\x1b[31m", "\x7f", "\x85", "-", "--", "-h", "--help",
    "--output=/tmp/x", "-c core.pager=sh", "--upload-pack=touch pwned", "HEAD^{tree}",
    "HEAD:analysis.ipynb", "@{-1}", "HEAD@{0}", "refs/heads/main", "refs/repro/snapshots/x",
    ":(top)*", ":/", "*", "?", "[", "%00", "%2e%2e%2f", "$(touch pwned)", "`id`",
    "'; DROP TABLE runs; --", '" OR 1=1', "tags.`x` = 'y'", "\ud800", "\udcff",
    "a\udfffb", "\ud83d", "\u202e", "\ufeff", "\U0001f600" * 10, "\u01c5", "x" * 256,
    "proj/" + "a" * 300, "/".join(["a"] * 3000), "../" * 3000,
    "proj/" + "/".join(["x"] * 5000), "a" * LONG, "\u00e9" * (LONG // 2),
    "/".join(["x"] * (LONG // 2)), "../" * (LONG // 3), "\x00" * 1000,
)  # fmt: skip

HUGE_INTEGERS = (2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 2**64, 10**100, 10**4000)


def _text(surrogates: bool = True) -> st.SearchStrategy[str]:
    """Any text: NUL and control characters included, lone surrogates unless told otherwise."""
    return st.text(st.characters(exclude_categories=() if surrogates else ("Cs",)), max_size=40)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: :data:`HOSTILE_STRINGS` that are valid Unicode (no lone surrogates).
HOSTILE_TEXT = tuple(t for t in HOSTILE_STRINGS if _is_utf8(t))


def hostile_scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        _text(),
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(HUGE_INTEGERS),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def _nested(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = [value] if i % 2 else {"path": value}
    return value


def hostile_values() -> st.SearchStrategy[Any]:
    """Wrong types and shapes: scalars, lists, dicts, and nesting dozens of levels deep."""
    scalars = hostile_scalars()
    containers = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(DOCUMENTED_KEYS) | _text(), inner, max_size=4)
        ),
        max_leaves=8,
    )
    deep = st.builds(_nested, scalars, st.integers(min_value=8, max_value=64))
    return st.one_of(scalars, containers, deep)


def field_value(key: str, plausible: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value for ``key`` (when there is one), else anything hostile."""
    hostile = hostile_values()
    if key not in plausible:
        return hostile
    good = st.sampled_from(plausible[key])
    return st.one_of(good, good, good, hostile)


def _one_field_hostile(
    own: Sequence[str], known: Sequence[str], plausible: dict[str, list[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Every field of the method plausible, then one field (maybe a new one) hostile or removed."""
    fields = st.fixed_dictionaries(
        {k: st.sampled_from(plausible[k]) for k in own if k in plausible}
    )
    target = st.sampled_from(list(own)) | st.sampled_from(list(known)) | _text()

    def mutate(obj: dict[str, Any], key: str, value: Any, drop: bool) -> dict[str, Any]:
        obj = dict(obj)
        if drop:
            obj.pop(key, None)
        else:
            obj[key] = value
        return obj

    if not own:
        target = st.sampled_from(list(known)) | _text()
    drop = st.sampled_from([False, False, False, True])
    return st.builds(mutate, fields, target, hostile_values(), drop)


def json_objects(
    own: Sequence[str], known: Sequence[str], plausible: dict[str, list[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object: a plausible one with one field hostile, or any mix of fields and junk keys."""
    fields = st.fixed_dictionaries({}, optional={k: field_value(k, plausible) for k in own})
    others = [k for k in known if k not in own]
    extra_keys = st.sampled_from(others) | _text() if others else _text()
    extras = st.dictionaries(extra_keys, hostile_values(), max_size=3)
    free = st.builds(lambda e, f: {**e, **f}, extras, fields)
    one = _one_field_hostile(own, known, plausible)
    return st.one_of(one, one, free)


# --- raw bodies --------------------------------------------------------------

SURROGATE_ESCAPES = ("\\ud800", "\\udc80", "x\\ud83d", "\\udfff\\ud800", "proj/\\udcff")
INVALID_UTF8 = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"proj/\xfe")

RAW_BODIES: tuple[bytes, ...] = (
    b"", b" ", b"{", b"[", b"}", b'{"path": "proj', b"null", b"true", b"false", b"0", b"-1",
    b"1e999", b'"path"', b"[]", b"[1, 2]", b'[{"path": "proj"}]', b"{}", b'{"path": NaN}',
    b'{"path": Infinity}', b"\xef\xbb\xbf{}", b'{"path": "proj", "path": 5}', b"[" * 100_000,
    b'{"a":' * 50_000, b'{"max_results": 1' + b"0" * 5000 + b"}", b"1" + b"0" * 5000,
    b"\xff\xfe{\x00}\x00", b"\x00" * 100, b" " * LONG, b'{"path": "' + b"a" * LONG + b'"}',
    b"path=proj&message=x", b"--x\r\nContent-Disposition: form-data; name=path\r\n\r\nproj",
)  # fmt: skip

#: Content types other than JSON: tornado parses the two form types into arguments itself.
OTHER_CONTENT_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "application/json; charset=latin-1",
)


def _with_raw_field(base: dict[str, Any], key: str, raw_value: bytes) -> bytes:
    """``base`` as JSON with one more field whose already-escaped value is ``raw_value``."""
    text = json.dumps(base).encode()
    field = json.dumps(key).encode() + b': "' + raw_value + b'"'
    return text[:-1] + (b", " if base else b"") + field + b"}"


def raw_bodies(
    own: Sequence[str], known: Sequence[str], plausible: dict[str, list[Any]]
) -> st.SearchStrategy[bytes]:
    """Bodies no JSON encoder would produce: junk bytes, non-objects, ``\\ud800``, invalid UTF-8."""
    keys = st.sampled_from(list(own) or list(known))
    base = json_objects(own, known, plausible)
    surrogate = st.builds(
        _with_raw_field, base, keys, st.sampled_from(SURROGATE_ESCAPES).map(str.encode)
    )
    bad_utf8 = st.builds(_with_raw_field, base, keys, st.sampled_from(INVALID_UTF8))
    not_object = st.one_of(
        st.lists(hostile_scalars(), max_size=4), hostile_scalars(), hostile_values()
    ).map(lambda v: json.dumps(v).encode())
    return st.one_of(
        st.sampled_from(RAW_BODIES), st.binary(max_size=64), surrogate, bad_utf8, not_object
    )


# --- query strings -----------------------------------------------------------


def _as_query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _hostile_query_values(raw: bool) -> st.SearchStrategy[Any]:
    if raw:  # bytes that are not UTF-8, and text with lone surrogates (sent as their UTF-8 form)
        return st.one_of(
            st.binary(min_size=1, max_size=16),
            st.sampled_from([t for t in HOSTILE_STRINGS if not _is_utf8(t)]),
            _text().map(lambda t: t + "\udc80"),
        )
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        _text(surrogates=False),
        st.sampled_from(HUGE_INTEGERS).map(str),
        st.just("9" * 5000),
    )


def query_pairs(
    own: Sequence[str], known: Sequence[str], plausible: dict[str, list[Any]], *, raw: bool
) -> st.SearchStrategy[list[tuple[Any, Any]]]:
    """``(key, value)`` pairs: the method's fields plausible with one hostile, or any mix.

    ``raw``: hostile keys and values are bytes that are not UTF-8; otherwise
    they are valid Unicode text.
    """
    others = [k for k in known if k not in own]
    hostile = _hostile_query_values(raw)
    junk_key = st.binary(min_size=1, max_size=8) if raw else _text(surrogates=False)
    key = st.one_of(
        *([st.sampled_from(list(own))] * 3 if own else []),
        st.sampled_from(others or list(known)),
        junk_key,
    )

    def good(k: Any) -> list[str]:
        return [_as_query_text(v) for v in plausible.get(k, []) if not isinstance(v, list)]

    def value_for(k: Any) -> st.SearchStrategy[Any]:
        values = good(k)
        return st.one_of(st.sampled_from(values), hostile) if values else hostile

    pair = key.flatmap(lambda k: st.tuples(st.just(k), value_for(k)))
    free = st.lists(pair, max_size=6)
    base = st.tuples(*[st.tuples(st.just(k), st.sampled_from(good(k))) for k in own if good(k)])
    one = st.builds(
        lambda pairs, extra, at: [*pairs[:at], *extra, *pairs[at:]],
        base.map(list),
        st.lists(st.tuples(key, hostile), min_size=1, max_size=2),
        st.integers(min_value=0, max_value=len(own)),
    )
    return st.one_of(one, one, free)


RAW_QUERIES = ("%", "path=%", "path=%zz", "=&=", "path", "path&path=", "&&&", "path=a%00b")
RAW_BYTE_QUERIES = ("%FF=1", "path=%C0%AF", "path=%ED%A0%80", "path=proj%2F%FE")


def _quote(part: Any) -> str:
    data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
    return quote(data, safe="")


def encode_query(pairs: list[tuple[Any, Any]]) -> str:
    """Percent-encode every byte (lone surrogates become the invalid UTF-8 git would see)."""
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)


def queries(
    own: Sequence[str], known: Sequence[str], plausible: dict[str, list[Any]], *, raw: bool
) -> st.SearchStrategy[str]:
    """Whole query strings: encoded pairs, or one of a few malformed ones."""
    pairs = query_pairs(own, known, plausible, raw=raw).map(encode_query)
    return st.one_of(pairs, pairs, st.sampled_from(RAW_BYTE_QUERIES if raw else RAW_QUERIES))


# --- one field at a time ---------------------------------------------------


class _Drop:
    """Sentinel of :data:`SWEEP_VALUES`: the field is left out."""

    def __repr__(self) -> str:
        return "<field left out>"


DROP: Any = _Drop()

#: One representative of each kind of hostile value, for the deterministic sweep.
SWEEP_VALUES: tuple[Any, ...] = (
    DROP, None, True, 0, -1, 1.5, float("nan"), 10**4000, [], ["x"], {}, {"path": "proj"},
    _nested("x", 40), "", "\x00", "proj/\x00x", "\x01\x1f\x7f\x1b[0m", "a\nb\rc", "\ud800",
    "x\udcff", "..", "../../outside/secret.txt", "/etc/passwd", "escape/secret.txt",
    "linked/notes.ipynb", "-x", "--upload-pack=touch pwned", "a" * LONG,
    "/".join(["x"] * 5000), "proj/" + "a" * 300, "\u202e\U0001f600", "HEAD^{tree}",
)  # fmt: skip

#: The same for query strings: valid UTF-8 text, short enough for tornado's request-line limit.
SWEEP_QUERY_VALUES: tuple[Any, ...] = (
    DROP, "", "\x00", "proj/\x00x", "\x01\x1f\x7f\x1b[0m", "a\nb\rc", "..",
    "../../outside/secret.txt", "/etc/passwd", "escape/secret.txt", "linked/notes.ipynb", "-x",
    "--upload-pack=touch pwned", "a" * 50_000, "/".join(["x"] * 5000), "proj/" + "a" * 300,
    "\u202e\U0001f600", "HEAD^{tree}", "9" * 5000, str(10**100), "-1", "0", "true", "null",
    "[]", "{}", "1e999", "'; DROP TABLE runs; --", "tags.`x` = 'y'",
)  # fmt: skip


def shown(value: Any, limit: int = 160) -> str:
    """``repr(value)`` with every string or bytes longer than ``limit`` abbreviated (length kept)."""
    if isinstance(value, (str, bytes)) and len(value) > limit:
        head = value[:limit]
        return f"{head!r}…<{len(value)} {'chars' if isinstance(value, str) else 'bytes'} in all>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(shown(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    text = repr(value)
    return text if len(text) <= limit * 2 else text[:limit] + f"…<{len(text)} chars of repr>"
