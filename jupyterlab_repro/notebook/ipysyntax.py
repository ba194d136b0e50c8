"""IPython cell syntax → plain Python, for :mod:`jupyterlab_repro.export`.

IPython's own token finders (``IPython.core.inputtransformer2``) locate the
special syntax; instead of calling IPython it becomes comments marked
``# [repro] <kind>: <original>`` (see the export module's docs for the rules).
Every result keeps the cell's line count, so errors name the line the user
sees.

Two shortcuts keep the common cases cheap, and each gives exactly what the
IPython path gives (``tests/notebook/test_ipysyntax.py`` checks this with
generated cells):

* a cell that is plain Python is parsed once and kept byte for byte;
* a cell whose only IPython syntax is ``%magic`` / ``!cmd`` lines at the start
  of a statement is rewritten line by line without IPython's tokenizer; the
  lines are known to start statements because the cell still parses with a
  ``pass`` in each of their places (inside brackets ``pass`` is a syntax
  error, inside a string it is no statement at all).

Automagic (on in every IPython kernel) runs ``pip install x``, ``cd data`` or
``ls -la`` as the line magics they name, without ``%``. IPython 7 and later
do that only for a cell of one line (``transform_cell`` prefilters one-line
cells); older ones did it for every line. A line is rewritten as its ``%``
form would be (the comment says ``automagic``) when its first word is one of
:data:`AUTOMAGIC_NAMES`, what follows is not an assignment, call, subscript,
attribute or annotation, the name is not bound before it (earlier in the
cell at module level, or in an earlier cell: ``bound``; IPython's rule, a
variable shadows the magic) and it is the cell's only line — or, in a longer
cell, it starts a statement and is not valid Python on its own (the module
then compiles, and a note says that IPython 7+ wants ``%`` there).

IPython is imported only when a cell needs its tokenizer or its prompt and
indentation cleanup.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import gc
import re
import threading
import warnings
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Cell magics whose body is Python and is kept (the magic line is commented).
KEPT_CELL_MAGICS = frozenset({"time", "capture", "prun"})

#: Line magics and aliases IPython runs without ``%`` (automagic): IPython 9's line
#: magics and default shell aliases, ipykernel's, and autoreload's.
AUTOMAGIC_NAMES = frozenset(
    """
    aimport alias alias_magic autoawait autocall automagic autoreload autosave bookmark cat
    cd clear code_wrap colors conda config connect_info cp debug dhist dirs doctest_mode ed
    edit env gui hist history killbgscripts ldir less lf lk ll load load_ext loadpy logoff
    logon logstart logstate logstop ls lsmagic lx macro magic mamba man matplotlib
    micromamba mkdir more mv notebook page pastebin pdb pdef pdoc pfile pinfo pinfo2 pip
    popd pprint precision prun psearch psource pushd pwd pycat pylab qtconsole quickref
    recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run save sc set_env
    subshell sx system tb time timeit unalias unload_ext uv who who_ls whos xdel xmode
    """.split()
)

#: A line whose first word may be an automagic (checked further by :func:`_automagic`).
_AUTOMAGIC_RE = re.compile(
    r"^[ \t]*(" + "|".join(sorted(AUTOMAGIC_NAMES, key=len, reverse=True)) + r")\b",
    re.MULTILINE,
)
#: What, after the name, makes the line Python: assignment (also augmented),
#: ``,`` (tuple target), call, subscript, attribute, annotation.
_PYTHON_AFTER_NAME_RE = re.compile(r"[ \t]*(?:[=,(\[.:]|(?:[-+*/%&|^@]|\*\*|//|<<|>>)=)")

_INDENT_RE = re.compile(r"^[ \t]*")
_UNSAFE_CHARS_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


@dataclass
class CellCode:
    """A cell's source after :func:`transform_cell`."""

    code: str
    notes: list[str] = field(default_factory=list)
    #: Why the whole cell was left out (a non-Python cell magic), else ``None``.
    left_out: str | None = None
    #: ``from __future__`` imports removed from the cell (for the module's top).
    futures: list[str] = field(default_factory=list)
    #: The parsed ``code``.
    tree: ast.Module = field(default_factory=lambda: ast.Module(body=[], type_ignores=[]))


def transform_cell(
    source: str, *, in_function: bool = False, bound: Container[str] = frozenset()
) -> CellCode:
    """Turn one cell's IPython source into plain Python (see the module docs).

    The result has as many lines as ``source`` (so line numbers in errors
    match the notebook) and is compiled (at module level, or as the body of a
    function when ``in_function``); :class:`SyntaxError` (``lineno``
    relative to ``source``) when it is not valid Python. ``bound``: names the
    notebook's earlier cells bind (they shadow automagics).
    """
    with compiling():
        result = translate_cell(normalize_newlines(source), bound=bound)
        compile_cell(result.tree, in_function)
    return result


