"""Progress on stderr for work that takes more than a moment, shown only to a person."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

# Below this, a progress line would only flicker.
_SHOW_AFTER_SECONDS = 0.5
_REDRAW_EVERY_SECONDS = 0.1


class Progress:
    """Counts done/total for one task at a time; silent unless the stream is a terminal."""

    def __init__(
        self,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        show_after_seconds: float = _SHOW_AFTER_SECONDS,
    ) -> None:
        self._stream = stream or sys.stderr
        self._show_after_seconds = show_after_seconds
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._label = ""
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._drawn_at = 0.0
        self._visible = False

    def start(self, label: str, total: int) -> None:
        """Begin a task of `total` steps."""
        with self._lock:
            self._label, self._total, self._done = label, total, 0
            self._started = time.monotonic()
            self._drawn_at = 0.0

    def advance(self, steps: int = 1) -> None:
        """Record finished steps; redraws at most ten times a second."""
        with self._lock:
            self._done += steps
            now = time.monotonic()
            if not self.enabled or now - self._started < self._show_after_seconds:
                return
            if now - self._drawn_at < _REDRAW_EVERY_SECONDS and self._done < self._total:
                return
            self._drawn_at = now
            self._visible = True
            self._stream.write(f"\r\x1b[K{self._label} {self._done}/{self._total}")
            self._stream.flush()

    def finish(self) -> None:
        """Clear the line, so the output that follows starts clean."""
        with self._lock:
            if self._visible:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._visible = False


class Silent(Progress):
    """Progress that never draws (library use, tests, pipes)."""

    def __init__(self) -> None:
        super().__init__(stream=sys.stderr, enabled=False)
