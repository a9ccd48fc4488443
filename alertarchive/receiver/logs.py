"""Structured log lines in the shape Cloud Logging parses from stdout."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import orjson

_write_lock = threading.Lock()


def emit(severity: str, message: str, **fields: Any) -> None:
    """Write one JSON log line: `severity`, `message` and any extra fields (never secrets)."""
    record = {"severity": severity, "message": message, **fields}
    line = orjson.dumps(record).decode()
    if not line.isascii():
        # JSON's \u escapes carry any text through any stdout encoding, ascii included.
        line = json.dumps(record, separators=(",", ":"))
    # Text, not bytes to sys.stdout.buffer: with LOG_EXECUTION_ID=true, functions-framework
    # swaps sys.stdout during each request for a text wrapper (whose .buffer is a StringIO)
    # that parses each write as JSON and merges the execution_id label into it. So: the
    # whole line in one write() — a lone "\n" it drops — and one writer at a time, so that
    # concurrent requests never interleave their lines.
    with _write_lock:
        stream = sys.stdout
        stream.write(line + "\n")
        stream.flush()