#: ``catch_warnings`` and the GC switch are process-wide state: compiles in worker threads
#: take turns (they hold the GIL anyway).
_COMPILING_LOCK = threading.RLock()


@contextlib.contextmanager
def compiling() -> Iterator[None]:
    """The setting for parsing and compiling user code.

    Its SyntaxWarnings are not printed (under pytest: not raised), and the
    cyclic garbage collector pauses: parsing allocates hundreds of thousands
    of AST nodes, none of them in a reference cycle, and the collections they
    trigger would each walk the whole heap (at 50 MB of notebook that was
    two thirds of the parse time).
    """
    with _COMPILING_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if gc_was_enabled:
                gc.enable()


def translate_cell(text: str, *, bound: Container[str] = frozenset()) -> CellCode:
    automagic = _automagic(text, bound) if _AUTOMAGIC_RE.search(text) else {}
    if not automagic:
        return _translate(text)
    lines = split_lines(text)
    for i in automagic:
        indent = _INDENT_RE.match(lines[i]).group(0)  # type: ignore[union-attr]
        lines[i] = f"{indent}%{lines[i][len(indent) :]}"
    result = _translate("".join(lines))
    out = split_lines(result.code)
    for i in automagic:  # the comment shows the line as written
        out[i] = out[i].replace("# [repro] magic: %", "# [repro] automagic: ", 1)
    code = "".join(out)
    notes = [
        f"line {i + 1}: {name!r} runs as a magic only in a cell of its own in IPython 7 and "
        f"later; write %{name} there"
        for i, name in automagic.items()
        if len([line for line in lines if line.strip()]) > 1
    ]
    return dataclasses.replace(
        result, code=code, tree=ast.parse(code), notes=[*notes, *result.notes]
    )


def _automagic(text: str, bound: Container[str]) -> dict[int, str]:
    """``{line index: magic}`` of the lines IPython would run as automagics (module docs)."""
    lines = split_lines(text)
    single = sum(1 for line in lines if line.strip()) == 1
    candidates = {}
    for i, line in enumerate(lines):
        match = _AUTOMAGIC_RE.match(line)
        if match is None or _PYTHON_AFTER_NAME_RE.match(line, match.end()):
            continue
        if match.group(1) in bound or (not single and _parses(line.strip() + "\n")):
            continue
        candidates[i] = match.group(1)
    if single:  # the cell's only line is its statement (IPython strips its indent)
        return candidates
    while candidates:
        probe = list(lines)
        for i, line in enumerate(lines):  # other escapes must not break the probe
            if i in candidates or _ESCAPE_LINE_RE.match(line):
                indent = _INDENT_RE.match(line).group(0)  # type: ignore[union-attr]
                probe[i] = f"{indent}pass\n"
                j = i
                while lines[j].endswith("\\\n") and j + 1 < len(lines):
                    j += 1  # the lines a backslash continues belong to the magic
                    probe[j] = "\n"
        try:
            tree = ast.parse("".join(probe))
        except SyntaxError:
            return {}
        passes = set(_pass_positions(tree.body))
        starts = {
            i: name
            for i, name in candidates.items()
            if (i + 1, len(_INDENT_RE.match(lines[i]).group(0))) in passes  # type: ignore[union-attr]
        }
        if starts == candidates:
            earlier = _bindings(tree.body)
            return {
                i: name
                for i, name in candidates.items()
                if not any(n == name and at < i for at, n in earlier)
            }
        candidates = starts  # the others are inside strings or brackets
    return {}


def _bindings(body: Sequence[ast.stmt]) -> list[tuple[int, str]]:
    """(0-based line, name) of each module-level binding: assignments, imports, defs, loops."""
    found: list[tuple[int, str]] = []
    for node in body:
        line = (node.end_lineno or node.lineno) - 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((line, node.name))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found.append((line, (alias.asname or alias.name).split(".")[0]))
            continue
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                found.append((line, child.id))
        for block in statement_blocks(node):
            found.extend(_bindings(block))
    return found


def bound_names(tree: ast.Module) -> set[str]:
    """The names a cell binds at module level (they shadow automagics in later cells)."""
    return {name for _, name in _bindings(tree.body)}


