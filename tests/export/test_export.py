"""Export cells to an importable module: selection, IPython syntax, header, writing."""

from __future__ import annotations

import ast
import concurrent.futures
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from jupyterlab_repro.errors import (
    CellSyntaxError,
    ExportError,
    ForeignFile,
    InvalidRequest,
    NotebookInvalid,
    PathNotFound,
    PathOutsideRoot,
)
from jupyterlab_repro.export import writer
from jupyterlab_repro.export.exporter import export_notebook
from jupyterlab_repro.export.selection import parse_selection
from jupyterlab_repro.export.settings import read_export_settings, with_export_settings
from jupyterlab_repro.export.writer import (
    MARKER,
    check_module,
    is_generated,
    module_diff,
    write_module,
)
from jupyterlab_repro.notebook.ipysyntax import transform_cell

MakeRepo = Callable[..., Path]


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return proc.stdout.strip()


def code(source: str, *tags: str, id: str | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "source": source, "tags": list(tags), "id": id}


def md(source: str, *tags: str, id: str | None = None) -> dict[str, Any]:
    return {"cell_type": "markdown", "source": source, "tags": list(tags), "id": id}


def notebook_text(cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> str:
    """An nbformat 4.5 notebook (ids c1, c2 … unless given), as JupyterLab writes it."""
    out = []
    for n, cell in enumerate(cells, start=1):
        item: dict[str, Any] = {
            "cell_type": cell["cell_type"],
            "id": cell["id"] or f"c{n}",
            "metadata": {"tags": cell["tags"]} if cell["tags"] else {},
            "source": cell["source"].splitlines(keepends=True),
        }
        if cell["cell_type"] == "code":
            item["execution_count"] = None
            item["outputs"] = []
        out.append(item)
    nb = {
        "cells": out,
        "metadata": metadata or {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def write_nb(path: Path, cells: list[dict[str, Any]], **kw: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_text(cells, **kw), encoding="utf-8")
    return path


def run_py(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter, as a user runs the module; no PYTHONPATH from the test run."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**env, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )


def code_lines(text: str) -> list[str]:
    """The lines of a module that are not comments or blank."""
    return [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def ipython_calls(text: str) -> list[int]:
    tree = ast.parse(text)
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "get_ipython"
    ]


# --------------------------------------------------------------------------
# selection


@pytest.mark.parametrize(
    ("selector", "kind", "canonical"),
    [
        (None, "tag", "export"),
        ("", "tag", "export"),
        ("export", "tag", "export"),
        ("ALL", "all", "all"),
        ("tag:train", "tag", "tag:train"),
        ("1,3-5", "cells", "1,3-5"),
        (" 2 , id:abc-1 , 4 - 6 ", "cells", "2,id:abc-1,4-6"),
        ("3-3", "cells", "3"),
    ],
)
def test_parse_selection(selector: str | None, kind: str, canonical: str) -> None:
    sel = parse_selection(selector)
    assert sel.kind == kind
    assert str(sel) == canonical
    assert str(parse_selection(str(sel))) == canonical


@pytest.mark.parametrize(
    ("selector", "words"),
    [
        ("0", "start at 1"),
        ("5-3", "range"),
        ("one", "Cannot read 'one'"),
        ("1,,2", "Cannot read ''"),
        ("id:$x", "Invalid cell id"),
        ("tag:", "Invalid tag"),
        ("1-", "Cannot read '1-'"),
        ("-1", "Cannot read '-1'"),
    ],
)
def test_parse_selection_rejects_bad_syntax(selector: str, words: str) -> None:
    with pytest.raises(InvalidRequest, match=words):
        parse_selection(selector)


SELECT_NB = [
    md("# Title"),  # 1
    code("import math", id="imp"),  # 2
    md("Some text", id="txt"),  # 3
    code("A = 1", "export"),  # 4
    code("b = 2"),  # 5
    code("   \n"),  # 6: empty
    code("print(A)", "main"),  # 7
]


@pytest.mark.parametrize(
    ("selector", "top", "main"),
    [
        ("export", [4], [7]),
        ("all", [2, 4, 5], [7]),
        ("1-5", [2, 4, 5], []),
        ("5,2", [2, 5], []),
        ("id:imp,4", [2, 4], []),
        ("2-7", [2, 4, 5], [7]),
    ],
)
def test_selection_picks_code_cells_in_notebook_order(
    tmp_path: Path, selector: str, top: list[int], main: list[int]
) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", SELECT_NB)
    result = export_notebook(nb, tmp_path / "mod.py", selector, dry_run=True)
    assert result.cells == top
    assert result.main_cells == main
    markers = [
        int(ln.split()[3]) for ln in result.text.splitlines() if ln.lstrip().startswith("# %% cell")
    ]
    assert markers == top + main


def test_explicit_markdown_cell_is_skipped_with_a_warning(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", SELECT_NB)
    result = export_notebook(nb, tmp_path / "mod.py", "3,4,id:txt", dry_run=True)
    assert result.cells == [4]
    assert "cell 3 is a markdown cell; skipped" in result.warnings
    assert "cell 3 (id 'txt') is a markdown cell; skipped" in result.warnings


@pytest.mark.parametrize(
    ("selector", "error", "words"),
    [
        ("8", InvalidRequest, "no cell 8: the notebook has 7 cell"),
        ("2-9", InvalidRequest, "no cell 9"),
        ("id:nope", InvalidRequest, "No cell has the id 'nope'"),
        ("1,3", ExportError, "contains no code cell"),
        ("6", ExportError, "contains no code cell"),
    ],
)
def test_invalid_selection_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, selector: str, error: type[Exception], words: str
) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", SELECT_NB)
    out = tmp_path / "mod.py"
    with pytest.raises(error, match=words):
        export_notebook(nb, out, selector)
    assert not out.exists()


def test_tag_selection_without_tagged_cells_says_how_to_tag(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("x = 1", "other"), md("m", "export")])
    with pytest.raises(ExportError, match="No code cell is tagged 'export'"):
        export_notebook(nb, tmp_path / "mod.py")
    with pytest.raises(ExportError, match="No code cell is tagged 'train'"):
        export_notebook(nb, tmp_path / "mod.py", "tag:train")
    assert not (tmp_path / "mod.py").exists()
    # main cells count for every tag selection: they are meant to be exported
    write_nb(nb, [code("x = 1", "other"), code("print(1)", "main")])
    assert export_notebook(nb, tmp_path / "mod.py", "tag:train", dry_run=True).main_cells == [2]


def test_tagged_cells_export_only_those(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            code("import json", "export"),
            code("scratch = json.dumps({})\nprint(scratch)"),
            code("def load(s):\n    return json.loads(s)", "export", "other-tag"),
            code("load('[1]')"),
        ],
    )
    result = export_notebook(nb, tmp_path / "mod.py")
    assert result.cells == [1, 3]
    assert code_lines(result.text) == [
        '__all__ = ["load"]',
        "import json",
        "def load(s):",
        "    return json.loads(s)",
    ]
    assert (tmp_path / "mod.py").read_text(encoding="utf-8") == result.text


# --------------------------------------------------------------------------
# IPython syntax


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%matplotlib inline\nimport os", "# [repro] magic: %matplotlib inline\nimport os\n"),
        (
            "%load_ext autoreload\n%autoreload 2",
            "# [repro] magic: %load_ext autoreload\n# [repro] magic: %autoreload 2\n",
        ),
        ("!pip install x", "# [repro] shell: !pip install x\n"),
        ("!!ls", "# [repro] shell: !!ls\n"),
        ("%pip install -q torch", "# [repro] magic: %pip install -q torch\n"),
        ("%timeit -n1 f()", "# [repro] magic: %timeit -n1 f()\n"),
        ("%time x = f()", "x = f()  # [repro] magic: %time x = f() (statement kept)\n"),
        ("obj?", "# [repro] help: obj?\n"),
        ("??obj", "# [repro] help: ??obj\n"),
        ("obj.method??", "# [repro] help: obj.method??\n"),
        ("x = !ls", "# [repro] shell: x = !ls\n"),
        ("x = %sx ls", "# [repro] magic: x = %sx ls\n"),
        (
            "get_ipython().run_line_magic('matplotlib', 'inline')",
            "# [repro] ipython: get_ipython().run_line_magic('matplotlib', 'inline')\n",
        ),
        (
            "for i in range(3):\n    %time f()\n    !echo hi",
            "for i in range(3):\n    f()  # [repro] magic: %time f() (statement kept)\n"
            "    pass  # [repro] shell: !echo hi\n",
        ),
        ("for i in range(3):\n    !ls", "for i in range(3):\n    pass  # [repro] shell: !ls\n"),
        ("def f():\n    %cd /tmp", "def f():\n    pass  # [repro] magic: %cd /tmp\n"),
        ("%ls \\\n   -la\nz = 1", "# [repro] magic: %ls \\\n# [repro]   -la\nz = 1\n"),
        (
            "%%time\nx = 1\n%env A=1",
            "# [repro] cell magic: %%time\nx = 1\n# [repro] magic: %env A=1\n",
        ),
        ("%%capture cap\nprint(1)", "# [repro] cell magic: %%capture cap\nprint(1)\n"),
        ("    %pwd\n    y = 2", "# [repro] magic: %pwd\ny = 2\n"),
        (">>> a = 1\n>>> b = a", "a = 1\nb = a\n"),
        ("/print 1 2", "print(1, 2)\n"),  # autocall: IPython's rewrite is plain Python
        ('print(f"{x!r}")\n!ls', 'print(f"{x!r}")\n# [repro] shell: !ls\n'),
        ('s = f"""\n{1}\n%ls\n"""\n!ls', 's = f"""\n{1}\n%ls\n"""\n# [repro] shell: !ls\n'),
        ("x = 1\r\n%ls\r\ny = 2", "x = 1\n# [repro] magic: %ls\ny = 2\n"),
        ("if x:\n\t%ls\n\tz = 1", "if x:\n\tpass  # [repro] magic: %ls\n\tz = 1\n"),
        (
            "if 'colab' in str(get_ipython()):\n    x = 1\nelse:\n    x = 2\nz = 3",
            "# [repro] ipython: if 'colab' in str(get_ipython()):\n# [repro]   x = 1\n"
            "# [repro]   else:\n# [repro]   x = 2\nz = 3\n",
        ),
        (
            "def shell():\n    return get_ipython()\n",
            "def shell():\n    pass  # [repro] ipython: return get_ipython()\n",
        ),
    ],
)
def test_ipython_syntax_becomes_comments(source: str, expected: str) -> None:
    result = transform_cell(source)
    assert result.code == expected
    assert len(result.code.splitlines()) == len(source.rstrip("\n").splitlines())
    compile(result.code, "<cell>", "exec", dont_inherit=True)
    assert not ipython_calls(result.code)


