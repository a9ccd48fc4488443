"""Readiness: whether the archive accepts a create-only write now, checked cheaply.

The check writes one fixed object, create-only, through the same archive (and so the same
permission and time bound, STORAGE_TIMEOUT_SECONDS) a notification uses. The first check
creates it; every later one finds it there, answered as a retried notification is
("already stored"), so the archive gains one small object, ever, outside the alerts/ and
quarantine/ trees that listings and BigQuery read. (A local archive that already holds it
is not written again, so there the check proves less than on GCS.) A result is reused for
CACHE_SECONDS and concurrent probes share one check, so however often /-/ready is asked,
an instance writes at most once per CACHE_SECONDS.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from alertarchive.archive.storage import Archive, StorageUnavailable

PROBE_OBJECT = "health/ready.json"
PROBE_BODY = b'{"written_by":"alertarchive /-/ready","purpose":"readiness probe"}\n'
PROBE_METADATA = {"purpose": "alertarchive readiness probe; safe to ignore, recreated if deleted"}
CACHE_SECONDS = 10.0


@dataclasses.dataclass(frozen=True)
class Readiness:
    """One check's result: whether a write would be stored, and why not (for the log only)."""

    ready: bool
    reason: str
    checked_at: float


class ReadinessCheck:
    """Checks the archive takes writes, at most once per CACHE_SECONDS, never twice at once."""

    def __init__(
        self,
        archive: Archive,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._archive = archive
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last: Readiness | None = None

    def check(self) -> Readiness:
        """The latest result, checking again if it is older than cache_seconds."""
        last = self._last
        if last is not None and self._fresh(last):
            return last
        # While one thread checks, the others answer with the previous result rather than
        # hold a request thread (which notifications need) for up to the write's time bound.
        if last is not None and not self._lock.acquire(blocking=False):
            return last
        if last is None:
            self._lock.acquire()
        try:
            if self._last is None or not self._fresh(self._last):
                self._last = self._probe()
            return self._last
        finally:
            self._lock.release()

    def _fresh(self, result: Readiness) -> bool:
        return self._clock() - result.checked_at < self._cache_seconds

    def _probe(self) -> Readiness:
        try:
            self._archive.create(PROBE_OBJECT, PROBE_BODY, PROBE_METADATA, "application/json")
        except StorageUnavailable as error:
            return Readiness(False, str(error), self._clock())
        except Exception as error:  # a probe must answer, whatever the storage client raises
            return Readiness(False, f"{type(error).__name__}: {error}"[:300], self._clock())
        return Readiness(True, "", self._clock())