def _translate(text: str) -> CellCode:
    notes: list[str] = []
    try:
        tree = ast.parse(text)  # plain Python (most cells): kept byte for byte
    except SyntaxError:
        lines = split_lines(text)
        # Leading blank lines stay (line numbers); the rest is cleaned like IPython does.
        skip = 0
        while skip < len(lines) and not lines[skip].strip():
            skip += 1
        body = _cleanup(lines[skip:])
        if body and body[0].startswith("%%") and not re.match(r"%%\w+\?", body[0]):
            magic = body[0].strip()
            name = magic[2:].split(None, 1)[0] if len(magic) > 2 else ""
            if name not in KEPT_CELL_MAGICS:
                reason = f"{magic.split(None, 1)[0]} cell magic (not Python)"
                code = f"# [repro] cell left out: {safe_comment(magic)}\n"
                return CellCode(code=code, left_out=reason)
            body = [f"# [repro] cell magic: {safe_comment(magic)}\n", *_cleanup(body[1:])]
            captured = [a for a in magic.split()[1:] if not a.startswith("-")]
            if name == "capture" and captured:
                notes.append(
                    f"{captured[0]} (the %%capture output) will be undefined in the module"
                )
        cleaned = lines[:skip] + body
        # Unchanged lines failed to parse already (as ``text`` above).
        if cleaned == lines or not _parses(cleaned):
            fast = _rewrite_line_escapes(cleaned)
            cleaned = fast if fast is not None else _rewrite_special_syntax(cleaned, notes)
        text = "".join(cleaned)
        tree = ast.parse(text)
    futures: list[str] = []
    if "get_ipython" in text or "__future__" in text:
        new_text = _comment_statements(text, tree, notes, futures)
        if new_text != text:
            text, tree = new_text, ast.parse(new_text)
    return CellCode(code=text, notes=notes, futures=futures, tree=tree)


def compile_cell(tree: ast.Module, in_function: bool) -> None:
    """Compile a cell on its own (module level, or as the body of ``main()``)."""
    if in_function:
        wrapper = ast.parse("def main() -> None:\n    pass\n")
        fn = wrapper.body[0]
        if isinstance(fn, ast.FunctionDef):  # always: the line above is a def
            fn.body = list(tree.body) or fn.body
        compile(wrapper, "<cell>", "exec", dont_inherit=True)
    else:
        compile(tree, "<cell>", "exec", dont_inherit=True)


def _cleanup(lines: list[str]) -> list[str]:
    """IPython's cleanup (common indent, ``>>>`` / ``In [1]:`` prompts), line count kept."""
    if not lines or not _may_need_cleanup(lines):
        return lines
    from IPython.core import inputtransformer2 as it2

    out = lines
    transforms: list[Callable[[list[str]], list[str]]] = list(
        it2.TransformerManager().cleanup_transforms  # type: ignore[arg-type]
    )
    for fn in transforms:
        if fn is it2.leading_empty_lines:
            continue
        new = fn(out)
        if len(new) == len(out):
            out = [line if line.endswith("\n") else line + "\n" for line in new]
    return out


#: Lines IPython's prompt strippers could act on (any IPython version).
_PROMPT_RE = re.compile(r"^[ \t]*(?:>>>|\.\.\.|In \[|\[nav\]|\[ins\])", re.MULTILINE)


def _may_need_cleanup(lines: list[str]) -> bool:
    """False when IPython's cleanup leaves ``lines`` as they are (then IPython is not imported).

    That holds when neither the first line nor the first non-blank one is
    indented (nothing to dedent), no line is whitespace-only
    (``textwrap.dedent`` would empty it) and no line starts like a ``>>>``,
    ``...`` or ``In [1]:`` prompt.
    """
    first = next((line for line in lines if line.strip()), "")
    if lines[0][:1] in (" ", "\t") or first[:1] in (" ", "\t"):
        return True
    if any(line != "\n" and not line.strip() for line in lines):
        return True
    return _PROMPT_RE.search("".join(lines)) is not None


def split_lines(text: str) -> list[str]:
    """Lines split the way Python counts them (``\\n`` only), each ending in ``\\n``."""
    if not text:
        return []
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] == "\n":
        lines.pop()
    return lines


def _parses(lines: list[str] | str) -> bool:
    try:
        ast.parse("".join(lines))
    except SyntaxError:
        return False
    return True


_LOOP_LIMIT = 1000


#: A line that starts (after indentation) with a line magic or a shell escape.
_ESCAPE_LINE_RE = re.compile(r"[ \t]*(?:%(?!%)|!)")
#: ``x = %magic`` / ``x = !cmd``: left to IPython's finders.
_ESCAPE_ASSIGN_RE = re.compile(r"=[ \t]*[%!]")