@pytest.mark.parametrize(
    "magic",
    [
        "%%bash",
        "%%writefile out.txt",
        "%%html",
        "%%javascript",
        "%%sh",
        "%%latex",
        "%%markdown",
        "%%timeit -n1",
        "%%madeup arg",
    ],
)
def test_non_python_cell_magics_leave_the_cell_out(magic: str) -> None:
    result = transform_cell(f"{magic}\nwhatever <b>is</b> here\nx = 1\n")
    assert result.code == f"# [repro] cell left out: {magic}\n"
    assert result.left_out == f"{magic.split()[0]} cell magic (not Python)"


def test_plain_python_is_kept_byte_for_byte() -> None:
    source = (
        "\n"
        "import os  # %not a magic\n"
        's = """\n%also not\n!nor this\nwhat?\n"""\n'
        "x = 5 % 3  ;  y = not x\n"
        "\n"
        "def f():\n"
        "\treturn '?'  \n"
    )
    assert transform_cell(source).code == source


def test_assignments_from_ipython_warn_that_the_name_is_undefined(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [code("files = !ls\nout = %sx pwd\nip = get_ipython()", id="shell")],
    )
    result = export_notebook(nb, tmp_path / "mod.py", "all", dry_run=True)
    warnings = "\n".join(result.warnings)
    for name in ("files", "out", "ip"):
        assert f"{name} " in warnings
    assert "cell 1 (id 'shell'): line 1: files assigned from IPython (!ls)" in warnings


