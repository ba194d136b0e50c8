"""One time budget for a whole operation (DESIGN invariant 5).

A request builds one :class:`Deadline` and passes it down: every git call
and every MLflow call it makes takes what is *left* of it, so a request that
makes five git calls is bounded by its own budget, not by five per-call
timeouts. Import-free (the kernel plugin uses it).
"""

from __future__ import annotations

import time


class Deadline:
    """A point in time by which an operation must be done.

    Parameters
    ----------
    seconds
        The whole budget, from now.
    label
        What the budget is for, as error messages name it ("the GET status
        request", "the snapshot"); empty for an anonymous budget.
    """

    __slots__ = ("_expires", "label", "seconds")

    def __init__(self, seconds: float, label: str = "") -> None:
        self.seconds = float(seconds)
        self.label = label
        self._expires = time.monotonic() + self.seconds

    def remaining(self) -> float:
        """Seconds left (``0.0`` once it has passed)."""
        return max(0.0, self._expires - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._expires

    def within(self, seconds: float, label: str | None = None) -> Deadline:
        """A deadline of at most ``seconds`` from now that never ends after this one."""
        if time.monotonic() + seconds < self._expires:
            return Deadline(seconds, label or self.label)
        return self

    def describe(self) -> str:
        """``0.5 s (the GET status request)`` — for messages."""
        return f"{self.seconds:g} s" + (f" ({self.label})" if self.label else "")

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g}, {self.label!r}, remaining={self.remaining():.3f})"
