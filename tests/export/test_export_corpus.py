"""Export on the shared corpus of real notebooks, each committed to a real repository.

The oracle for "is this cell Python?" is IPython itself: a code cell whose
IPython-transformed source does not compile (nbdime's test notebooks hold
plain text in code cells) must give a :class:`CellSyntaxError` naming that
cell; every other notebook with code must export to a module that compiles.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyterlab_repro.errors import CellSyntaxError, ExportError, NotebookInvalid
from jupyterlab_repro.export.exporter import export_notebook
from jupyterlab_repro.export.writer import MARKER
from jupyterlab_repro.notebook.ipysyntax import AUTOMAGIC_NAMES

MakeRepo = Callable[..., Path]

_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _names(pattern: str) -> list[str]:
    found = sorted(p.relative_to(_CORPUS).as_posix() for p in _CORPUS.glob(pattern))
    return found or ["(corpus absent)"]


VALID = _names("*.ipynb") + _names("names/*.ipynb")
MALFORMED = _names("malformed/*.ipynb")


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    return proc.stdout.strip()


def code_cells(path: Path) -> list[tuple[int, str]]:
    """(1-based cell number, source) of the code cells with code, read independently."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    if nb["nbformat"] == 3:
        cells = [c for ws in nb["worksheets"] for c in ws["cells"]]
        key = "input"
    else:
        cells, key = nb["cells"], "source"
    out = []
    for number, cell in enumerate(cells, start=1):
        src = cell.get(key, "")
        if isinstance(src, list):
            joiner = "" if (nb["nbformat"] == 4 or (src and src[0].endswith("\n"))) else "\n"
            src = joiner.join(src)
        if cell["cell_type"] == "code" and src.strip():
            out.append((number, src))
    return out


def first_cell_ipython_rejects(cells: list[tuple[int, str]]) -> int | None:
    """IPython's own verdict: a shell's ``transform_cell`` (escapes, cleanup, automagic)."""
    shell = InteractiveShell.instance()
    for number, src in cells:
        try:
            with warnings.catch_warnings():  # invalid escapes in real notebooks: not errors
                warnings.simplefilter("ignore", SyntaxWarning)
                warnings.simplefilter("ignore", DeprecationWarning)  # Python < 3.12
                compile(shell.transform_cell(src), "<cell>", "exec", dont_inherit=True)
        except SyntaxError:
            return number
    return None


@pytest.fixture
def committed(make_repo: MakeRepo, corpus_dir: Path) -> Callable[[str], Path]:
    """Copy a corpus notebook into a new repository (same file name) and commit it."""

    def _commit(name: str) -> Path:
        repo = make_repo()
        target = repo / "notebooks" / Path(name).name
        target.parent.mkdir(parents=True)
        shutil.copyfile(corpus_dir / name, target)
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "-m", "feat: add notebook")
        return target

    return _commit


@pytest.mark.parametrize("name", VALID)
def test_corpus_notebook_exports_all_cells(
    name: str, corpus_dir: Path, committed: Callable[[str], Path]
) -> None:
    nb = committed(name)
    repo = nb.parents[1]
    out = repo / "exported.py"
    cells = code_cells(nb)
    if not cells:
        with pytest.raises(ExportError, match="contains no code cell"):
            export_notebook(nb, out, "all")
        assert not out.exists()
        return
    bad = first_cell_ipython_rejects(cells)
    if bad is not None:
        with pytest.raises(CellSyntaxError) as info:
            export_notebook(nb, out, "all")
        assert info.value.cell == bad
        assert f"cell {bad}" in str(info.value)
        assert not out.exists()
        return

    result = export_notebook(nb, out, "all")
    text = out.read_text(encoding="utf-8")
    assert text == result.text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = ast.parse(text)
        compile(text, "exported.py", "exec", dont_inherit=True)
    lines = text.splitlines()
    sha = git(repo, "rev-parse", "HEAD")
    assert lines[0] == f"{MARKER} from notebooks/{nb.name}; edit the notebook, not this file."
    assert lines[1] == f"# Commit: {sha[:12]}"
    assert not any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "get_ipython"
        for n in ast.walk(tree)
    )
    markers = [int(ln.split()[3]) for ln in lines if ln.lstrip().startswith("# %% cell ")]
    assert markers == [number for number, _ in cells]

    again = export_notebook(nb, out, "all")
    assert not again.changed and not again.written
    assert out.read_text(encoding="utf-8") == text

    # The same notebook with uncommitted changes (here: one more newline).
    nb.write_bytes(nb.read_bytes() + b"\n")
    dirty = export_notebook(nb, out, "all", dry_run=True)
    assert dirty.text.splitlines()[1] == f"# Commit: {sha[:12]} (with uncommitted changes)"
    assert dirty.changed and not dirty.out_of_date
    assert dirty.text.splitlines()[2:] == lines[2:]


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_corpus_notebook_is_refused(name: str, corpus_dir: Path, tmp_path: Path) -> None:
    nb = tmp_path / Path(name).name
    shutil.copyfile(corpus_dir / name, nb)
    before = nb.read_bytes()
    with pytest.raises(NotebookInvalid) as info:
        export_notebook(nb, tmp_path / "out.py", "all")
    assert str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [nb.name]
    assert nb.read_bytes() == before


@pytest.mark.parametrize("module", ["-run.py", "实验 1.py", "with space.py"])
@pytest.mark.parametrize("name", ["names/-run.ipynb", "names/实验 1.ipynb"])
def test_awkward_names(name: str, module: str, committed: Callable[[str], Path]) -> None:
    nb = committed(name)
    out = nb.parent / module
    result = export_notebook(nb, out, "all")
    assert out.is_file()
    text = out.read_text(encoding="utf-8")
    assert (
        text.splitlines()[0]
        == f"{MARKER} from notebooks/{nb.name}; edit the notebook, not this file."
    )
    assert "(with uncommitted changes)" not in text.splitlines()[1]
    compile(text, module, "exec", dont_inherit=True)
    assert any("not an importable module name" in w for w in result.warnings)
    assert result.module_setting == module
    assert not export_notebook(nb, out, "all").changed


def _without_percent(path: Path) -> int:
    """Drop the ``%`` of each one-line ``%magic`` cell, as people write them; how many."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = (
        [c for ws in nb["worksheets"] for c in ws["cells"]] if nb["nbformat"] == 3 else nb["cells"]
    )
    key = "input" if nb["nbformat"] == 3 else "source"
    changed = 0
    for cell in cells:
        src = cell.get(key, "")
        text = "".join(src) if isinstance(src, list) else src
        stripped = text.strip()
        if (
            cell["cell_type"] == "code"
            and "\n" not in stripped
            and stripped.startswith("%")
            and not stripped.startswith("%%")
            and stripped[1:].split(" ", 1)[0] in AUTOMAGIC_NAMES
        ):
            cell[key] = stripped[1:]
            changed += 1
    path.write_text(json.dumps(nb), encoding="utf-8")
    return changed


def test_corpus_notebooks_with_automagic_export_the_same_code(
    corpus_dir: Path, make_repo: MakeRepo
) -> None:
    """The corpus as people also write it (``matplotlib inline``, ``pip install x``)."""
    if not corpus_dir.is_dir():
        pytest.skip("the shared corpus is not here")
    variants = 0
    for n, name in enumerate(VALID):
        nb = make_repo(f"repo{n}") / Path(name).name
        shutil.copyfile(corpus_dir / name, nb)
        cells = code_cells(nb)
        if not cells or first_cell_ipython_rejects(cells) is not None:
            continue  # not exportable as it is (the test above)
        before = export_notebook(nb, nb.with_name("a.py"), "all", dry_run=True).text
        if not _without_percent(nb):
            continue
        variants += 1
        assert first_cell_ipython_rejects(code_cells(nb)) is None, name  # IPython runs it
        after = export_notebook(nb, nb.with_name("b.py"), "all", dry_run=True).text

        def code(text: str) -> list[str]:
            return [ln for ln in text.splitlines()[2:] if not ln.lstrip().startswith("#")]

        assert code(after) == code(before), name
        assert "# [repro] automagic: " in after, name
    assert variants >= 2  # the corpus has one-line %magic cells in several notebooks
