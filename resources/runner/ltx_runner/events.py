"""A thread-safe, append-only event log that HTTP streams can follow."""

from __future__ import annotations

import threading
import time
from typing import Any


class EventLog:
    """Append-only list of JSON-ready events written by a worker thread.

    Readers call ``read(since)`` to get the events after index ``since`` and
    whether the log is closed (no more events will come).  ``wait(since,
    timeout)`` blocks until there is something new or the timeout passes.
    """

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._closed = False
        self._cond = threading.Condition()

    def append(self, event: dict[str, Any], close: bool = False) -> None:
        """Add ``event`` (a dict; ``ts`` in Unix seconds is added) and optionally close the log."""
        ev = dict(event)
        ev.setdefault("ts", round(time.time(), 3))
        with self._cond:
            if self._closed:
                return
            self._events.append(ev)
            if close:
                self._closed = True
            self._cond.notify_all()

    def close(self) -> None:
        """Mark the log as finished without adding an event."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """True once no more events will be appended."""
        with self._cond:
            return self._closed

    def read(self, since: int = 0) -> tuple[list[dict[str, Any]], bool]:
        """Return ``(events[since:], closed)``."""
        with self._cond:
            return list(self._events[since:]), self._closed

    def wait(self, since: int, timeout: float) -> tuple[list[dict[str, Any]], bool]:
        """Like ``read`` but first waits up to ``timeout`` seconds for new events."""
        with self._cond:
            if len(self._events) <= since and not self._closed:
                self._cond.wait(timeout)
            return list(self._events[since:]), self._closed

    def last(self) -> dict[str, Any] | None:
        """The most recent event, or None."""
        with self._cond:
            return dict(self._events[-1]) if self._events else None
