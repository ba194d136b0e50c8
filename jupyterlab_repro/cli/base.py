"""What every subcommand shares: exit codes and usage errors."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_USAGE = 2
EXIT_ERROR = 3


class UsageError(Exception):
    """Wrong combination of arguments (exit status 2)."""
