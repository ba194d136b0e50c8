"""The shortcuts in ipysyntax give exactly what IPython's own path gives."""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyterlab_repro.notebook import ipysyntax
from jupyterlab_repro.notebook.ipysyntax import compiling, split_lines, translate_cell

# Lines that put escapes where IPython does and does not treat them as escapes:
# statement starts, inside strings and brackets, after continuations, in blocks.
_LINES = [
    "%matplotlib inline",
    "%time x = f(1)",
    "%time",
    "%time return 1",
    "%load_ext autoreload",
    "%env A=1  # set",
    "%% not at the top",
    "%%time",
    "!pip install -q torch",
    "!!ls",
    "!echo 'unterminated",
    "!echo (",
    "%pwd?",
    "obj?",
    "z = !ls",
    "w = %sx pwd",
    "x = 1",
    "print('%x' % 1)",
    "if x != 1: pass",
    "y = (1,",
    ")",
    's = """',
    '"""',
    "a = 1 + \\",
    "!echo a \\",
    "# comment?",
    "",
    "   ",
    "\t",
    "...",
    ">>> x = 1",
    "In [1]: x = 2",
    "get_ipython().system('ls')",
]
_HEADERS = ["for i in range(2):", "def f():", "if x:", "try:", "class C:", "while False:"]


@st.composite
def cells(draw: st.DrawFn) -> str:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["line", "line", "block", "except"]))
        if kind == "line":
            out.append(draw(st.sampled_from(_LINES)))
        elif kind == "block":
            out.append(draw(st.sampled_from(_HEADERS)))
            indent = draw(st.sampled_from(["    ", "\t", "  "]))
            block = draw(st.lists(st.sampled_from(_LINES), min_size=1, max_size=3))
            out.extend(indent + line for line in block)
        else:
            out.append(draw(st.sampled_from(["except Exception:", "else:", "finally:"])))
            out.append("    " + draw(st.sampled_from(_LINES)))
    lead = draw(st.sampled_from(["", "", "  ", "\n"]))
    return lead + "\n".join(out)


