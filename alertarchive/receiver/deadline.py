"""A hard time bound around an archive's writes."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping

from alertarchive.archive.storage import Archive, StorageUnavailable

# Writes still running when their caller gave up are left to finish (a late success is
# harmless: the retried request then finds the object and answers "duplicate"); this caps
# how many can pile up while storage hangs.
_MAX_PENDING_WRITES = 64


class DeadlineArchive:
    """Wraps an archive so create() answers within a fixed time, whatever storage does.

    Client-side timeouts bound each socket operation, not a whole upload (connect, send and
    read each get their own), so the receiver's promise of "503 within N s" needs a clock of
    its own.
    """

    def __init__(self, archive: Archive, seconds: float) -> None:
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