def test_ipython_only_names_are_reported(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [code("%%capture --no-stderr out\nprint(1)"), code("import pandas\ndisplay(1)")],
    )
    result = export_notebook(nb, tmp_path / "mod.py", "all", dry_run=True)
    assert result.warnings == [
        "cell 1 (id 'c1'): out (the %%capture output) will be undefined in the module",
        "cell 2 (id 'c2'): line 2: display() exists only inside IPython; "
        "import it (from IPython.display import display) or remove the call",
    ]
    write_nb(nb, [code("from IPython.display import display\ndisplay(1)")])
    assert export_notebook(nb, tmp_path / "mod.py", "all", dry_run=True).warnings == []


def test_future_imports_move_to_the_top_once(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            code("import os"),
            code("from __future__ import annotations\ndef f(x: Undefined) -> int:\n    return 1"),
            code("from __future__ import annotations\nCONST = 1"),
        ],
    )
    result = export_notebook(nb, tmp_path / "mod.py", "all")
    body = result.text.split("\n\n", 1)[1]
    assert body.startswith("from __future__ import annotations\n\n__all__")
    assert result.text.count("\nfrom __future__ import annotations\n") == 1
    assert "# [repro] moved to the top: from __future__ import annotations" in result.text
    proc = run_py(tmp_path, "-c", "import mod; print(mod.f.__annotations__['x'])")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Undefined"


def test_module_keeps_behaviour_and_never_imports_ipython(tmp_path: Path) -> None:
    """The magic cases of the issue, end to end: the exported module runs without IPython."""
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            code("%matplotlib inline\n%load_ext autoreload\n%autoreload 2"),
            code("!pip install nothing-at-all\nimport json"),
            code("%%time\nTOTAL = sum(range(10))"),
            code("get_ipython().run_line_magic('env', 'A=1')\nlisting = !ls"),
            code("%%bash\necho 'not python' > side-effect.txt"),
            code("steps = []\nfor i in range(3):\n    %time steps.append(i)\n    !echo {i}"),
            code("%time squares = [i * i for i in steps]"),
            code("%timeit sum(squares)"),
            code("result = json.dumps({'total': TOTAL, 'squares': squares})"),
        ],
    )
    export_notebook(nb, tmp_path / "magics_mod.py", "all")
    proc = run_py(
        tmp_path,
        "-c",
        "import sys, magics_mod; print(magics_mod.result); print('IPython' in sys.modules)",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ['{"total": 45, "squares": [0, 1, 4]}', "False"]
    assert not (tmp_path / "side-effect.txt").exists()


def test_automagic_lines_export_as_magics(tmp_path: Path) -> None:
    """``pip install x``, ``cd d``, ``ls``, ``pwd`` without ``%``, as real notebooks have them."""
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            code("pip install nothing-at-all"),
            code("cd /nonexistent-dir"),
            code("ls"),
            code("pwd"),
            code("ls -la"),
            code("ls = [1, 2]"),
            code("ls"),  # a variable now: IPython shows it, the module keeps it
            code("import os\nconda install -y nothing\nTOTAL = len(ls)"),
            code("who"),
        ],
    )
    result = export_notebook(nb, tmp_path / "auto_mod.py", "all")
    text = result.text
    for line in ("pip install nothing-at-all", "cd /nonexistent-dir", "ls", "pwd", "ls -la"):
        assert f"# [repro] automagic: {line}\n" in text, line
    assert "\nls\n" in text  # cell 7, shadowed by cell 6
    assert "# [repro] automagic: conda install -y nothing" in text
    assert any("cell 8" in w and "%conda" in w for w in result.warnings), result.warnings
    assert "# [repro] automagic: who\n" in text
    proc = run_py(tmp_path, "-c", "import auto_mod; print(auto_mod.TOTAL)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"


def test_a_variable_in_an_unexported_cell_still_shadows(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [code("pwd = '/data'"), code("pwd", "export"), code("cd", "export")],
    )
    text = export_notebook(nb, tmp_path / "m.py", "export").text
    assert "\npwd\n" in text and "# [repro] automagic: cd\n" in text


def test_cell_that_is_not_python_names_cell_id_and_line(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [code("x = 1"), md("text"), code("%time y = 2\nfor x in\nz = 3", id="broken")],
    )
    out = tmp_path / "mod.py"
    with pytest.raises(CellSyntaxError) as info:
        export_notebook(nb, out, "all")
    assert info.value.cell == 3
    assert info.value.cell_id == "broken"
    assert info.value.line == 2
    assert "cell 3 (id 'broken'): line 2 is not valid Python" in str(info.value)
    assert "for x in" in str(info.value)
    assert not out.exists()


def test_top_level_await_is_rejected_although_ipython_runs_it(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("import asyncio\nawait asyncio.sleep(0)")])
    with pytest.raises(CellSyntaxError, match="line 2 is not valid Python"):
        export_notebook(nb, tmp_path / "mod.py", "all")