def _ipython_path_only(source: str) -> tuple[str, list[str]] | str:
    """translate_cell with the shortcut switched off: the reference result (or error)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ipysyntax, "_rewrite_line_escapes", lambda lines: None)
        mp.setattr(ipysyntax, "_may_need_cleanup", lambda lines: True)
        return _outcome(source)


def _outcome(source: str) -> tuple[str, list[str]] | str:
    try:
        with compiling():
            result = translate_cell(source)
    except SyntaxError:
        return "SyntaxError"
    return result.code, result.notes


@settings(max_examples=400, deadline=None)
@given(cells())
def test_shortcuts_give_what_the_ipython_path_gives(source: str) -> None:
    assert _outcome(source) == _ipython_path_only(source)


@pytest.mark.parametrize(
    ("source", "shortcut"),
    [
        ("%matplotlib inline\nimport os", True),
        ("import os\n!pip install torch\nx = 1", True),
        ("for i in range(3):\n    %time f(i)\n    !echo $i", True),
        ("try:\n    import torch\nexcept ImportError:\n    !pip install torch", True),
        # Inside a string the line is text: IPython leaves it, and so must we.
        ('s = """\n%matplotlib inline\n"""\n!ls', False),
        # Inside brackets it is not a statement: `pass` cannot go there.
        ("x = [\n%foo\n]", False),
        # A backslash joins lines: IPython sees one logical line.
        ("if x: \\\n%foo", False),
        ("x = %who_ls\n!ls", False),
        ("%pwd?", False),
    ],
)
def test_the_shortcut_is_taken_only_where_it_is_exact(
    source: str, shortcut: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = ipysyntax._rewrite_special_syntax

    def spy(lines: list[str], notes: list[str]) -> list[str]:
        calls.append(1)
        return original(lines, notes)

    monkeypatch.setattr(ipysyntax, "_rewrite_special_syntax", spy)
    outcome = _outcome(source)
    assert (not calls) is shortcut
    assert outcome == _ipython_path_only(source)


def test_magic_lines_keep_their_line_and_say_what_they_were() -> None:
    with compiling():
        result = translate_cell("%matplotlib inline\nfor i in x:\n    !echo $i\n%time y = 2")
    assert result.code.splitlines() == [
        "# [repro] magic: %matplotlib inline",
        "for i in x:",
        "    pass  # [repro] shell: !echo $i",
        "y = 2  # [repro] magic: %time y = 2 (statement kept)",
    ]


@st.composite
def line_lists(draw: st.DrawFn) -> list[str]:
    pool = [
        "x = 1",
        "    x = 1",
        "\tx = 1",
        "",
        "   ",
        "\t",
        ">>> x = 1",
        "... y",
        "...",
        "In [3]: z = 1",
        "   ...: z",
        "[ins] In [2]: q",
        "%time f()",
        's = """>>> inside"""',
    ]
    return [line + "\n" for line in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))]


@settings(max_examples=300, deadline=None)
@given(line_lists())
def test_cleanup_is_skipped_only_where_ipython_changes_nothing(lines: list[str]) -> None:
    if ipysyntax._may_need_cleanup(lines):
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ipysyntax, "_may_need_cleanup", lambda lines: True)
        assert ipysyntax._cleanup(list(lines)) == lines


def test_ipython_is_not_imported_for_plain_cells_and_line_magics() -> None:
    code = (
        "import sys\n"
        "from jupyterlab_repro.notebook.ipysyntax import compiling, translate_cell\n"
        "with compiling():\n"
        "    translate_cell('%matplotlib inline\\n!pip install x\\nimport os\\n')\n"
        "    translate_cell('for i in x:\\n    %time f(i)\\n')\n"
        "    translate_cell('def f():\\n    return 1\\n')\n"
        "print('IPython' in sys.modules)\n"
        "with compiling():\n"
        "    translate_cell('x = !ls\\n')\n"
        "print('IPython' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == ["False", "True"]


def test_compiling_pauses_the_gc_and_restores_it() -> None:
    assert gc.isenabled()
    with compiling():
        assert not gc.isenabled()
        with compiling():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), compiling():
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with compiling():
            pass
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()


def test_compiling_silences_syntax_warnings_only_inside() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with compiling():
            compile('x = "\\d"', "<cell>", "exec")
        with pytest.raises(SyntaxError):  # the warning, raised as an error
            compile('x = "\\d"', "<cell>", "exec")


def test_split_lines_counts_like_python() -> None:
    assert split_lines("") == []
    assert split_lines("a") == ["a\n"]
    assert split_lines("a\n") == ["a\n"]
    assert split_lines("a\n\nb") == ["a\n", "\n", "b\n"]


# --------------------------------------------------------------------------
# automagic: `pip install x` without `%`


@pytest.fixture(scope="module")
def shell() -> object:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def test_the_automagic_names_are_ipythons(shell: object) -> None:
    """Every line magic and alias a kernel has (ipykernel's too) is known."""
    from ipykernel.zmqshell import KernelMagics

    ipython = set(shell.magics_manager.lsmagic()["line"])  # type: ignore[attr-defined]
    aliases = {name for name, _ in shell.alias_manager.aliases}  # type: ignore[attr-defined]
    kernel = set(KernelMagics.magics["line"])
    missing = (ipython | aliases | kernel) - ipysyntax.AUTOMAGIC_NAMES
    assert not missing, sorted(missing)


_RESTS = [
    "",
    " install numpy",
    " -la",
    " -l data/",
    " /tmp",
    " = [1]",
    " += 1",
    ", b = 1, 2",
    ".sleep(1)",
    "(1)",
    "[0]",
    ": int = 1",
    " == 1",
    " model.fit(x)",
    "  # a comment",
]
_NAMES = ["pip", "cd", "ls", "pwd", "time", "who", "run", "history", "matplotlib", "lsx", "print"]


@pytest.mark.parametrize("name", _NAMES)
@pytest.mark.parametrize("rest", _RESTS)
def test_one_line_cells_are_automagic_where_ipython_says(
    shell: object, name: str, rest: str
) -> None:
    """A one-line cell: our rewrite agrees with IPython's own ``transform_cell``."""
    line = name + rest
    theirs = shell.transform_cell(line)  # type: ignore[attr-defined]
    is_magic = f"run_line_magic({name!r}" in theirs
    try:
        ours = translate_cell(line)
    except SyntaxError:  # then IPython cannot run it either
        assert not is_magic
        with pytest.raises(SyntaxError):
            compile(theirs, "<cell>", "exec")
        return
    compile(ours.tree, "<cell>", "exec")
    if rest.lstrip()[:1] in {"(", "[", ":", "+"}:
        # IPython runs `pip(1)`, `ls[0]`, `cd += 1`, `ls: int = 1` as magics: we keep the
        # Python the user wrote (a module would never want those as comments).
        assert ours.code == line
        return
    assert ours.code.startswith("# [repro] automagic: ") is is_magic or (
        "(statement kept)" in ours.code and is_magic
    ), (line, theirs, ours.code)


def test_automagic_in_a_longer_cell() -> None:
    """Lines that are not Python there become magics with a note; valid Python stays."""
    result = translate_cell("import os\npip install x\nls -la\nif os:\n    cd data\n")
    assert result.code == (
        "import os\n"
        "# [repro] automagic: pip install x\n"
        "ls -la\n"
        "if os:\n"
        "    pass  # [repro] automagic: cd data\n"
    )
    assert [n.split(":")[0] for n in result.notes] == ["line 2", "line 5"]
    assert "write %pip" in result.notes[0]


@pytest.mark.parametrize(
    "source",
    [
        "ls = [1]\nls",  # assigned earlier in the cell
        "import time\ntime",
        "from os import path as cd\ncd",
        "def who():\n    pass\nwho",
        "for pwd in range(2):\n    pass\npwd",
        's = """\ncd data\n"""',  # inside a string
        "x = (1,\ncd data)",  # inside brackets: not Python anyway, stays an error
    ],
)
def test_what_shadows_or_hides_an_automagic(source: str) -> None:
    try:
        result = translate_cell(source)
    except SyntaxError:
        assert "(1," in source
        return
    assert "automagic" not in result.code


def test_names_bound_in_earlier_cells_shadow(shell: object) -> None:
    assert translate_cell("ls", bound={"ls"}).code == "ls"
    assert translate_cell("pwd", bound={"ls"}).code == "# [repro] automagic: pwd\n"
    assert ipysyntax.bound_names(ipysyntax.ast.parse("import a.b as c, d.e\nx, *y = 1, 2")) == {
        "c",
        "d",
        "x",
        "y",
    }
