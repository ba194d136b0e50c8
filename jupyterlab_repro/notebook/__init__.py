"""notebook: reading, cleaning and diffing ``.ipynb`` files, and IPython's cell syntax.

``validate`` (parse + structural check), ``skeleton`` (cells without output
payloads, for readers of code), ``clean`` (+ ``lazyclean``: deterministic
output stripping), ``diff`` (output-blind, cell-level), ``ipysyntax``
(magics and shell escapes as plain Python).

May import: ``errors``. Never: git, the other rooms, tornado, jupyter_server,
MLflow. Plain functions on bytes, strings and dicts.
"""
