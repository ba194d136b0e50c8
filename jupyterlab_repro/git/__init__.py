"""git: the only room that starts git processes.

``runner`` runs git under a :class:`~jupyterlab_repro.deadline.Deadline`
(argument lists, ``--`` before paths; on timeout ``processes`` kills all the
call started before the caller answers);
``repository`` (discovery, identity), ``status``, ``revisions`` (the one
resolver), ``refs`` (the one ref-name check, hidden snapshot refs), ``index``
(temporary index files), ``hooks``, ``lock``, ``lfs``, ``remotes`` and
``tags`` build on it.

May import: ``errors``, ``deadline``, ``files``. Never: the other rooms,
tornado, jupyter_server, MLflow.
"""
