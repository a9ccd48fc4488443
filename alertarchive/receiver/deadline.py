"""The 503 time bound on storage, without a thread hand-off where the backend allows.

Handing each write to a thread pool and waiting on it with a timeout holds "503 within N s"
whatever storage does, but costs ~80 µs and ~4.6 context switches per request, a third of
the receiver's own work. So: GCS keeps the budget by its client's own retry deadline and
socket timeouts (GcsArchive says what that covers); a local write runs in the request's
thread, with the pool only while the filesystem stalls (InlineBoundedArchive says what
that keeps); anything else goes through the pool (DeadlineArchive).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import threading
import time
from collections.abc import Mapping
from typing import Protocol

from alertarchive.archive.storage import Archive, StorageUnavailable
from alertarchive.archive.storage.local import LocalArchive

# Writes still running when their caller gave up are left to finish (a late success is
# harmless: the retried request then finds the object and answers "duplicate"); this caps
# how many can pile up while storage hangs.
_MAX_PENDING_WRITES = 64
# Inline writes in flight at once; a request beyond them waits on the pool's clock instead.
# This is how many gunicorn threads a filesystem that stops answering can hold without a
# 503. functions-framework runs THREADS of them (4 per CPU unless set; the Terraform sets
# 8): with fewer than 6, run the receiver with more, or a hang can leave it none to answer.
MAX_INLINE_WRITES = 4
# A local write in flight this long means the filesystem stalls (a healthy one takes a few
# ms, fsyncs included): later writes go through the pool until none is.
STALL_SECONDS = 0.5


class _Writes(Protocol):
    """What DeadlineArchive calls: an archive's create()."""

    url: str

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool: ...


def bounded(archive: Archive, seconds: float) -> Archive:
    """The archive with create() held to `seconds`, by the cheapest means that holds it.

    An archive that keeps its own budget (GCS) was opened with the same seconds.
    """
    if isinstance(archive, LocalArchive):
        return InlineBoundedArchive(archive, seconds)
    if getattr(archive, "keeps_its_time_budget", False):
        return archive
    return DeadlineArchive(archive, seconds)


class DeadlineArchive:
    """Wraps an archive so create() answers within a fixed time, whatever storage does.

    Client-side timeouts bound each socket operation, not a whole upload (connect, send and
    read each get their own), so the receiver's promise of "503 within N s" needs a clock of
    its own.
    """

    def __init__(self, archive: _Writes, seconds: float) -> None:
        self._archive = archive
        self._seconds = seconds
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=_MAX_PENDING_WRITES, thread_name_prefix="archive-write"
        )
        self.url = archive.url

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        future = self._pool.submit(self._archive.create, name, body, metadata, content_type)
        try:
            return future.result(timeout=self._seconds)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise StorageUnavailable(
                f"{self.url} did not confirm the write within {self._seconds:g} s"
            ) from None

    def __getattr__(self, attribute: str):
        return getattr(self._archive, attribute)


class InlineBoundedArchive:
    """Writes in the request's own thread while storage is healthy; on the pool's clock else.

    The bound kept: a write that starts while fewer than MAX_INLINE_WRITES others run
    inline and none of the writes in flight is older than STALL_SECONDS runs inline, with
    no clock: if the filesystem stops answering just then (an NFS server gone), that
    request waits until it answers again, and is then told the truth (2xx if stored, even
    after the bound). Every other request goes through DeadlineArchive and gets its 503
    within the bound. So a hang can hold at most MAX_INLINE_WRITES requests past the bound;
    the rest, health probes included, keep answering.
    """

    def __init__(self, archive: Archive, seconds: float) -> None:
        self._archive = archive
        self.url = archive.url
        self._lock = threading.Lock()
        # Start times of the writes in flight, inline or pooled, oldest first (dicts keep
        # insertion order, and each is inserted at its start under the lock).
        self._started: dict[int, float] = {}
        self._inline = 0
        self._tickets = itertools.count()
        self._clocked = DeadlineArchive(_Tracked(self), seconds)

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        with self._lock:
            # Read under the lock, so that start times go into _started in order.
            now = time.monotonic()
            inline = self._inline < MAX_INLINE_WRITES and not self._stalled(now)
            if inline:
                self._inline += 1
                ticket = next(self._tickets)
                self._started[ticket] = now
        if not inline:
            return self._clocked.create(name, body, metadata, content_type)
        try:
            return self._archive.create(name, body, metadata, content_type)
        finally:
            with self._lock:
                self._inline -= 1
                del self._started[ticket]

    def _stalled(self, now: float) -> bool:
        """Whether the oldest write in flight has run for STALL_SECONDS (lock held)."""
        for started in self._started.values():
            return now - started >= STALL_SECONDS
        return False

    def _tracked_create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        """A pooled write, counted in flight until it ends (not when its caller gives up)."""
        with self._lock:
            ticket = next(self._tickets)
            self._started[ticket] = time.monotonic()
        try:
            return self._archive.create(name, body, metadata, content_type)
        finally:
            with self._lock:
                del self._started[ticket]

    def __getattr__(self, attribute: str):
        return getattr(self._archive, attribute)


class _Tracked:
    """The archive as the pool calls it: each write counted in flight by its owner."""

    def __init__(self, owner: InlineBoundedArchive) -> None:
        self._owner = owner
        self.url = owner.url

    def create(
        self, name: str, body: bytes, metadata: Mapping[str, str], content_type: str
    ) -> bool:
        return self._owner._tracked_create(name, body, metadata, content_type)