def test_code_that_only_compiling_rejects_is_caught(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("x = 1"), code("y = 2\nreturn y", id="ret")])
    with pytest.raises(CellSyntaxError, match="cell 2 \\(id 'ret'\\): line 2") as info:
        export_notebook(nb, tmp_path / "mod.py", "all")
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("first", "second", "words"),
    [
        ("x = 1", "global x", "assigned to before global declaration"),
        ("print(y)", "if True:\n    global y", "used prior to global declaration"),
        ("z: int = 1", "global z", "annotated name 'z' can't be global"),
    ],
)
def test_rules_that_span_cells_are_checked_on_the_whole_module(
    tmp_path: Path, first: str, second: str, words: str
) -> None:
    # Each cell compiles on its own; only the module as a whole is invalid.
    out = tmp_path / "mod.py"
    nb = write_nb(tmp_path / "nb.ipynb", [code(first), code(second)])
    with pytest.raises(ExportError, match=words):
        export_notebook(nb, out, "all")
    assert not out.exists()


def test_a_global_statement_that_is_fine_in_the_module_exports(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("global COUNT\nCOUNT = 0"), code("COUNT += 1")])
    result = export_notebook(nb, tmp_path / "mod.py", "all")
    assert result.names == ["COUNT"]
    assert run_py(tmp_path, "-c", "import mod; print(mod.COUNT)").stdout == "1\n"


def test_many_cells_keep_the_first_position_of_each_name(tmp_path: Path) -> None:
    cells = [code(f"def f{i % 50}():\n    return {i}\n\nC{i % 7}X = {i}") for i in range(400)]
    result = export_notebook(write_nb(tmp_path / "nb.ipynb", cells), tmp_path / "mod.py", "all")
    expected: list[str] = []
    for i in range(400):
        for name in (f"f{i % 50}", f"C{i % 7}X"):
            if name not in expected:
                expected.append(name)
    assert result.names == expected
    assert run_py(tmp_path, "-c", "import mod; print(mod.f3(), mod.C2X)").stdout == "353 394\n"


def test_syntax_warnings_in_cells_do_not_escape(tmp_path: Path) -> None:
    # pytest turns warnings into errors: an invalid escape must not break the export.
    nb = write_nb(tmp_path / "nb.ipynb", [code('PATTERN = "\\d+"')])
    result = export_notebook(nb, tmp_path / "mod.py", "all")
    assert 'PATTERN = "\\d+"' in result.text


def test_concurrent_exports_leave_the_warning_filters_alone(tmp_path: Path) -> None:
    # The server exports in worker threads; catch_warnings() state is process-wide.
    nb = write_nb(tmp_path / "nb.ipynb", [code(f'P{i} = "\\d"\n!ls') for i in range(30)])
    before = list(warnings.filters)
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [
            pool.submit(export_notebook, nb, tmp_path / f"m{i}.py", "all", dry_run=True)
            for i in range(16)
        ]
        texts = {job.result().text for job in jobs}
    assert len(texts) == 1
    assert warnings.filters == before


# --------------------------------------------------------------------------
# main() and __all__


TRAINING_CELLS = [
    md("# Train a tiny model"),
    code("import random\nfrom dataclasses import dataclass", "export"),
    code("SEED = 7\nLEARNING_RATE = 0.5\n_PRIVATE = 1\nX = [1, 2, 3]\nlowercase = 2", "export"),
    code(
        "@dataclass\nclass Model:\n    weight: float = 0.0\n\n"
        "    def predict(self, x):\n        return self.weight * x",
        "export",
    ),
    code(
        "def train(xs, ys, epochs=50):\n"
        "    random.seed(SEED)\n"
        "    m = Model()\n"
        "    for _ in range(epochs):\n"
        "        for x, y in zip(xs, ys):\n"
        "            m.weight += LEARNING_RATE * (y - m.predict(x)) * x / 10\n"
        "    return m\n\n"
        "def _helper():\n    pass",
        "export",
    ),
    code("m = train([1, 2], [2, 4])\nm.weight  # scratch"),
    code(
        "model = train([1, 2, 3], [3, 6, 9])\n"
        'report = """weight:\n  %.1f"""\n'
        "print(report % model.weight)",
        "main",
    ),
    code("%matplotlib inline", "main"),
]


