"""``python -m bench [--quick] [--only snapshot,status] [--reps N]`` (see bench/README.md)."""

from .cli import main

raise SystemExit(main())
