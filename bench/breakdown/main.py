"""The shipped receiver with part of its write taken away, served like the real one.

`make bench` serves this beside main.py to show where a request's time goes:
- BENCH_WITHOUT=fsync: the local write as shipped, but os.fsync does nothing, so files are
  created and linked yet never flushed to disk;
- BENCH_WITHOUT=storage: every step of a request except the write itself (the archive behind
  the local backend's time bound, inline, accepts and keeps nothing): the most any storage
  backend could reach.
Never deploy this: a 201 from it does not mean that anything was stored.
"""

import importlib.util
import os
import pathlib
import sys
from collections.abc import Mapping

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from alertarchive.receiver.deadline import InlineBoundedArchive  # noqa: E402


class DiscardingArchive:
    """Accepts every write and keeps nothing."""

    url = "discard:"

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        return True


def _shipped_entry_point():
    """The repository's main.py, loaded under its own name (this module is `main` here)."""
    spec = importlib.util.spec_from_file_location("alertarchive_entry", REPO / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _skip_fsync(descriptor: int) -> None:
    """os.fsync for this process: return at once, flushing nothing."""


_entry = _shipped_entry_point()
_without = os.environ.get("BENCH_WITHOUT", "")
if _without == "fsync":
    os.fsync = _skip_fsync
elif _without == "storage":
    _entry._receiver.archive = InlineBoundedArchive(
        DiscardingArchive(), _entry._settings.storage_timeout_seconds
    )
else:
    raise SystemExit(f"BENCH_WITHOUT must be fsync or storage, not {_without!r}")

receive_alert = _entry.receive_alert
