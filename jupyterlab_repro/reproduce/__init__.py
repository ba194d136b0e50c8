"""reproduce: run a run's code again, in a clean kernel, and say whether its metrics came back.

``plan`` (what a run ran: its code — fetched when only a remote has it —,
notebook, execution order, seed, environment lock and input manifest),
``environment`` (the environment check: a kernel's lock against the run's;
requirements, conda and Dockerfile renderings for ``jupyter repro env``),
``data`` (the inputs check, and the inputs copied or linked into the
temporary work tree), ``execute`` (the notebook in a fresh kernel through
nbclient, cell by cell in the run's order), ``verdict`` (metrics within
tolerance, params equal, and the verdict's tag encodings), ``job`` (one
reproduction from start to verdict, with progress and cancellation) and
``jobs`` (the server's registry of jobs: one at a time by default).

May import: ``errors``, ``deadline``, ``files``, ``inputs``, ``git``,
``notebook``, ``commit.rules``, ``kernel``, ``runs``. nbclient and
jupyter_client (which load tornado) only inside the functions that start a
kernel. Never: ``server``, ``cli``.
"""