def _rewrite_line_escapes(lines: list[str]) -> list[str] | None:
    """The common case without IPython's tokenizer, or ``None`` to take the IPython path.

    Applies when the only IPython syntax is ``%magic`` / ``!cmd`` lines that
    start a statement: each is replaced by ``pass`` and the cell must then
    parse with a :class:`ast.Pass` at exactly that line and column. Inside
    brackets ``pass`` does not parse; inside a string there is no ``Pass``
    node; help (``?``), assignments from IPython, cell magics and backslash
    continuations (where IPython joins lines) are left to the IPython path.
    The result is what :func:`_rewrite_special_syntax` returns for the same
    lines (``tests/notebook/test_ipysyntax.py`` checks it).
    """
    candidates = [i for i, line in enumerate(lines) if _ESCAPE_LINE_RE.match(line)]
    if not candidates or any(line.endswith("\\\n") for line in lines):
        return None
    probe = list(lines)
    expected = set()
    for i in candidates:
        line = lines[i]
        if line.rstrip().endswith("?") or _ESCAPE_ASSIGN_RE.search(line):
            return None
        indent = _INDENT_RE.match(line).group(0)  # type: ignore[union-attr]
        probe[i] = f"{indent}pass\n"
        expected.add((i + 1, len(indent)))
    try:
        tree = ast.parse("".join(probe))
    except SyntaxError:
        return None
    if not expected <= set(_pass_positions(tree.body)):
        return None
    for i in candidates:
        lines = _rewrite_escape(lines, i, i, lines[i].strip())
    return lines


def _pass_positions(body: Sequence[ast.stmt]) -> Iterator[tuple[int, int]]:
    """(line, column) of every ``pass`` statement, nested blocks included."""
    for node in body:
        if isinstance(node, ast.Pass):
            yield node.lineno, node.col_offset
            continue
        for block in statement_blocks(node):
            yield from _pass_positions(block)


def statement_blocks(node: ast.stmt) -> Iterator[Sequence[ast.stmt]]:
    """The statement lists nested in ``node`` (bodies, else/finally, handlers, cases)."""
    for name in _BLOCK_FIELDS:
        block = getattr(node, name, None)
        if isinstance(block, list):
            yield block
    for clause in getattr(node, "handlers", None) or ():
        yield clause.body
    for case in getattr(node, "cases", None) or ():
        yield case.body


def _rewrite_special_syntax(lines: list[str], notes: list[str]) -> list[str]:
    """Comment out IPython escapes one at a time, earliest first (as IPython finds them)."""
    from IPython.core import inputtransformer2 as it2

    finders = (it2.MagicAssign, it2.SystemAssign, it2.EscapedCommand, it2.HelpEnd)
    for _ in range(_LOOP_LIMIT):
        tokens = it2.make_tokens_by_line(lines)
        found = [t for t in (cls.find(tokens) for cls in finders) if t is not None]
        if not found:
            return lines
        found.sort(key=lambda t: t.sortby())
        lines = _rewrite_one(found[0], lines, notes, it2)
    raise SyntaxError("too much IPython syntax to rewrite")


def _rewrite_one(t: Any, lines: list[str], notes: list[str], it2: Any) -> list[str]:
    start, col = t.start_line, t.start_col
    if isinstance(t, it2.HelpEnd):
        end = min(t.q_line, len(lines) - 1)
        return _replace(lines, start, end, "help")
    end = min(it2.find_end_of_continued_line(lines, start), len(lines) - 1)
    assembled = it2.assemble_continued_line(lines, (start, col), end)
    if isinstance(t, (it2.MagicAssign, it2.SystemAssign)):
        kind = "magic" if isinstance(t, it2.MagicAssign) else "shell"
        targets = lines[start][:col].strip().rstrip("=").strip()
        names = [n.strip() for n in targets.split(",") if n.strip().isidentifier()]
        if names:
            notes.append(
                f"line {start + 1}: {', '.join(names)} assigned from IPython "
                f"({safe_comment(assembled)}) will be undefined in the module"
            )
        return _replace(lines, start, end, kind)
    if assembled[:1] in ",;/":
        try:  # autocall syntax: IPython's own rewrite is plain Python
            return list(t.transform(lines))
        except SyntaxError:
            return _replace(lines, start, end, "autocall")
    return _rewrite_escape(lines, start, end, assembled)


def _rewrite_escape(lines: list[str], start: int, end: int, assembled: str) -> list[str]:
    """Comment a ``%magic`` / ``!cmd`` / ``?help`` line; ``%time STATEMENT`` keeps the statement."""
    escape = assembled[:1]
    if escape == "%":
        name, _, args = assembled[1:].partition(" ")
        stmt = args.strip()
        if name == "time" and stmt and _statement_compiles(stmt):
            return _replace(lines, start, end, "magic", keep=stmt)
        return _replace(lines, start, end, "magic")
    return _replace(lines, start, end, "shell" if escape == "!" else "help")


