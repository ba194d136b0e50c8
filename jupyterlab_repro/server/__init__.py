"""server: the Jupyter server extension, thin glue over the core rooms.

``extension`` (loading: settings, service objects, routes), ``base`` (root
confinement, deadlines, the worker pools, typed errors → HTTP statuses
once), ``config`` (``c.Repro.*``), and one handlers module per feature:
``repository`` (status, init, identity), ``commit`` (changes, diff, snapshot,
guardrail fixes, tags), ``export``, ``runs``, ``reproduce`` (the jobs of
``runs/reproduce``).

May import: every core room, tornado, jupyter_server. Handlers parse,
validate, confine paths and run core functions off the event loop; logic
lives in the core.
"""
