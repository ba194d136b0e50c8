"""git: the only room that builds git command lines and starts git processes.

``runner`` runs git under a :class:`~jupyterlab_repro.deadline.Deadline`
(argument lists, ``--`` before paths; on timeout ``processes`` kills all the
call started before the caller answers);
``repository`` (discovery, identity, a new repository), ``status``,
``revisions`` (the one resolver), ``refs`` (the one ref-name check, hidden
snapshot refs), ``index`` (temporary index files), ``objects`` (the one way
to make a commit and move a ref), ``stash``, ``worktrees``, ``hooks``,
``lock``, ``lfs``, ``remotes``, ``tags``, ``diffs`` and ``share`` build on
it. Other rooms call these functions; ``tests/test_git_door.py`` fails when
they build git arguments themselves.

May import: ``errors``, ``deadline``, ``files``. Never: the other rooms,
tornado, jupyter_server, MLflow.
"""