def _statement_compiles(stmt: str) -> bool:
    try:
        ast.parse(stmt + "\n")
    except SyntaxError:
        return False
    return True


def _replace(
    lines: list[str],
    start: int,
    end: int,
    kind: str,
    *,
    keep: str | None = None,
) -> list[str]:
    """Comment out ``lines[start:end + 1]``, keeping the line count and a non-empty block."""
    first = lines[start]
    indent = _INDENT_RE.match(first).group(0)  # type: ignore[union-attr]
    original = first[len(indent) :].rstrip("\n")
    if keep is not None:
        new = [f"{indent}{keep}  # [repro] {kind}: {safe_comment(original)} (statement kept)\n"]
    elif indent:
        new = [f"{indent}pass  # [repro] {kind}: {safe_comment(original)}\n"]
    else:
        new = [f"# [repro] {kind}: {safe_comment(original)}\n"]
    for line in lines[start + 1 : end + 1]:
        new.append(f"{indent}# [repro]   {safe_comment(line.strip())}\n")
    return lines[:start] + new + lines[end + 1 :]


def _comment_statements(text: str, tree: ast.Module, notes: list[str], futures: list[str]) -> str:
    """Comment ``get_ipython()`` statements; move ``from __future__`` imports out."""
    spans: list[tuple[ast.stmt, str]] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            spans.append((node, "moved to the top"))
            futures.append(ast.unparse(node))
    spans.extend((node, "ipython") for node in _ipython_statements(tree.body))
    if not spans:
        return text
    lines = split_lines(text)
    for node, kind in sorted(spans, key=lambda s: s[0].lineno, reverse=True):
        start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        if kind == "ipython":
            assigned = [
                n.id
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            ]
            if assigned:
                notes.append(
                    f"line {node.lineno}: {', '.join(dict.fromkeys(assigned))} (assigned in a "
                    "statement that calls get_ipython()) will be undefined in the module"
                )
        if not _shares_lines(lines, node):
            lines = _replace(lines, start, end, kind)
        elif start == end:  # `x = 1; get_ipython()…`: only the statement becomes `pass`
            raw = lines[start].rstrip("\n").encode("utf-8")
            before = raw[: node.col_offset].decode("utf-8")
            stmt = raw[node.col_offset : node.end_col_offset].decode("utf-8")
            after = raw[node.end_col_offset :].decode("utf-8")
            lines[start] = f"{before}pass{after}  # [repro] {kind}: {safe_comment(stmt)}\n"
        else:
            notes.append(f"line {node.lineno}: other statements on its lines were commented too")
            lines = _replace(lines, start, end, kind)
    return "".join(lines)


def _shares_lines(lines: list[str], node: ast.stmt) -> bool:
    """Whether code other than ``node`` (and comments) is on its first or last line."""
    raw = lines[node.lineno - 1].encode("utf-8")
    before = raw[: node.col_offset].decode("utf-8", "replace")
    raw = lines[(node.end_lineno or node.lineno) - 1].encode("utf-8")
    after = raw[node.end_col_offset or 0 :].decode("utf-8", "replace").strip()
    return bool(before.strip()) or bool(after and not after.startswith("#"))


_BLOCK_FIELDS = ("body", "orelse", "finalbody")


def _ipython_statements(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements whose own code (not nested blocks) calls ``get_ipython``."""
    for node in body:
        own: list[ast.AST] = []
        blocks: list[Sequence[ast.stmt]] = []
        for name, value in ast.iter_fields(node):
            if name in _BLOCK_FIELDS and isinstance(value, list):
                blocks.append(value)
            elif name == "handlers":
                blocks.extend(h.body for h in value)
                own.extend(h.type for h in value if h.type is not None)
            elif name == "cases":
                blocks.extend(c.body for c in value)
            elif isinstance(value, ast.AST):
                own.append(value)
            elif isinstance(value, list):
                own.extend(v for v in value if isinstance(v, ast.AST))
        if any(_calls_get_ipython(n) for n in own):
            yield node
        else:
            for block in blocks:
                yield from _ipython_statements(block)


def _calls_get_ipython(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "get_ipython"
        for n in ast.walk(node)
    )


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def safe_comment(text: str) -> str:
    """Text for a one-line comment: control characters and line breaks escaped."""
    return _UNSAFE_CHARS_RE.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )
