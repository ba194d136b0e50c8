"""export: cells → an importable Python module.

A notebook, a selection of its code cells and a target path give the text of
a module that imports without IPython, a kernel or the notebook:

Selection (:mod:`.selection`)
    ``export`` (default): code cells tagged ``export``; ``tag:NAME``: tagged
    ``NAME``; ``all``: every code cell; ``1,3-5``: cell numbers, **1-based**
    and counted over *all* cells (markdown too), top to bottom, as a user
    counts them in the notebook; ``id:abc,id:def``: nbformat cell ids (items
    may be mixed). Cells are always exported in notebook order. Cells tagged
    ``main`` are selected by the tag selectors as well, and wherever they are
    selected they form the body of ``def main() -> None`` run under
    ``if __name__ == "__main__":``; they add nothing to ``__all__``.

IPython syntax (:func:`~jupyterlab_repro.notebook.ipysyntax.transform_cell`)
    IPython's own token finders (``IPython.core.inputtransformer2``) locate
    special syntax; instead of calling IPython it is turned into comments
    marked ``# [repro] <kind>: <original>``: line magics, ``!cmd``, ``x = !cmd``,
    ``x = %magic``, ``obj?``/``??obj`` and statements calling ``get_ipython()``.
    ``%time STATEMENT`` keeps the statement (``%time x = f()`` defines ``x`` in
    the notebook, so the module must too); ``%timeit`` is dropped (it runs in a
    namespace of its own), as are all other line magics. Names that only
    IPython would bind (``x = !ls``, ``%%capture out``) and ``display()`` calls
    are reported as warnings. Cells that are plain Python are kept byte for
    byte; IPython is imported only when a cell needs its tokenizer (see
    :mod:`jupyterlab_repro.notebook.ipysyntax`), never by the module. Cells under
    ``%%time``, ``%%capture`` or ``%%prun``
    keep their body; any other cell magic (``%%bash``, ``%%writefile``,
    ``%%html`` …) leaves the cell out with a comment saying so. A commented
    line inside a block becomes ``pass  # [repro] …`` so no block is left
    empty. Line counts are kept, so errors name the line the user sees.
    ``from __future__`` imports move to the top of the module.

Result (:mod:`.module_text`, :mod:`.compile_check`, :mod:`.provenance`)
    A header naming the notebook (relative to its repository), the commit
    (12-digit sha, "with uncommitted changes" when the notebook file is
    modified — beyond what a snapshot strips: outputs alone leave the code its
    commit's —, staged, untracked or ignored) and the selection — no timestamp,
    so an unchanged notebook re-exports byte for byte; ``__all__`` (public
    functions, classes and UPPER_CASE constants of two or more characters
    defined at module level, in definition order); one ``# %% cell N (id X)``
    block per cell (jupytext's percent format, so editors can jump between
    them), two blank lines apart. The module is ``compile()``d before it is
    returned (piece by piece, see :func:`.compile_check.check_compiles`); a cell that is not
    Python (after the rewriting above, e.g. a top-level ``await``) raises
    :class:`CellSyntaxError` with its number, id and line.

Reading
    Only the cells are needed, so the notebook is parsed by
    :func:`~jupyterlab_repro.notebook.skeleton.parse_notebook_skeleton`: output
    payloads are never decoded.

Writing (:mod:`.writer`)
    Atomic (temporary file in the target's directory + ``os.replace``, the old
    file's mode kept), skipped when the bytes are equal, and refused for an
    existing file without the generated-file marker unless ``force``.
    :func:`check_module` answers ``--check``: it ignores the ``# Commit:``
    line, so committing the notebook and its module together does not make
    the module "out of date".

Remembered settings (:mod:`.settings`) live in the notebook's metadata,
``metadata.jupyterlab_repro.export = {"module": "../src/train.py", "cells": "export"}``;
``module`` is relative to the notebook's folder and, when read back, must stay
inside the notebook's repository (or ``root``, or its folder outside git). This
module never writes the notebook: :func:`with_export_settings` returns updated
metadata for the caller (the UI) to save.

The entry point for the CLI and REST is :func:`.exporter.export_notebook`.

May import: ``notebook``, ``git``, ``errors``, ``deadline``, ``files``, and
``commit.rules`` (the repository's cleaning rules). Never: the rest of
``commit``, ``runs``, ``server``, ``cli``, tornado, jupyter_server, MLflow.
"""
