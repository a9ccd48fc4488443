"""Structured log lines in the shape Cloud Logging parses from stdout."""

from __future__ import annotations

import sys
import threading
from typing import Any

import orjson

_write_lock = threading.Lock()


def emit(severity: str, message: str, **fields: Any) -> None:
    """Write one JSON log line: `severity`, `message` and any extra fields (never secrets)."""
    line = orjson.dumps({"severity": severity, "message": message, **fields}) + b"\n"
    # One write per line, serialised, so concurrent requests never interleave their lines.
    with _write_lock:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
