"""Flushing a folder so that the names linked into it survive a power cut, shared by writers.

A hard link is durable once its folder has been fsync'ed by a flush that *began after* the
link. Concurrent requests linking into one hour folder each need such a flush, and one
serves them all: a writer that finds no flush running starts one (it leads) for every
writer that linked before it began; a writer that finds one running may have linked after
it began, so it waits for the next, which the first writer to see the folder idle starts.
So under load a folder is flushed about once per flush time instead of once per request,
and each writer still returns only after a flush that began after its link.

A flush that fails counts for nobody: its waiters start another (and get its error if the
disk is broken), so a failure never answers anyone's write as durable.
"""

from __future__ import annotations

import os
import threading

# Folders with a flush record; bounded, as hours keep coming. Dropping a record is safe: a
# writer arriving after the drop gets a fresh one, whose flushes all begin after its link.
_MAX_FOLDERS = 1024


def fsync_directory(directory: str) -> None:
    """Flush a folder's entries (names made, linked or removed in it) to disk."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class FolderFlushes:
    """The shared flushes of every folder one archive writes into."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folders: dict[str, _Flushes] = {}

    def flush_after_link(self, folder: str) -> None:
        """Return once a flush of folder that began after this call has completed.

        Raises:
            OSError: the flush this caller led failed.
        """
        flushes = self._folders.get(folder)
        if flushes is None:
            with self._lock:
                if len(self._folders) >= _MAX_FOLDERS:
                    self._folders.clear()
                flushes = self._folders.setdefault(folder, _Flushes(folder))
        flushes.flush_after_now()


class _Flushes:
    """One folder's flushes, numbered in the order they begin; at most one runs at a time."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._condition = threading.Condition(threading.Lock())
        self._begun = 0
        # The number of the latest flush that completed; flushes run one after another, so
        # every flush numbered up to it has ended (a failed one never counts).
        self._completed = 0
        self._running = False

    def flush_after_now(self) -> None:
        with self._condition:
            # The running flush (number _begun) may have begun before our link: not ours.
            needed = self._begun + 1
            while self._completed < needed:
                if self._running:
                    self._condition.wait()
                    continue
                self._lead()

    def _lead(self) -> None:
        """Run the next flush with the lock released (held on entry and on return)."""
        self._begun += 1
        number = self._begun
        self._running = True
        self._condition.release()
        try:
            fsync_directory(self._folder)
        except BaseException:
            self._condition.acquire()
            self._running = False
            self._condition.notify_all()
            raise
        self._condition.acquire()
        self._running = False
        self._completed = number
        self._condition.notify_all()