def test_main_cells_make_a_runnable_script(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", TRAINING_CELLS)
    result = export_notebook(nb, tmp_path / "train_lib.py")
    assert result.cells == [2, 3, 4, 5]
    assert result.main_cells == [7, 8]
    assert result.names == ["SEED", "LEARNING_RATE", "Model", "train"]
    assert "\ndef main() -> None:\n    # %% cell 7 (id c7)\n    model = train(" in result.text
    assert result.text.endswith('\n\nif __name__ == "__main__":\n    main()\n')
    # the multi-line string continues at column 0: its value is unchanged
    assert '    report = """weight:\n  %.1f"""\n' in result.text

    proc = run_py(tmp_path, "train_lib.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "weight:\n  3.0\n"


def test_training_module_imports_in_a_fresh_interpreter(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "project" / "notebooks" / "train.ipynb", TRAINING_CELLS)
    export_notebook(nb, nb.parent / "train_lib.py")
    # From the notebook's folder, as the notebook itself would `import train_lib`:
    proc = run_py(
        nb.parent,
        "-c",
        "import sys, train_lib\n"
        "print(train_lib.__all__)\n"
        "print(round(train_lib.train([1], [2]).weight, 3))\n"
        "print('IPython' in sys.modules)",
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "['SEED', 'LEARNING_RATE', 'Model', 'train']"
    assert float(lines[1]) > 1.5
    assert lines[2] == "False"  # importing does not run main() or touch IPython


def test_main_cells_with_only_magics_still_compile(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_B = 1"), code("%matplotlib inline", "main")])
    result = export_notebook(nb, tmp_path / "mod.py", "all")
    assert "    # [repro] magic: %matplotlib inline\n    pass\n" in result.text
    assert run_py(tmp_path, "mod.py").returncode == 0


def test_return_is_fine_in_main_but_not_at_module_level(tmp_path: Path) -> None:
    cells = [code("import sys"), code("if len(sys.argv) > 5:\n    return\nprint('ran')", "main")]
    nb = write_nb(tmp_path / "nb.ipynb", cells)
    export_notebook(nb, tmp_path / "mod.py", "all")
    assert run_py(tmp_path, "mod.py").stdout == "ran\n"
    cells[1] = code("return", id="c2")
    write_nb(nb, cells)
    with pytest.raises(CellSyntaxError, match="cell 2"):
        export_notebook(nb, tmp_path / "mod.py", "1-2")


@pytest.mark.parametrize("definition", ["def main():\n    pass", "from os import getcwd as main"])
def test_a_cell_defining_main_conflicts_with_main_cells(tmp_path: Path, definition: str) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code(definition), code("print(1)", "main")])
    with pytest.raises(ExportError, match="cell 1 \\(id 'c1'\\) defines 'main'"):
        export_notebook(nb, tmp_path / "mod.py", "all")
    assert not (tmp_path / "mod.py").exists()


def test_all_lists_public_definitions_in_order(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb",
        [
            code("import os\nfrom math import PI as CIRCLE"),
            code(
                "try:\n    import torch\n    DEVICE = 'cuda'\nexcept ImportError:\n"
                "    DEVICE = 'cpu'\n    FALLBACK = True"
            ),
            code("class Net:\n    INNER = 1\n    def forward(self):\n        pass"),
            code("async def fetch():\n    pass\ndef _private():\n    pass\ndef Net():\n    pass"),
            code("BATCH, EPOCHS = 32, 3\nN = 10\nmax_len: int = 5\nLIMIT: int = 9\ndata = []"),
        ],
    )
    result = export_notebook(nb, tmp_path / "mod.py", "all")
    expected = ["DEVICE", "FALLBACK", "Net", "fetch", "BATCH", "EPOCHS", "LIMIT"]
    assert result.names == expected
    assert f"__all__ = {json.dumps(expected)}\n" in result.text


def test_a_cell_defining_all_is_respected(tmp_path: Path) -> None:
    nb = write_nb(
        tmp_path / "nb.ipynb", [code("__all__ = ['f']\ndef f():\n    pass\ndef g():\n    pass")]
    )
    result = export_notebook(nb, tmp_path / "mod.py", "all")
    assert result.text.count("__all__") == 1
    assert any("define __all__ themselves" in w for w in result.warnings)


# --------------------------------------------------------------------------
# header and provenance


def test_header_names_notebook_and_commit_and_reexport_is_identical(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo()
    nb = write_nb(repo / "notebooks" / "train.ipynb", TRAINING_CELLS)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: notebook")
    sha = git(repo, "rev-parse", "HEAD")
    out = repo / "src" / "train_lib.py"
    out.parent.mkdir()
    first = export_notebook(nb, out)
    lines = first.text.splitlines()
    assert lines[0] == f"{MARKER} from notebooks/train.ipynb; edit the notebook, not this file."
    assert lines[1] == f"# Commit: {sha[:12]}"
    assert lines[2] == "# Cells: export"
    assert first.written and first.changed
    assert first.provenance.state == "committed"
    mtime = out.stat().st_mtime_ns

    again = export_notebook(nb, out)
    assert again.text == first.text
    assert not again.written and not again.changed and not again.out_of_date
    assert again.diff == ""
    assert out.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("how", ["modified", "staged", "untracked", "ignored"])
def test_header_says_when_the_notebook_has_uncommitted_changes(
    make_repo: MakeRepo, how: str
) -> None:
    repo = make_repo()
    nb = write_nb(repo / "nb.ipynb", [code("A_1 = 1", "export")])
    if how in ("modified", "staged"):
        git(repo, "add", "nb.ipynb")
        git(repo, "commit", "--quiet", "-m", "feat: nb")
        nb.write_text(nb.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        if how == "staged":
            git(repo, "add", "nb.ipynb")
    elif how == "ignored":
        (repo / ".gitignore").write_text("*.ipynb\n", encoding="utf-8")
    sha = git(repo, "rev-parse", "HEAD")
    result = export_notebook(nb, repo / "mod.py")
    assert result.text.splitlines()[1] == f"# Commit: {sha[:12]} (with uncommitted changes)"
    assert result.provenance.dirty


def test_header_after_a_commit_says_committed_when_only_outputs_differ(
    make_repo: MakeRepo,
) -> None:
    """Run after a snapshot: outputs, counts, the kernel's language_info, the remembered target."""
    from jupyterlab_repro.notebook.clean import clean_text

    repo = make_repo()
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    nb = write_nb(
        repo / "nb.ipynb",
        [code("A_1 = 1", "export")],
        metadata={**kernel, "language_info": {"name": "python"}},  # as a snapshot commits it
    )
    nb.write_text(clean_text(nb.read_text(encoding="utf-8"))[0], encoding="utf-8")
    git(repo, "add", "nb.ipynb")
    git(repo, "commit", "--quiet", "-m", "feat: nb")
    sha = git(repo, "rev-parse", "HEAD")
    ran = json.loads(nb.read_text(encoding="utf-8"))
    ran["cells"][0]["execution_count"] = 4
    ran["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}]
    ran["metadata"]["language_info"] = {"name": "python", "version": "3.11.2", "mimetype": "x"}
    ran["metadata"]["jupyterlab_repro"] = {"export": {"module": "mod.py", "cells": "export"}}
    nb.write_text(json.dumps(ran, indent=1) + "\n", encoding="utf-8")
    result = export_notebook(nb, repo / "mod.py")
    assert result.text.splitlines()[1] == f"# Commit: {sha[:12]}"
    assert not result.provenance.dirty and result.provenance.state == "committed"
    # A change of code is still one.
    ran["cells"][0]["source"] = ["A_1 = 2\n"]
    nb.write_text(json.dumps(ran, indent=1) + "\n", encoding="utf-8")
    result = export_notebook(nb, repo / "mod.py")
    assert result.text.splitlines()[1] == f"# Commit: {sha[:12]} (with uncommitted changes)"


def test_other_dirty_files_do_not_make_the_notebook_dirty(make_repo: MakeRepo) -> None:
    repo = make_repo()
    nb = write_nb(repo / "exp[1].ipynb", [code("A_1 = 1", "export")])
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: nb")
    # "exp[1]" as a glob would match exp1.ipynb: it must be taken literally
    (repo / "exp1.ipynb").write_text("{}", encoding="utf-8")
    (repo / "README.md").write_text("changed\n", encoding="utf-8")
    result = export_notebook(nb, repo / "mod.py")
    assert result.text.splitlines()[1] == f"# Commit: {git(repo, 'rev-parse', 'HEAD')[:12]}"


def test_header_outside_git_and_without_commits(tmp_path: Path, make_repo: MakeRepo) -> None:
    plain = write_nb(tmp_path / "plain" / "nb.ipynb", [code("A_1 = 1", "export")])
    result = export_notebook(plain, plain.parent / "mod.py")
    assert result.text.splitlines()[:2] == [
        f"{MARKER} from nb.ipynb; edit the notebook, not this file.",
        "# Commit: none (not in a git repository)",
    ]
    rooted = export_notebook(plain, plain.parent / "mod.py", root=tmp_path, dry_run=True)
    assert rooted.text.splitlines()[0].startswith(f"{MARKER} from plain/nb.ipynb;")

    repo = make_repo("fresh", commit=False)
    nb = write_nb(repo / "nb.ipynb", [code("A_1 = 1", "export")])
    result = export_notebook(nb, repo / "mod.py")
    assert result.text.splitlines()[1] == "# Commit: none (the repository has no commits yet)"


def test_without_git_the_export_still_works(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo()
    nb = write_nb(repo / "nb.ipynb", [code("A_1 = 1", "export")])
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a machine without git
    result = export_notebook(nb, repo / "mod.py")
    assert result.text.splitlines()[1] == "# Commit: none (git is not available)"
    assert result.written


def test_control_characters_in_names_cannot_break_out_of_the_header(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "evil\nimport os\n.ipynb", [code("A_1 = 1", "export")])
    result = export_notebook(nb, tmp_path / "mod.py")
    assert "\\x0aimport os\\x0a" in result.text.splitlines()[0]
    assert code_lines(result.text) == ['__all__ = ["A_1"]', "A_1 = 1"]


# --------------------------------------------------------------------------
# writing, checking, diff


def test_foreign_file_is_not_overwritten_unless_forced(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    out = tmp_path / "mod.py"
    out.write_text("# my hand-written module\nVALUE = 42\n", encoding="utf-8")
    with pytest.raises(ForeignFile, match="mod.py exists and was not written by export"):
        export_notebook(nb, out)
    assert out.read_text(encoding="utf-8") == "# my hand-written module\nVALUE = 42\n"

    preview = export_notebook(nb, out, dry_run=True)
    assert preview.foreign and preview.changed and not preview.written
    assert "-VALUE = 42\n" in preview.diff

    forced = export_notebook(nb, out, force=True)
    assert forced.written
    assert is_generated(out.read_text(encoding="utf-8"))


def test_write_keeps_mode_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    out = tmp_path / "mod.py"
    export_notebook(nb, out)
    assert (out.stat().st_mode & 0o777) == (0o666 & ~_umask())
    os.chmod(out, 0o750)
    write_nb(nb, [code("A_1 = 2", "export")])
    assert export_notebook(nb, out).written
    assert (out.stat().st_mode & 0o777) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.py", "nb.ipynb"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_failed_export_keeps_the_old_module(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    out = tmp_path / "mod.py"
    export_notebook(nb, out)
    before = out.read_bytes()
    write_nb(nb, [code("A_1 = (", "export")])
    with pytest.raises(CellSyntaxError):
        export_notebook(nb, out)
    assert out.read_bytes() == before


def test_failed_replace_keeps_the_old_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fault we cannot cause for real as root (a read-only folder does not stop root).
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    out = tmp_path / "mod.py"
    export_notebook(nb, out)
    before = out.read_bytes()
    write_nb(nb, [code("A_1 = 2", "export")])

    def fail(src: Any, dst: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        export_notebook(nb, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.py", "nb.ipynb"]


def test_write_module_refuses_code_that_does_not_compile(tmp_path: Path) -> None:
    out = tmp_path / "mod.py"
    with pytest.raises(ExportError, match="line 2"):
        write_module(f"{MARKER}\nx = (\n", out)
    assert not out.exists()
    assert write_module(f"{MARKER}\nx = 1\n", out) is True
    assert write_module(f"{MARKER}\nx = 1\n", out) is False


def test_check_reports_out_of_date_and_ignores_the_commit_line(make_repo: MakeRepo) -> None:
    repo = make_repo()
    nb = write_nb(repo / "nb.ipynb", [code("A_1 = 1", "export")])
    out = repo / "mod.py"
    assert export_notebook(nb, out, dry_run=True).out_of_date  # no module yet
    assert not out.exists()
    result = export_notebook(nb, out)
    assert "(with uncommitted changes)" in result.text  # the notebook is untracked
    assert not check_module(result.text, out)

    # Committing notebook and module together changes the commit line, not the code.
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "feat: export")
    later = export_notebook(nb, out, dry_run=True)
    assert later.changed and not later.out_of_date
    assert later.diff.count("\n-# Commit:") == 1

    write_nb(nb, [code("A_1 = 2", "export")])
    stale = export_notebook(nb, out, dry_run=True)
    assert stale.out_of_date and check_module(stale.text, out)
    assert "-A_1 = 1\n+A_1 = 2\n" in stale.diff
    assert "A_1 = 1" in out.read_text(encoding="utf-8")  # dry run wrote nothing


def test_diff_of_a_new_module() -> None:
    diff = module_diff(None, "a = 1\n", "mod.py")
    assert diff.splitlines() == ["--- /dev/null", "+++ b/mod.py", "@@ -0,0 +1 @@", "+a = 1"]


# --------------------------------------------------------------------------
# inputs that are refused


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mod.txt", "must be a .py file"),
        ("mod", "must be a .py file"),
        ("sub.py", "is a folder"),
        ("missing/mod.py", "folder does not exist"),
    ],
)
def test_bad_output_paths_are_refused(tmp_path: Path, name: str, words: str) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    (tmp_path / "sub.py").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(InvalidRequest, match=words):
        export_notebook(nb, tmp_path / name)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_output_cannot_be_the_notebook(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "paired.py", [code("A_1 = 1", "export")])
    before = nb.read_bytes()
    with pytest.raises(InvalidRequest, match="cannot be the notebook itself"):
        export_notebook(nb, tmp_path / "." / "paired.py")
    assert nb.read_bytes() == before


def test_missing_notebook(tmp_path: Path) -> None:
    with pytest.raises(PathNotFound, match="No such notebook: gone.ipynb"):
        export_notebook(tmp_path / "gone.ipynb", tmp_path / "mod.py")
    assert not (tmp_path / "mod.py").exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "invalid JSON"),
        (b"\xff\xfe", "not valid UTF-8"),
        (b'{"cells": [], "metadata": {}}', "'nbformat' is missing"),
        (b'{"nbformat": 5, "nbformat_minor": 0, "cells": [], "metadata": {}}', "nbformat 5"),
    ],
)
def test_malformed_notebook_is_a_clear_error(tmp_path: Path, content: bytes, words: str) -> None:
    nb = tmp_path / "nb.ipynb"
    nb.write_bytes(content)
    with pytest.raises(NotebookInvalid, match=words):
        export_notebook(nb, tmp_path / "mod.py", "all")
    assert not (tmp_path / "mod.py").exists()


def test_nbformat3_notebook_exports(tmp_path: Path) -> None:
    nb = tmp_path / "old.ipynb"
    nb.write_text(
        json.dumps(
            {
                "nbformat": 3,
                "nbformat_minor": 0,
                "metadata": {},
                "worksheets": [
                    {
                        "cells": [
                            {"cell_type": "heading", "level": 1, "source": "T", "metadata": {}},
                            {
                                "cell_type": "code",
                                "input": ["def f():", "    return 3"],
                                "language": "python",
                                "outputs": [],
                                "metadata": {},
                            },
                        ]
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    result = export_notebook(nb, tmp_path / "old_mod.py", "2")
    assert "# %% cell 2\ndef f():\n    return 3\n" in result.text
    assert run_py(tmp_path, "-c", "import old_mod; print(old_mod.f())").stdout == "3\n"


# --------------------------------------------------------------------------
# remembered settings


def test_export_settings_round_trip() -> None:
    meta = {"kernelspec": {"name": "python3"}, "jupyterlab_repro": {"other": 1}}
    updated = with_export_settings(meta, module="../src/train.py", cells=" 1, 3-5 ")
    assert updated["jupyterlab_repro"] == {
        "other": 1,
        "export": {"module": "../src/train.py", "cells": "1,3-5"},
    }
    assert meta == {"kernelspec": {"name": "python3"}, "jupyterlab_repro": {"other": 1}}
    settings = read_export_settings(updated)
    assert (settings.module, settings.cells) == ("../src/train.py", "1,3-5")
    with pytest.raises(InvalidRequest):
        with_export_settings(meta, module="x.py", cells="0")


@pytest.mark.parametrize(
    "meta",
    [
        None,
        {},
        {"jupyterlab_repro": "x"},
        {"jupyterlab_repro": {"export": []}},
        {"jupyterlab_repro": {"export": {"module": 3, "cells": ""}}},
    ],
)
def test_ill_typed_settings_are_ignored(meta: dict[str, Any] | None) -> None:
    settings = read_export_settings(meta)
    assert settings.module is None and settings.cells is None


def test_export_uses_the_remembered_module_and_cells(make_repo: MakeRepo) -> None:
    repo = make_repo()
    (repo / "src").mkdir()
    meta = with_export_settings({}, module="../src/lib.py", cells="2")
    nb = write_nb(
        repo / "notebooks" / "nb.ipynb", [code("A_1 = 1"), code("B_2 = 2")], metadata=meta
    )
    result = export_notebook(nb)
    assert result.output == repo / "src" / "lib.py"
    assert result.cells == [2]
    assert result.module_setting == "../src/lib.py"
    data = json.loads(json.dumps(result.as_dict()))
    assert data["settings"] == {"module": "../src/lib.py", "cells": "2"}
    assert data["source"] == {
        "notebook": "notebooks/nb.ipynb",
        "commit": git(repo, "rev-parse", "HEAD")[:12],
        "dirty": True,
        "state": "uncommitted",
    }
    assert str(repo) not in json.dumps(data)  # no absolute paths for the browser
    # an explicit selector wins over the remembered one
    assert export_notebook(nb, selector="1", dry_run=True).cells == [1]


@pytest.mark.parametrize("module", ["../../outside.py", "/tmp/abs.py", "../link/x.py"])
def test_remembered_module_must_stay_in_the_repository(
    make_repo: MakeRepo, tmp_path: Path, module: str
) -> None:
    repo = make_repo()
    (tmp_path / "elsewhere").mkdir()
    (repo / "link").symlink_to(tmp_path / "elsewhere")
    meta = with_export_settings({}, module=module, cells="all")
    nb = write_nb(repo / "notebooks" / "nb.ipynb", [code("A_1 = 1")], metadata=meta)
    with pytest.raises(PathOutsideRoot):
        export_notebook(nb)
    assert not (tmp_path / "outside.py").exists()
    assert not list((tmp_path / "elsewhere").iterdir())


def test_no_output_and_none_remembered(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    with pytest.raises(InvalidRequest, match="No output module"):
        export_notebook(nb)


def test_odd_module_names_warn(tmp_path: Path) -> None:
    nb = write_nb(tmp_path / "nb.ipynb", [code("A_1 = 1", "export")])
    assert any(
        "not an importable" in w for w in export_notebook(nb, tmp_path / "my-mod.py").warnings
    )
    assert any("shadows" in w for w in export_notebook(nb, tmp_path / "random.py").warnings)
    assert not export_notebook(nb, tmp_path / "fine_name.py").warnings


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "x = 1; get_ipython().system('ls')  # note\ny = 2",
            "x = 1; pass  # note  # [repro] ipython: get_ipython().system('ls')\ny = 2\n",
        ),
        (
            "if x: get_ipython().magic('a')\nelse: y = 1",
            "if x: pass  # [repro] ipython: get_ipython().magic('a')\nelse: y = 1\n",
        ),
        (
            "from __future__ import annotations; import os",
            "pass; import os  # [repro] moved to the top: from __future__ import annotations\n",
        ),
    ],
)
def test_statements_sharing_a_line_are_replaced_in_place(source: str, expected: str) -> None:
    result = transform_cell(source)
    assert result.code == expected
    compile(result.code, "<cell>", "exec", dont_inherit=True)


_LINES = [
    "x = 1",
    "%time y = 2",
    "!echo hi",
    "%matplotlib inline",
    "z = !ls",
    "w = %sx pwd",
    "obj?",
    "get_ipython().run_line_magic('a', 'b')",
    "print('%not a magic')",
    "# comment",
    "",
    "%timeit -n1 f()",
]


@st.composite
def ipython_cells(draw: st.DrawFn) -> str:
    """Cells of IPython lines, some of them in for/def blocks."""
    out: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(_LINES)))
        else:
            out.append(draw(st.sampled_from(["for i in range(2):", "def f():", "if x:"])))
            block = draw(st.lists(st.sampled_from(_LINES), min_size=1, max_size=3))
            out.extend("    " + line if line else "" for line in block)
    return "\n".join(out)


@settings(max_examples=150, deadline=None)
@given(ipython_cells())
def test_what_ipython_can_run_exports_as_plain_python(source: str) -> None:
    """Oracle: a cell exports iff IPython's own translation of it compiles."""
    try:
        compile(TransformerManager().transform_cell(source), "<c>", "exec", dont_inherit=True)
    except SyntaxError:
        with pytest.raises(SyntaxError):
            transform_cell(source)
        return
    result = transform_cell(source)
    assert len(result.code.splitlines()) == len(source.splitlines())
    assert not ipython_calls(result.code)
    kept = [ln for ln in source.splitlines() if ln.strip() in ("x = 1", "print('%not a magic')")]
    assert [ln for ln in result.code.splitlines() if ln in kept] == kept
