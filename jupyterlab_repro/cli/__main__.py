"""``python -m jupyterlab_repro.cli``."""

import sys

from .main import main

sys.exit(main())
